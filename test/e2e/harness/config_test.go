package harness

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every path a containerd config names lies in the run directory, except
// the programs and plugin directories it runs, so two environments never
// share a file or socket; containerd 2's NRI (a machine-wide socket) is off.
func TestContainerdConfigsStayInTheRunDir(t *testing.T) {
	st := &state{Dir: "/run/crictl-e2e/runs/crie2e7", Bridge: "crie2e7", Subnet: "10.234.7.0/24",
		Registry: "127.0.0.1:5000", AuthRegistry: "127.0.0.1:5001"}
	st.fillPaths()
	bins := &runtimeBins{containerd: "/c/containerd", shim: "/c/containerd-shim-runc-v2", pathDir: "/c"}
	const runc = "/usr/sbin/runc"
	quoted := regexp.MustCompile(`"(/[^"]*)"`)
	for _, kind := range RuntimeKinds {
		st.Runtime = kind
		cfg := containerdConfig(st, runc, bins)
		allowed := []string{cniBinDir, runc}
		if kind == Containerd2 {
			allowed = append(allowed, bins.shim)
		}
		for _, m := range quoted.FindAllStringSubmatch(cfg, -1) {
			if !isUnder(m[1], st.Dir) && !slices.Contains(allowed, m[1]) {
				t.Errorf("%s config names %s, outside %s", kind, m[1], st.Dir)
			}
		}
		for _, want := range []string{`address = "` + st.Socket + `"`, `address = "` + st.Socket + `.ttrpc"`,
			`Root = "` + st.Dir + `/runc"`, "restrict_oom_score_adj = true", "netns_mounts_under_state_dir = true"} {
			if !strings.Contains(cfg, want) {
				t.Errorf("%s config lacks %s:\n%s", kind, want, cfg)
			}
		}
	}
	st.Runtime = Containerd2
	cfg := containerdConfig(st, runc, bins)
	for _, want := range []string{"version = 3", "[plugins.\"io.containerd.nri.v1.nri\"]\n  disable = true",
		`config_path = "` + st.Dir + `/certs.d"`, `sandbox = "` + PauseImage + `"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("containerd 2 config lacks %s:\n%s", want, cfg)
		}
	}
	hosts := hostsConfig(st.AuthRegistry)
	if !strings.Contains(hosts, `server = "http://127.0.0.1:5001"`) || !strings.Contains(hosts, `[host."http://127.0.0.1:5001"]`) {
		t.Errorf("hosts.toml of a loopback registry:\n%s", hosts)
	}
}
