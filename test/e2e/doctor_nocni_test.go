//go:build doctor_nocni

// This case needs harness.Options.NoCNI (branch harness2); it is built
// with -tags doctor_nocni until that option is on main, then the build tag
// goes.

package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/pkg/doctor"
	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var recordNoCNI = flag.String("doctor.record-nocni", "", "write the doctor snapshot of a runtime without CNI config to this JSON file")

// TestDoctorNoCNI starts a runtime of its own without a CNI network
// config: the CRI reports NetworkReady false, and doctor says so first.
func TestDoctorNoCNI(t *testing.T) {
	main := needCommand(t, "doctor")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := harness.Start(ctx, harness.Options{Runtime: main.Kind, NoCNI: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := env.Close(); err != nil {
			t.Error(err)
		}
	}()
	// A host-network pod runs without CNI; it is healthy.
	pod, err := env.RunPod(ctx, harness.PodSpec{Name: "hostnet", Namespace: "e2e-doctor-nocni", HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: "web"}); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := crictl(t, env, "doctor", "-o", "json")
	if code != 3 || errOut != "" {
		t.Fatalf("doctor: exit %d, want 3\n%s\n%s", code, out, errOut)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 {
		t.Fatalf("no findings:\n%s", out)
	}
	f := rep.Findings[0]
	if f.Check != "runtime-condition" || f.Object.Name != "NetworkReady" || f.Severity != doctor.Critical ||
		f.Evidence.Get("reason") != "NetworkPluginNotReady" || !strings.Contains(f.Evidence.Get("message"), "cni") ||
		!strings.Contains(f.Evidence.Get("lastCNILoadStatus"), "cni") || f.Hint != "crictl info" {
		t.Errorf("first finding: %+v", f)
	}
	for _, g := range rep.Findings[1:] {
		if g.Severity == doctor.Critical {
			t.Errorf("another critical finding: %+v", g)
		}
	}
	if _, herr, hcode := crictl(t, env, "info"); hcode != 0 {
		t.Errorf("hint crictl info: exit %d %s", hcode, herr)
	}
	text, _, _ := crictl(t, env, "doctor")
	if !strings.Contains(text, "runtime NetworkReady: NetworkReady is false: NetworkPluginNotReady") {
		t.Errorf("text:\n%s", text)
	}

	if *recordNoCNI != "" {
		snap, err := doctor.Gather(ctx, doctor.Sources{
			Runtime: env.Runtime,
			Image:   func() (runtimeapi.ImageServiceClient, error) { return env.Images, nil },
			Now:     time.Now,
			Node:    doctor.Node{Endpoint: env.Endpoint, ConfigPath: "/dev/null", ConfigLoaded: true},
		}, doctor.Selection{}, doctor.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		writeSnapshot(t, *recordNoCNI, snap)
	}
}
