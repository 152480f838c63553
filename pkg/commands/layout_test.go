package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// blockKeys are the keys of the first block of Key: value output (up to
// the first empty line), map entries (tab lines) left out.
func blockKeys(out string) []string {
	var keys []string
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			break
		}
		if strings.HasPrefix(line, "\t") {
			continue
		}
		k, _, _ := strings.Cut(line, ":")
		keys = append(keys, k)
	}
	return keys
}

// Scripts read the verbose and table layouts line by line (kubespray and
// cri-o's tests: `crictl images -v | grep RepoTags | awk -F': ' '{print
// $2}'`). Ours must have the reference's lines, in its order, first; what
// crictl adds comes after them, on lines of its own.
func TestLayoutsReadAsTheReference(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	cases := []struct {
		cmdline        string
		reference, add []string
	}{
		{"images -v nginx", []string{"ID", "RepoTags", "RepoDigests", "Size"}, nil},
		{"ps -v --name coredns", []string{"ID", "PodID", "Namespace", "Name", "Attempt", "State", "Image", "Created", "Labels", "Annotations"}, []string{"Pod"}},
		{"pods -v --name coredns", []string{"ID", "Name", "UID", "Namespace", "Status", "Created", "Labels", "Annotations", "Runtime"}, nil},
		{"inspect -o table " + n.webOld.Id, []string{"ID", "Name", "Attempt", "State", "Created", "Started", "Finished", "Exit Code", "Labels", "Annotations"},
			[]string{"Reason", "Image", "Image Ref", "Log Path", "Info"}},
		{"inspectp -o table " + n.coredns.Id, []string{"ID", "Name", "UID", "Namespace", "Attempt", "Status", "Created", "IP Addresses", "Labels", "Annotations", "Info"}, nil},
		{"inspecti -o table nginx:1.27", []string{"ID", "Tag", "Digest", "Size", "Info"}, nil},
		{"imagefsinfo -o table", []string{"Container Filesystem", "Image Filesystem", "TimeStamp[0]", "Disk[0]", "Inodes[0]", "Mountpoint[0]"}, nil},
		{"version", []string{"Version", "RuntimeName", "RuntimeVersion", "RuntimeApiVersion"}, []string{"CrictlVersion"}},
	}
	for _, c := range cases {
		got := blockKeys(e.ok(c.cmdline))
		if want := append(slices.Clone(c.reference), c.add...); !slices.Equal(got, want) {
			t.Errorf("crictl %s: lines %q, want the reference's %q then %q", c.cmdline, got, c.reference, c.add)
		}
	}
	// One RepoTags line per tag, read as kubespray does.
	e.srv.AddImage(multiTagImage())
	var tags []string
	for _, line := range strings.Split(e.ok("images -v"), "\n") {
		if strings.HasPrefix(line, "RepoTags: ") {
			tags = append(tags, strings.Split(line, ": ")[1])
		}
	}
	if !slices.Contains(tags, "docker.io/library/app:1") || !slices.Contains(tags, "docker.io/library/app:latest") {
		t.Errorf("RepoTags lines read as %q", tags)
	}
}

func multiTagImage() *runtimeapi.Image {
	img := crifake.KubeletImage("docker.io/library/app:1", 1000)
	img.RepoTags = append(img.RepoTags, "docker.io/library/app:latest")
	return img
}
