package config

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		sets [][2]string
		want string
	}{
		{
			name: "comments, blank lines and order survive",
			in: `# crictl configuration
# edited by hand

runtime-endpoint: unix:///run/containerd/containerd.sock # main runtime

# images come from the same socket
image-endpoint: "unix:///run/containerd/containerd.sock"

timeout: 2   # seconds
debug: false
`,
			sets: [][2]string{{"debug", "true"}, {"timeout", "500ms"}, {"image-endpoint", "unix:///run/img.sock"}, {"max-retries", "5"}},
			want: `# crictl configuration
# edited by hand

runtime-endpoint: unix:///run/containerd/containerd.sock # main runtime

# images come from the same socket
image-endpoint: unix:///run/img.sock

timeout: 500ms   # seconds
debug: true
max-retries: 5
`,
		},
		{
			name: "empty file",
			in:   "",
			sets: [][2]string{{"runtime-endpoint", "unix:///run/crio/crio.sock"}, {"timeout", "10s"}},
			want: "runtime-endpoint: unix:///run/crio/crio.sock\ntimeout: 10\n",
		},
		{
			name: "comments only",
			in:   "# nothing yet\n",
			sets: [][2]string{{"debug", "true"}},
			want: "# nothing yet\ndebug: true\n",
		},
		{
			name: "no trailing newline",
			in:   "debug: true",
			sets: [][2]string{{"max-retries", "0"}},
			want: "debug: true\nmax-retries: 0\n",
		},
		{
			name: "trailing blank lines",
			in:   "debug: true # ok\n# tail\n\n\n",
			sets: [][2]string{{"timeout", "9"}},
			want: "debug: true # ok\n# tail\ntimeout: 9\n",
		},
		{
			name: "crlf",
			in:   "debug: true\r\ntimeout: 2\r\n",
			sets: [][2]string{{"timeout", "1m"}, {"max-retries", "1"}},
			want: "debug: true\r\ntimeout: 60\r\nmax-retries: 1\r\n",
		},
		{
			name: "indented mapping",
			in:   "  debug: true\n  timeout: 2\n",
			sets: [][2]string{{"max-retries", "4"}},
			want: "  debug: true\n  timeout: 2\n  max-retries: 4\n",
		},
		{
			name: "values that need quotes",
			in:   "runtime-endpoint: unix:///a.sock\n",
			sets: [][2]string{{"runtime-endpoint", ""}, {"image-endpoint", "true"}},
			want: "runtime-endpoint: \"\"\nimage-endpoint: \"true\"\n",
		},
		{
			name: "single-quoted value with escaped quote",
			in:   "image-endpoint: 'it''s' # x\ndebug: false\n",
			sets: [][2]string{{"image-endpoint", "unix:///b"}},
			want: "image-endpoint: unix:///b # x\ndebug: false\n",
		},
		{
			name: "quoted bool replaced by a plain one",
			in:   "debug: \"false\"\n",
			sets: [][2]string{{"debug", "true"}},
			want: "debug: true\n",
		},
		{
			name: "same key set twice",
			in:   "timeout: 2\n",
			sets: [][2]string{{"timeout", "3"}, {"timeout", "4"}},
			want: "timeout: 4\n",
		},
		{
			name: "flow mapping is re-encoded",
			in:   "{debug: true} # flow\n",
			sets: [][2]string{{"timeout", "3"}},
			want: "{debug: true, timeout: 3} # flow\n",
		},
		{
			name: "null document is re-encoded",
			in:   "# head\n~\n",
			sets: [][2]string{{"debug", "true"}},
			want: "# head\ndebug: true\n",
		},
		{
			name: "multi-line plain scalar is re-encoded",
			in:   "# keep me\nruntime-endpoint: unix:///a\n  b\ndebug: true # and me\n",
			sets: [][2]string{{"runtime-endpoint", "unix:///c"}},
			want: "# keep me\nruntime-endpoint: unix:///c\ndebug: true # and me\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeTemp(t, tt.in)
			f, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range tt.sets {
				if err := f.Set(kv[0], kv[1]); err != nil {
					t.Fatalf("Set(%q, %q): %v", kv[0], kv[1], err)
				}
			}
			if got := string(f.Bytes()); got != tt.want {
				t.Errorf("content\n got %q\nwant %q", got, tt.want)
			}
			if err := f.Save(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.want {
				t.Errorf("saved file\n got %q\nwant %q", data, tt.want)
			}
			reloaded, err := Load(path)
			if err != nil {
				t.Fatalf("reload: %v", err)
			}
			last := make(map[string]string)
			for _, kv := range tt.sets {
				last[kv[0]] = scalarText(t, kv[0], kv[1])
			}
			for key, want := range last {
				if got, _ := reloaded.Get(key); got != want {
					t.Errorf("after reload Get(%q) = %q, want %q", key, got, want)
				}
			}
		})
	}
}

func scalarText(t *testing.T, key, value string) string {
	t.Helper()
	var c Config
	if err := setValue(&c, key, value); err != nil {
		t.Fatal(err)
	}
	text, _ := scalarFor(key, c)
	return text
}

func TestSetInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, value, want string }{
		{"debug", "maybe", `invalid value "maybe" for debug (want true or false)`},
		{"debug", "yes", `invalid value "yes" for debug (want true or false)`},
		{"pull-image-on-create", "", `invalid value "" for pull-image-on-create (want true or false)`},
		{"timeout", "soon", `invalid value "soon" for timeout (want whole seconds such as 5, or a duration such as 2s or 500ms)`},
		{"max-retries", "three", `invalid value "three" for max-retries (want an integer)`},
		{"runtime-endpoint", "unix:///a\nb", `invalid value "unix:///a\nb" for runtime-endpoint (control characters are not allowed)`},
		{"runtime_endpoint", "x", `no configuration option named "runtime_endpoint" (valid keys: runtime-endpoint, image-endpoint, timeout, debug, pull-image-on-create, disable-pull-on-run, max-retries, read-only, allow-remote-stream)`},
	}
	const content = "# c\ndebug: false\n"
	for _, tt := range tests {
		path := writeTemp(t, content)
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		err = f.Set(tt.key, tt.value)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Set(%q, %q) error = %v, want %s", tt.key, tt.value, err, tt.want)
		}
		if got := string(f.Bytes()); got != content {
			t.Errorf("Set(%q, %q) changed the content to %q", tt.key, tt.value, got)
		}
	}
}

func TestTimeoutWrittenAsSeconds(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"5": "5", "5s": "5", "2m": "120", "1500ms": "1.5s", "0": "0", "-1": "-1", "250ms": "250ms",
	} {
		f := New(filepath.Join(t.TempDir(), "c.yaml"))
		if err := f.Set(KeyTimeout, in); err != nil {
			t.Fatal(err)
		}
		if got := string(f.Bytes()); got != "timeout: "+want+"\n" {
			t.Errorf("Set(timeout, %q) wrote %q, want %q", in, got, "timeout: "+want+"\n")
		}
	}
}

func TestGetNeverCreatesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "crictl.yaml")
	if _, err := Load(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing) = %v", err)
	}
	f := New(path)
	for _, k := range Keys() {
		if _, err := f.Get(k); err != nil {
			t.Fatal(err)
		}
	}
	_ = f.List()
	if err := f.Set(KeyDebug, "true"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get/List/Set touched the file system: %v", err)
	}
}

func TestSave(t *testing.T) {
	t.Parallel()

	t.Run("creates parents with 0755 and the file with 0600", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		path := filepath.Join(root, "a", "b", "crictl.yaml")
		f := New(path)
		if err := f.Set(KeyRuntimeEndpoint, "unix:///x.sock"); err != nil {
			t.Fatal(err)
		}
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o600)
		dirInfo, err := os.Stat(filepath.Join(root, "a"))
		if err != nil {
			t.Fatal(err)
		}
		if perm := dirInfo.Mode().Perm(); perm&^0o755 != 0 {
			t.Errorf("parent mode %v, want at most 0755", perm)
		}
		assertOnlyFile(t, filepath.Dir(path), "crictl.yaml")
	})

	t.Run("replaces by rename and tightens the mode", func(t *testing.T) {
		t.Parallel()
		path := writeTemp(t, "debug: false\n")
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		old, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer old.Close()
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Set(KeyDebug, "true"); err != nil {
			t.Fatal(err)
		}
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		// A reader that opened the file before Save still sees the old
		// content: the file was replaced, never truncated in place.
		data, err := io.ReadAll(old)
		if err != nil || string(data) != "debug: false\n" {
			t.Errorf("old handle reads %q, %v", data, err)
		}
		data, err = os.ReadFile(path)
		if err != nil || string(data) != "debug: true\n" {
			t.Errorf("new content %q, %v", data, err)
		}
		assertMode(t, path, 0o600)
		assertOnlyFile(t, filepath.Dir(path), "crictl.yaml")
	})

	t.Run("writes through a symlink", func(t *testing.T) {
		t.Parallel()
		target := writeTemp(t, "debug: false\n")
		link := filepath.Join(t.TempDir(), "link.yaml")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		f, err := Load(link)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Set(KeyDebug, "true"); err != nil {
			t.Fatal(err)
		}
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("link replaced: %v %v", fi.Mode(), err)
		}
		if data, _ := os.ReadFile(target); string(data) != "debug: true\n" {
			t.Errorf("target content %q", data)
		}
	})

	t.Run("error names the file", func(t *testing.T) {
		t.Parallel()
		blocker := writeTemp(t, "")
		path := filepath.Join(blocker, "crictl.yaml") // parent is a file
		err := New(path).Save()
		if err == nil || !strings.HasPrefix(err.Error(), path+": cannot save: ") {
			t.Errorf("Save() = %v", err)
		}
	})
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %v, want only %s (temporary file left behind?)", dir, names, name)
	}
}
