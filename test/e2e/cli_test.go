package e2e

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// columnSep separates table columns: crictl pads cells with at least three
// spaces, while cells such as "2 minutes ago" hold single ones.
var columnSep = regexp.MustCompile(` {3,}`)

// table splits crictl's table output into its header and rows.
func table(t *testing.T, out string) (header []string, rows [][]string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) == "" {
		t.Fatalf("no table in %q", out)
	}
	split := func(l string) []string { return columnSep.Split(strings.TrimSpace(l), -1) }
	header = split(lines[0])
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) != "" {
			rows = append(rows, split(l))
		}
	}
	return header, rows
}

// column returns the index of name in header, failing t if it is missing.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	i := slices.Index(header, name)
	if i < 0 {
		t.Fatalf("no column %s in %q", name, header)
	}
	return i
}

func wantHeader(t *testing.T, header []string, want ...string) {
	t.Helper()
	if !slices.Equal(header, want) {
		t.Fatalf("header %q, want %q", header, want)
	}
}

func decodeJSON(t *testing.T, what, out string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: not a JSON object: %v\n%s", what, err, out)
	}
	return v
}

// field follows a path of object keys in decoded JSON.
func field(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestVersion(t *testing.T) {
	env := needCommand(t, "version")
	v, err := env.Runtime.Version(ctxT(t), &runtimeapi.VersionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := mustCrictl(t, env, "version")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^Version:  \S+$`),
		regexp.MustCompile(`^RuntimeName:  containerd$`),
		regexp.MustCompile(`^RuntimeVersion:  ` + regexp.QuoteMeta(v.GetRuntimeVersion()) + `$`),
		regexp.MustCompile(`^RuntimeApiVersion:  v1$`),
		// The reference's four lines, then crictl's own version.
		regexp.MustCompile(`^CrictlVersion:  \S+$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i+1, lines[i], re)
		}
	}
	if !strings.HasPrefix(v.GetRuntimeVersion(), "1.6") {
		t.Logf("note: containerd %s, not 1.6", v.GetRuntimeVersion())
	}
}

func TestPodsTable(t *testing.T) {
	env := needCommand(t, "pods")
	header, rows := table(t, mustCrictl(t, env, "pods"))
	wantHeader(t, header, "POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME")
	for _, p := range samples.Pods {
		var row []string
		for _, r := range rows {
			if len(r) == len(header) && r[3] == p.Name {
				row = r
			}
		}
		if row == nil {
			t.Errorf("pod %s not listed", p.Name)
			continue
		}
		if row[0] != p.ID[:13] || row[2] != "Ready" || row[4] != p.Namespace || row[5] != "0" {
			t.Errorf("pod %s: row %q, want ID %s, Ready, namespace %s, attempt 0", p.Name, row, p.ID[:13], p.Namespace)
		}
	}
}

func TestPodsNamespaceIsExact(t *testing.T) {
	env := needCommand(t, "pods")
	header, rows := table(t, mustCrictl(t, env, "pods", "--namespace", "kube-system"))
	name, ns := column(t, header, "NAME"), column(t, header, "NAMESPACE")
	var got, want []string
	for _, r := range rows {
		got = append(got, r[name])
		if r[ns] != "kube-system" {
			t.Errorf("--namespace kube-system listed %s in %s", r[name], r[ns])
		}
	}
	for _, p := range samples.InNamespace("kube-system") {
		want = append(want, p.Name)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("pods --namespace kube-system: %q, want %q (not kube-system-extra's)", got, want)
	}
}

var fullID = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestPodsQuiet(t *testing.T) {
	env := needCommand(t, "pods")
	out := mustCrictl(t, env, "pods", "-q")
	ids := strings.Fields(out)
	for _, id := range ids {
		if !fullID.MatchString(id) {
			t.Errorf("pods -q: %q is not a full pod ID", id)
		}
	}
	for _, p := range samples.Pods {
		if !slices.Contains(ids, p.ID) {
			t.Errorf("pods -q: %s (%s) missing", p.ID, p.Name)
		}
	}
}

func TestPodsJSON(t *testing.T) {
	env := needCommand(t, "pods")
	v := decodeJSON(t, "pods -o json", mustCrictl(t, env, "pods", "-o", "json"))
	items, ok := v["items"].([]any)
	if !ok || len(v) != 1 {
		t.Fatalf(`pods -o json: want {"items":[...]}, got keys %v`, keys(v))
	}
	byID := map[string]any{}
	for _, it := range items {
		if id, ok := field(it, "id").(string); ok {
			byID[id] = it
		}
	}
	for _, p := range samples.Pods {
		it := byID[p.ID]
		if it == nil {
			t.Errorf("pod %s missing", p.Name)
			continue
		}
		if got := field(it, "metadata", "name"); got != p.Name {
			t.Errorf("pod %s: metadata.name %v", p.Name, got)
		}
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

var psHeader = []string{"CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE"}

// psRows runs ps with args and returns its rows by container name.
func psRows(t *testing.T, env *harness.Env, args ...string) map[string][]string {
	t.Helper()
	header, rows := table(t, mustCrictl(t, env, args...))
	wantHeader(t, header, psHeader...)
	byName := map[string][]string{}
	for _, r := range rows {
		if len(r) != len(psHeader) {
			t.Errorf("%s: row %q has %d cells, want %d", strings.Join(args, " "), r, len(r), len(psHeader))
			continue
		}
		byName[r[4]] = r
	}
	return byName
}

func TestPsAll(t *testing.T) {
	env := needCommand(t, "ps")
	rows := psRows(t, env, "ps", "-a")
	pods, err := env.Runtime.ListPodSandbox(ctxT(t), &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for _, p := range pods.GetItems() {
			if r[0] == p.GetId()[:13] {
				t.Errorf("ps -a lists a pause (sandbox) container: %q", r)
			}
		}
		if strings.Contains(r[1], "pause") || r[4] == "POD" {
			t.Errorf("ps -a lists a pause container: %q", r)
		}
	}
	for _, c := range samples.Containers() {
		r := rows[c.Name]
		if r == nil {
			t.Errorf("ps -a: container %s missing", c.Name)
			continue
		}
		state := "Running"
		if c.Name == "migrate" {
			state = "Exited"
		}
		want := []string{c.ID[:13], r[1], r[2], state, c.Name, strconv.FormatUint(uint64(c.Attempt), 10), c.Pod.ID[:13], c.Pod.Name, c.Pod.Namespace}
		if !slices.Equal(r, want) {
			t.Errorf("ps -a: %s: %q, want %q", c.Name, r, want)
		}
	}
	// made without kubelet labels: pod name and namespace come from the sandbox
	if r := rows["raw-app"]; r != nil && (r[7] != "raw-pod" || r[8] != "e2e-raw") {
		t.Errorf("ps -a: container of a pod without kubelet labels shows pod %q namespace %q, want raw-pod e2e-raw", r[7], r[8])
	}
}

func TestPsRunningOnly(t *testing.T) {
	env := needCommand(t, "ps")
	rows := psRows(t, env, "ps")
	if rows["migrate"] != nil {
		t.Error("ps without -a lists the exited container migrate")
	}
	if rows["web"] == nil || rows["raw-app"] == nil {
		t.Errorf("ps: running containers missing: %v", keysOf(rows))
	}
}

func keysOf(m map[string][]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestImages(t *testing.T) {
	env := needCommand(t, "images")
	header, rows := table(t, mustCrictl(t, env, "images"))
	wantHeader(t, header, "IMAGE", "TAG", "IMAGE ID", "SIZE")
	for _, ref := range []string{env.PauseImage, env.AppImage} {
		repo, tag, _ := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":")
		repo = ref[:strings.LastIndex(ref, "/")+1] + repo
		found := false
		for _, r := range rows {
			found = found || (len(r) == 4 && r[0] == repo && r[1] == tag)
		}
		if !found {
			t.Errorf("images: %s %s not listed in %q", repo, tag, rows)
		}
	}
}

func TestImagesQuietNoMatch(t *testing.T) {
	env := needCommand(t, "images")
	if out := mustCrictl(t, env, "images", "-q", "nonexistent/image"); out != "" {
		t.Errorf("images -q nonexistent/image printed %q", out)
	}
}

func TestInspectByID(t *testing.T) {
	env := needCommand(t, "inspect")
	c := samples.Container("web")
	for _, args := range [][]string{{"inspect", c.ID, "-o", "json"}, {"inspect", "-o", "json", c.ID}} {
		v := decodeJSON(t, strings.Join(args, " "), mustCrictl(t, env, args...))
		if got := field(v, "status", "id"); got != c.ID {
			t.Errorf("%s: .status.id %v", strings.Join(args, " "), got)
		}
	}
}

func TestInspectByName(t *testing.T) {
	env := needCommand(t, "inspect")
	c := samples.Container("log-shipper")
	v := decodeJSON(t, "inspect", mustCrictl(t, env, "inspect", c.Name))
	if got := field(v, "status", "id"); got != c.ID {
		t.Errorf("inspect %s: .status.id %v, want %s", c.Name, got, c.ID)
	}
}

func TestInspectMissingID(t *testing.T) {
	env := needCommand(t, "inspect")
	c := samples.Container("web")
	out, errOut, code := crictl(t, env, "inspect", c.ID, "zzzz")
	if code != 1 {
		t.Errorf("inspect GOOD zzzz: exit %d, want 1", code)
	}
	if !strings.Contains(errOut, "zzzz") {
		t.Errorf("inspect GOOD zzzz: stderr %q does not name zzzz", errOut)
	}
	v := decodeJSON(t, "inspect GOOD zzzz", out)
	if got := field(v, "status", "id"); got != c.ID {
		t.Errorf("inspect GOOD zzzz: .status.id %v, want %s", got, c.ID)
	}
}

func TestInspectpByName(t *testing.T) {
	env := needCommand(t, "inspectp")
	p := samples.Pod("coredns-5d78c9869d-8xk2p")
	v := decodeJSON(t, "inspectp", mustCrictl(t, env, "inspectp", p.Name))
	if got := field(v, "status", "id"); got != p.ID {
		t.Errorf("inspectp %s: .status.id %v, want %s", p.Name, got, p.ID)
	}
	if got := field(v, "status", "metadata", "namespace"); got != p.Namespace {
		t.Errorf("inspectp %s: namespace %v", p.Name, got)
	}
}

func TestInspecti(t *testing.T) {
	env := needCommand(t, "inspecti")
	v := decodeJSON(t, "inspecti", mustCrictl(t, env, "inspecti", env.AppImage))
	tags, _ := field(v, "status", "repoTags").([]any)
	if !slices.Contains(tags, any(env.AppImage)) {
		t.Errorf("inspecti %s: .status.repoTags %v", env.AppImage, tags)
	}
	if id, _ := field(v, "status", "id").(string); !strings.HasPrefix(id, "sha256:") {
		t.Errorf("inspecti %s: .status.id %q", env.AppImage, id)
	}
}

func TestImagefsinfo(t *testing.T) {
	env := needCommand(t, "imagefsinfo")
	v := decodeJSON(t, "imagefsinfo", mustCrictl(t, env, "imagefsinfo"))
	if fs, _ := field(v, "status", "imageFilesystems").([]any); len(fs) == 0 {
		t.Errorf("imagefsinfo: no .status.imageFilesystems in %v", v)
	}
}

func TestInfo(t *testing.T) {
	env := needCommand(t, "info")
	v := decodeJSON(t, "info", mustCrictl(t, env, "info"))
	conds, _ := field(v, "status", "conditions").([]any)
	ready := map[any]any{}
	for _, c := range conds {
		ready[field(c, "type")] = field(c, "status")
	}
	if ready["RuntimeReady"] != true || ready["NetworkReady"] != true {
		t.Errorf("info: conditions %v, want RuntimeReady and NetworkReady true", conds)
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	needCommand(t, "pods")
	const ep = "unix:///nonexistent/x.sock"
	out, errOut, code := run(t, "-r", ep, "pods")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
	lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "/nonexistent/x.sock") {
		t.Errorf("stderr %q: want one line naming the endpoint", errOut)
	}
}

// removeImage deletes what a pull test pulled (the registry image is a
// different image from AppImage, so removing it by ID leaves AppImage alone).
func removeImage(t *testing.T, env *harness.Env, ref string) {
	t.Helper()
	ctx := ctxT(t)
	st, err := env.Images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
	if err != nil || st.GetImage() == nil {
		return
	}
	if _, err := env.Images.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: st.GetImage().GetId()}}); err != nil {
		t.Errorf("remove %s: %v", ref, err)
	}
}

func TestPull(t *testing.T) {
	env := needCommand(t, "pull")
	byDigest := env.Registry + "/" + harness.RegistryRepo + "@" + env.RegistryImageDigest
	for _, ref := range []string{env.RegistryImage, byDigest} {
		t.Cleanup(func() { removeImage(t, env, ref) })
		mustCrictl(t, env, "pull", ref)
		st, err := env.Images.ImageStatus(ctxT(t), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
		if err != nil || st.GetImage() == nil {
			t.Errorf("pull %s: not in the store afterwards (%v)", ref, err)
		}
	}
}

func TestPullAuth(t *testing.T) {
	env := needCommand(t, "pull")
	ref := env.AuthRegistry + "/" + harness.RegistryRepo + ":" + harness.RegistryTags[0]
	t.Cleanup(func() { removeImage(t, env, ref) })
	if _, errOut, code := crictl(t, env, "pull", ref); code != 1 {
		t.Errorf("pull %s without credentials: exit %d, want 1 (stderr %q)", ref, code, errOut)
	}
	mustCrictl(t, env, "pull", "--creds", env.RegistryUser+":"+env.RegistryPassword, ref)
}
