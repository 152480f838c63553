package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "crictl.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    Config
		set     string // comma-separated keys reported as set
	}{
		{"zero bytes", "", Default(), ""},
		{"blank lines only", "\n  \n\n", Default(), ""},
		{"comments only", "# nothing here\n\n# really\n", Default(), ""},
		{"document marker only", "---\n", Default(), ""},
		{"null document", "~\n", Default(), ""},
		{"empty mapping", "{}\n", Default(), ""},
		{"utf-8 bom", "\xEF\xBB\xBFdebug: true\n", Config{Timeout: 2 * time.Second, MaxRetries: 3, Debug: true}, "debug"},
		{
			"all keys",
			"runtime-endpoint: unix:///run/containerd/containerd.sock\n" +
				"image-endpoint: \"unix:///run/img.sock\"\n" +
				"timeout: 10\n" +
				"debug: true\n" +
				"pull-image-on-create: true\n" +
				"disable-pull-on-run: false\n" +
				"max-retries: 0\n",
			Config{
				RuntimeEndpoint:   "unix:///run/containerd/containerd.sock",
				ImageEndpoint:     "unix:///run/img.sock",
				Timeout:           10 * time.Second,
				Debug:             true,
				PullImageOnCreate: true,
				MaxRetries:        0,
			},
			"runtime-endpoint,image-endpoint,timeout,debug,pull-image-on-create,disable-pull-on-run,max-retries",
		},
		{"timeout duration", "timeout: 500ms\n", Config{Timeout: 500 * time.Millisecond, MaxRetries: 3}, "timeout"},
		{"timeout zero is the default", "timeout: 0\n", Default(), ""},
		{"timeout negative is the default", "timeout: -3s\n", Default(), ""},
		{"reference-written empty endpoints", "runtime-endpoint: \"\"\nimage-endpoint: \"\"\n", Default(), ""},
		{"quoted bool", "debug: \"true\"\n", Config{Timeout: 2 * time.Second, MaxRetries: 3, Debug: true}, "debug"},
		{"quoted key", "\"max-retries\": 7\n", Config{Timeout: 2 * time.Second, MaxRetries: 7}, "max-retries"},
		{"negative retries", "max-retries: -1\n", Config{Timeout: 2 * time.Second, MaxRetries: -1}, "max-retries"},
		{"crlf", "debug: true\r\ntimeout: 3\r\n", Config{Timeout: 3 * time.Second, MaxRetries: 3, Debug: true}, "timeout,debug"},
		{"flow mapping", "{debug: true, timeout: 4}\n", Config{Timeout: 4 * time.Second, MaxRetries: 3, Debug: true}, "timeout,debug"},
		{"no trailing newline", "max-retries: 5", Config{Timeout: 2 * time.Second, MaxRetries: 5}, "max-retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Load(writeTemp(t, tt.content))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got, set := f.Config()
			if got != tt.want {
				t.Errorf("Config() = %+v, want %+v", got, tt.want)
			}
			var keys []string
			for _, k := range Keys() {
				if set[k] {
					keys = append(keys, k)
				}
			}
			if s := strings.Join(keys, ","); s != tt.set {
				t.Errorf("set = %q, want %q", s, tt.set)
			}
		})
	}
}

func TestLoadMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    string // the error after "path"
	}{
		{"complex key", "? [a]\n: x\n", `:1: keys must be strings, found a list`},
		{"debug yes", "debug: yes\n", `:1: invalid value "yes" for debug (want true or false)`},
		{"debug True", "debug: True\n", `:1: invalid value "True" for debug (want true or false)`},
		{"debug 1", "pull-image-on-create: 1\n", `:1: invalid value "1" for pull-image-on-create (want true or false)`},
		{"missing value", "# c\ndisable-pull-on-run:\n", `:2: missing value for disable-pull-on-run (want true or false)`},
		{"nested map endpoint", "runtime-endpoint: {nested: x}\n", `:1: invalid value for runtime-endpoint: want a string, found a mapping`},
		{"list endpoint", "image-endpoint:\n  - a\n", `:2: invalid value for image-endpoint: want a string, found a list`},
		{"numeric endpoint", "runtime-endpoint: 1234\n", `:1: invalid value for runtime-endpoint: want a string, found an integer "1234" (quote it)`},
		{"endpoint with newline", "runtime-endpoint: \"a\\nb\"\n", `:1: invalid value "a\nb" for runtime-endpoint (control characters are not allowed)`},
		{"timeout float", "timeout: 1.5\n", `:1: invalid value "1.5" for timeout (want whole seconds such as 5, or a duration such as 2s or 500ms)`},
		{"timeout garbage", "\n\ntimeout: soon\n", `:3: invalid value "soon" for timeout (want whole seconds such as 5, or a duration such as 2s or 500ms)`},
		{"timeout overflow", "timeout: 99999999999999\n", `:1: invalid value "99999999999999" for timeout (want whole seconds such as 5, or a duration such as 2s or 500ms)`},
		{"retries float", "max-retries: 2.0\n", `:1: invalid value "2.0" for max-retries (want an integer)`},
		{"retries hex", "max-retries: 0x10\n", `:1: invalid value "0x10" for max-retries (want an integer)`},
		{"top-level list", "- a\n- b\n", `:1: the top level must be a mapping of keys to values, found a list`},
		{"top-level scalar", "hello\n", `:1: the top level must be a mapping of keys to values, found a string "hello"`},
		{"syntax flow", "debug: true\ntimeout: [1\n", `:2: invalid YAML: did not find expected ',' or ']'`},
		{"syntax indent", "debug: true\ntimeout: 2\n  max-retries: 3\n", `:3: invalid YAML: mapping values are not allowed in this context`},
		{"syntax first line", "debug: true: false\n", `:1: invalid YAML: mapping values are not allowed in this context`},
		{"syntax missing colon", "debug: true\ntimeout\n", `:2: invalid YAML: could not find expected ':'`},
		{"syntax tab", "debug: true\n\ttimeout: 2\n", `:2: invalid YAML: found a tab character that violates indentation`},
		{"syntax unterminated quote", "debug: true\nruntime-endpoint: \"abc\n", `:2: invalid YAML: found unexpected end of stream`},
		{"anchor", "timeout: &t 5\n", `:1: anchors (&t) are not supported`},
		{"alias", "timeout: &t 5\nmax-retries: *t\n", `:1: anchors (&t) are not supported`},
		{"alias only", "max-retries: *t\n", `: aliases are not supported (unknown anchor 't' referenced)`},
		{"explicit tag", "timeout: !!str 5\n", `:1: explicit tags (!!str) are not supported`},
		{"two documents", "debug: true\n---\ndebug: false\n", `:2: a second YAML document; the file must hold a single mapping`},
		{"utf-16 le bom", "\xFF\xFEd\x00e\x00", `:1: file is UTF-16 encoded; save it as UTF-8`},
		{"utf-16 be bom", "\xFE\xFF\x00d", `:1: file is UTF-16 encoded; save it as UTF-8`},
		{"utf-16 without bom", "d\x00e\x00b\x00", `:1: file contains NUL bytes; it is binary or UTF-16, not UTF-8 text`},
		{"binary", "debug: true\n\x7fELF\x02\x01", `:2: control character U+007F is not allowed`},
		{"invalid utf-8", "debug: true\ntimeout: \xff\n", `:2: file is not valid UTF-8`},
		{"control char", "debug: true\n\ntimeout: 5\x1b[2J\n", `:3: control character U+001B is not allowed`},
		{"too large", "#" + strings.Repeat("x", MaxFileSize), `: file is larger than 1048576 bytes; this is not a crictl config file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeTemp(t, tt.content)
			f, err := Load(path)
			if err == nil {
				t.Fatalf("Load succeeded (%+v), want error %q", f.vals, tt.want)
			}
			if got, want := err.Error(), path+tt.want; got != want {
				t.Errorf("error\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestLoadFileProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing.yaml")
	_, err := Load(missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: errors.Is(err, fs.ErrNotExist) = false for %v", err)
	}
	if want := missing + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing file: got %v, want %s", err, want)
	}

	if _, err := Load(dir); err == nil || err.Error() != dir+": is a directory, not a config file" {
		t.Errorf("directory: got %v", err)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		if _, err := Load(fifo); err == nil || err.Error() != fifo+": not a regular file" {
			t.Errorf("fifo: got %v", err)
		}
	}

	if f, err := Load(os.DevNull); err != nil {
		t.Errorf("%s: %v", os.DevNull, err)
	} else if cfg, _ := f.Config(); cfg != Default() {
		t.Errorf("%s: Config() = %+v, want defaults", os.DevNull, cfg)
	}

	if os.Geteuid() != 0 {
		unreadable := writeTemp(t, "debug: true\n")
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(unreadable); err == nil || err.Error() != unreadable+": permission denied" {
			t.Errorf("unreadable: got %v", err)
		}
	}
}

func TestGetAndList(t *testing.T) {
	t.Parallel()
	f, err := Load(writeTemp(t, "timeout: 500ms\nimage-endpoint: unix:///img.sock\nmax-retries: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{
		{"runtime-endpoint", ""},
		{"image-endpoint", "unix:///img.sock"},
		{"timeout", "500ms"},
		{"debug", "false"},
		{"pull-image-on-create", "false"},
		{"disable-pull-on-run", "false"},
		{"max-retries", "0"},
		{"read-only", "false"},
		{"allow-remote-stream", "false"},
	}
	got := f.List()
	if len(got) != len(want) {
		t.Fatalf("List() = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("List()[%d] = %q, want %q", i, got[i], want[i])
		}
		if v, err := f.Get(want[i][0]); err != nil || v != want[i][1] {
			t.Errorf("Get(%q) = %q, %v; want %q", want[i][0], v, err, want[i][1])
		}
	}
	if v, _ := New("x").Get(KeyTimeout); v != "2" {
		t.Errorf("default timeout: Get = %q, want 2", v)
	}
	if v, _ := New("x").Get(KeyMaxRetries); v != "3" {
		t.Errorf("default max-retries: Get = %q, want 3", v)
	}
	if _, err := f.Get("timeout-seconds"); err == nil || !strings.HasPrefix(err.Error(), `no configuration option named "timeout-seconds" (valid keys: runtime-endpoint,`) {
		t.Errorf("Get(unknown) error = %v", err)
	}
}

func TestParseTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"5", 5 * time.Second, ""},
		{"0", 0, ""},
		{"-1", -time.Second, ""},
		{"2s", 2 * time.Second, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"1m30s", 90 * time.Second, ""},
		{"1.5s", 1500 * time.Millisecond, ""},
		{"", 0, `invalid timeout "" (want whole seconds such as 5, or a duration such as 2s or 500ms)`},
		{"1.5", 0, `invalid timeout "1.5" (want whole seconds such as 5, or a duration such as 2s or 500ms)`},
		{"5 s", 0, `invalid timeout "5 s" (want whole seconds such as 5, or a duration such as 2s or 500ms)`},
		{"9223372037", 0, `timeout "9223372037" is out of range`},
		{"99999999999999999999", 0, `timeout "99999999999999999999" is out of range`},
		{"9223372036", 9223372036 * time.Second, ""},
	}
	for _, tt := range tests {
		got, err := ParseTimeout(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseTimeout(%q) error = %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseTimeout(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzLoad(f *testing.F) {
	seeds := []string{
		"",
		"runtime-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 2\ndebug: false\n",
		"# c\nimage-endpoint: \"x\" # y\nmax-retries: 3\n",
		"timeout: 500ms\n",
		"{debug: true, timeout: [1\n",
		"a: &x 1\nb: *x\n",
		"- a\n",
		"\xFF\xFEd\x00",
		"debug: true\n---\n",
		"runtime-endpoint: {nested: x}\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	const path = "/fuzz/crictl.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parse(path, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), path+":") {
				t.Fatalf("error does not name the path: %v", err)
			}
			return
		}
		cfg, _ := file.Config()
		if cfg.Timeout <= 0 {
			t.Fatalf("effective timeout %v", cfg.Timeout)
		}
		// Editing a file that parsed must work and keep it parseable.
		if err := file.Set(KeyDebug, "true"); err != nil {
			t.Fatalf("Set after successful parse: %v", err)
		}
		if got, _ := file.Get(KeyDebug); got != "true" {
			t.Fatalf("Get(debug) after Set = %q", got)
		}
		if _, err := parse(path, file.Bytes()); err != nil {
			t.Fatalf("edited file does not parse: %v\n%q", err, file.Bytes())
		}
	})
}

// What the reference accepts, crictl accepts with a warning: keys it does
// not know are ignored, and a key set twice takes the last value.
func TestLoadTolerated(t *testing.T) {
	cases := []struct {
		name, content string
		warnings      []string // after "path"
		check         func(Config) bool
	}{
		{"unknown key", "runtime-endpoint: x\ndebug: false\nruntime_endpoint: y\n",
			[]string{`:3: no configuration option named "runtime_endpoint" (valid keys: runtime-endpoint, image-endpoint, timeout, debug, pull-image-on-create, disable-pull-on-run, max-retries, read-only, allow-remote-stream); it is ignored`},
			func(c Config) bool { return c.RuntimeEndpoint == "x" }},
		{"non-string key", "1: x\n", []string{`:1: no configuration option named "1" (valid keys: runtime-endpoint, image-endpoint, timeout, debug, pull-image-on-create, disable-pull-on-run, max-retries, read-only, allow-remote-stream); it is ignored`}, nil},
		{"merge key", "<<: {debug: true}\n", []string{`:1: no configuration option named "<<" (valid keys: runtime-endpoint, image-endpoint, timeout, debug, pull-image-on-create, disable-pull-on-run, max-retries, read-only, allow-remote-stream); it is ignored`},
			func(c Config) bool { return !c.Debug }},
		{"duplicate key", "debug: true\ntimeout: 2\ndebug: false\ndebug: true\n", []string{`: debug is set on lines 1, 3, 4; the last one counts`},
			func(c Config) bool { return c.Debug && c.Timeout == 2*time.Second }},
		{"newer crictl's key", "runtime-endpoint: unix:///a.sock\nsome-future-key: true\n",
			[]string{`:2: no configuration option named "some-future-key" (valid keys: runtime-endpoint, image-endpoint, timeout, debug, pull-image-on-create, disable-pull-on-run, max-retries, read-only, allow-remote-stream); it is ignored`},
			func(c Config) bool { return c.RuntimeEndpoint == "unix:///a.sock" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "crictl.yaml")
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var want []string
			for _, w := range c.warnings {
				want = append(want, path+w)
			}
			if got := f.Warnings(); !slices.Equal(got, want) {
				t.Errorf("warnings\n got %q\nwant %q", got, want)
			}
			cfg, _ := f.Config()
			if c.check != nil && !c.check(cfg) {
				t.Errorf("config %+v", cfg)
			}
		})
	}
}
