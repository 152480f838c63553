// Package deploy holds the Kubernetes manifests that run crictl bundle on
// every node (or one); this test decodes them strictly against the
// Kubernetes API types and checks what they promise: read-only host
// mounts, least privilege, resource limits, a pinned image, and that the
// command line they run works.
package deploy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/commands"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// decode reads a manifest into v, refusing unknown fields and a wrong
// kind.
func decode(t *testing.T, file, kind string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var meta struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(b, &meta); err != nil || meta.Kind != kind {
		t.Fatalf("%s: kind %q, want %s", file, meta.Kind, kind)
	}
}

func TestNamespace(t *testing.T) {
	t.Parallel()
	var ns corev1.Namespace
	decode(t, "namespace.yaml", "Namespace", &ns)
	if ns.Name != "crictl-bundle" || ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
		t.Errorf("namespace %q, labels %v", ns.Name, ns.Labels)
	}
}

func TestDaemonSet(t *testing.T) {
	t.Parallel()
	var ds appsv1.DaemonSet
	decode(t, "daemonset.yaml", "DaemonSet", &ds)
	if ds.Namespace != "crictl-bundle" {
		t.Errorf("namespace %q", ds.Namespace)
	}
	spec := ds.Spec.Template.Spec
	checkPod(t, "daemonset", spec, nil)
	if !slices.ContainsFunc(spec.Tolerations, func(tl corev1.Toleration) bool { return tl.Operator == corev1.TolerationOpExists && tl.Key == "" }) {
		t.Errorf("the DaemonSet does not tolerate every taint: it would miss nodes")
	}
	if len(spec.InitContainers) != 1 || spec.InitContainers[0].Name != "bundle" {
		t.Fatalf("the bundle runs in one init container: %v", spec.InitContainers)
	}
	args := spec.InitContainers[0].Args
	for _, want := range []string{"--host-root=/host", "bundle", "--output=-", "--base64"} {
		if !slices.Contains(args, want) {
			t.Errorf("the bundle's args lack %s: %q", want, args)
		}
	}
	runArgs(t, spec.InitContainers[0], "BEGIN CRICTL BUNDLE")
}

func TestJob(t *testing.T) {
	t.Parallel()
	var job batchv1.Job
	decode(t, "job.yaml", "Job", &job)
	spec := job.Spec.Template.Spec
	if spec.RestartPolicy != corev1.RestartPolicyNever || job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit != 0 || job.Spec.ActiveDeadlineSeconds == nil {
		t.Errorf("the Job must run once, bounded: restart %q, backoff %v, deadline %v", spec.RestartPolicy, job.Spec.BackoffLimit, job.Spec.ActiveDeadlineSeconds)
	}
	if spec.NodeSelector["kubernetes.io/hostname"] == "" {
		t.Errorf("the Job names no node")
	}
	checkPod(t, "job", spec, map[string]string{"out": "/var/lib/crictl-bundle"})
	runArgs(t, spec.Containers[0], "")
}

// checkPod asserts the least-privilege invariants of a bundle pod;
// writable lists the host paths a pod may write (volume name: path).
func checkPod(t *testing.T, what string, spec corev1.PodSpec, writable map[string]string) {
	t.Helper()
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Errorf("%s: host namespaces: network %v pid %v ipc %v", what, spec.HostNetwork, spec.HostPID, spec.HostIPC)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: a service account token is mounted; the bundle talks to no API", what)
	}
	if sc := spec.SecurityContext; sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: no RuntimeDefault seccomp profile", what)
	}
	hostPaths := map[string]string{}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
			if w, ok := writable[v.Name]; ok && w != v.HostPath.Path {
				t.Errorf("%s: writable host path %s is %s, want %s", what, v.Name, v.HostPath.Path, w)
			}
		}
		if v.EmptyDir != nil && v.EmptyDir.SizeLimit == nil {
			t.Errorf("%s: emptyDir %s has no size limit", what, v.Name)
		}
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("%s/%s: no security context", what, c.Name)
			continue
		case sc.Privileged == nil || *sc.Privileged:
			t.Errorf("%s/%s: privileged (or not said otherwise)", what, c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("%s/%s: privilege escalation allowed", what, c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("%s/%s: writable root file system", what, c.Name)
		case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
			t.Errorf("%s/%s: capabilities not all dropped: %+v", what, c.Name, sc.Capabilities)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if c.Resources.Limits.Name(r, "").IsZero() || c.Resources.Requests.Name(r, "").IsZero() {
				t.Errorf("%s/%s: no %s request and limit", what, c.Name, r)
			}
		}
		img, tag, ok := strings.Cut(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")
		if !ok || tag == "" || tag == "latest" || img == "" || c.ImagePullPolicy != corev1.PullIfNotPresent {
			t.Errorf("%s/%s: image %q, pull policy %q: pin a tag", what, c.Name, c.Image, c.ImagePullPolicy)
		}
		for _, m := range c.VolumeMounts {
			hp, isHost := hostPaths[m.Name]
			if !isHost {
				continue
			}
			if _, ok := writable[m.Name]; !ok && !m.ReadOnly {
				t.Errorf("%s/%s: host path %s mounted writable", what, c.Name, hp)
			}
			// Host paths the bundle reads sit under --host-root=/host
			// where the host has them.
			if _, ok := writable[m.Name]; !ok && m.MountPath != "/host"+hp {
				t.Errorf("%s/%s: host path %s mounted at %s, not at /host%s", what, c.Name, hp, m.MountPath, hp)
			}
		}
	}
}

// runArgs runs the container's command line against a fake runtime, the
// host root a temporary directory with the runtime's socket where the
// manifest mounts it, and checks it writes a bundle.
func runArgs(t *testing.T, c corev1.Container, wantOut string) {
	t.Helper()
	root := crifake.ShortTempDir(t)
	srv := crifake.New()
	t.Cleanup(srv.Close)
	var sockDir string
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(m.MountPath, "/host/run/") {
			sockDir = filepath.Join(root, strings.TrimPrefix(m.MountPath, "/host"))
		}
	}
	if sockDir == "" {
		t.Fatalf("no runtime socket mounted under /host/run")
	}
	if err := os.MkdirAll(sockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ListenUnix(sockDir); err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	env := map[string]string{"NODE_NAME": "node-1", "CRI_CONFIG_FILE": ""}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
			t.Errorf("env %s from %s", e.Name, e.ValueFrom.FieldRef.FieldPath)
		}
	}
	var args []string
	for _, a := range c.Args {
		a = strings.ReplaceAll(a, "$(NODE_NAME)", "node-1")
		a = strings.Replace(a, "--host-root=/host", "--host-root="+root, 1)
		a = strings.Replace(a, "=/out/", "="+outDir+"/", 1)
		args = append(args, a)
	}
	var out, errOut bytes.Buffer
	f := &commands.Factory{
		IO:     commands.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Now:    func() time.Time { return crifake.FixedTime },
		Getenv: func(k string) string { return env[k] },
		// The default endpoint, as the host names it: crifake's socket.
		DefaultEndpoints: []string{"unix://" + strings.TrimPrefix(filepath.Join(sockDir, "cri.sock"), root)},
		Version:          "v0.0.0-test",
	}
	code := commands.Run(context.Background(), f, append([]string{"crictl"}, args...))
	if code != 0 {
		t.Fatalf("crictl %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	if wantOut != "" && !strings.Contains(out.String(), wantOut) {
		t.Errorf("stdout lacks %q", wantOut)
	}
	if wantOut == "" {
		if _, err := os.Stat(filepath.Join(outDir, "node-1.tar.gz")); err != nil {
			t.Errorf("no bundle in the output volume: %v", err)
		}
	}
}

// kustomization is the part of a Kustomization these files use.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images,omitempty"`
	Patches []struct {
		Target struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"target"`
		Patch string `json:"patch"`
	} `json:"patches,omitempty"`
}

func TestKustomization(t *testing.T) {
	t.Parallel()
	var k kustomization
	decode(t, "kustomization.yaml", "Kustomization", &k)
	for _, r := range k.Resources {
		if _, err := os.Stat(r); err != nil {
			t.Errorf("resource %s: %v", r, err)
		}
	}
	if !slices.Contains(k.Resources, "daemonset.yaml") || !slices.Contains(k.Resources, "namespace.yaml") || k.Namespace != "crictl-bundle" {
		t.Errorf("kustomization: %+v", k)
	}
	if len(k.Images) != 1 || k.Images[0].Name != "crictl" || k.Images[0].NewTag == "" || k.Images[0].NewTag == "latest" {
		t.Errorf("images: %+v", k.Images)
	}

	var sel kustomization
	decode(t, filepath.Join("node-selector", "kustomization.yaml"), "Kustomization", &sel)
	if len(sel.Resources) != 1 || sel.Resources[0] != ".." || len(sel.Patches) != 1 || sel.Patches[0].Target.Kind != "DaemonSet" {
		t.Fatalf("node-selector: %+v", sel)
	}
	var ops []struct {
		Op    string            `json:"op"`
		Path  string            `json:"path"`
		Value map[string]string `json:"value"`
	}
	if err := yaml.UnmarshalStrict([]byte(sel.Patches[0].Patch), &ops); err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || ops[0].Op != "add" || ops[0].Path != "/spec/template/spec/nodeSelector" || ops[0].Value["crictl-bundle"] != "true" {
		t.Errorf("node-selector patch: %+v", ops)
	}
}
