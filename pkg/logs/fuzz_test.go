package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"2026-01-02T03:04:05.123456789Z stdout F hello\n",
		"2026-01-02T03:04:05Z stderr P:x part\n",
		"2026-01-02T04:04:05+01:00 stdout F\n",
		"2026-01-02T03:04:05.1Z stdout X \r\n",
		`{"log":"a\u00e9\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n",
		`{"log":"\ud800","stream":"stderr","time":"2026-01-02T03:04:05Z","attrs":{"a":[1,{"b":null}]}}`,
		"\x00\x00\x00garbage\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte("2024-02-29T23:59:59.000000001-23:59"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The timestamp parser agrees with the time package.
		if ts, ok := parseTS(data); ok {
			ref, err := time.Parse(time.RFC3339Nano, string(data))
			if err != nil || !ref.Equal(ts) {
				t.Fatalf("parseTS(%q) = %v; time.Parse: %v, %v", data, ts, ref, err)
			}
		}

		// Arbitrary input: no panic, and whatever parses keeps its content.
		var h header
		b := data[:min(len(data), maxHeader)]
		if st, _ := parseCRIHeader(b, Both, &h); st == parseOK {
			if h.hdrLen < 0 || h.hdrLen > len(b) || (h.stream != Stdout && h.stream != Stderr) {
				t.Fatalf("bad header %+v", h)
			}
		}
		if jh, st, _ := scanJSONLine(bytes.NewReader(data)); st == parseOK {
			if jh.logOff < 0 || jh.logOff >= jh.lineLen || jh.lineLen > int64(len(data)) {
				t.Fatalf("bad JSON header %+v", jh)
			}
			var out bytes.Buffer
			if _, err := decodeJSONString(bytes.NewReader(data[jh.logOff:]), func(p []byte) bool { out.Write(p); return true }); err != nil {
				t.Fatalf("decoding a parsed line: %v", err)
			}
			if int64(out.Len()) > jh.lineLen {
				t.Fatal("decoded more than the line")
			}
		}

		// Any content survives a CRI line byte for byte.
		content := bytes.ReplaceAll(data, []byte("\n"), nil)
		for _, tag := range []string{"F", "P", "F:x"} {
			line := append([]byte("2026-01-02T03:04:05.5Z stderr "+tag+" "), content...)
			line = append(line, '\n')
			var h header
			st, _ := parseCRIHeader(line[:min(len(line), maxHeader)], Both, &h)
			if st != parseOK || h.stream != Stderr || h.partial != (tag == "P") || !bytes.Equal(line[h.hdrLen:], append(content, '\n')) {
				t.Fatalf("%q: %d %+v", line, st, h)
			}
		}

		// Any valid UTF-8 survives a docker json-file line.
		if utf8.Valid(data) {
			line, _ := json.Marshal(map[string]string{"log": string(data), "stream": "stdout", "time": "2026-01-02T03:04:05Z"})
			line = append(line, '\n')
			jh, st, reason := scanJSONLine(bytes.NewReader(line))
			if st != parseOK || jh.lineLen != int64(len(line)) {
				t.Fatalf("%q: %d %s", line, st, reason)
			}
			var out bytes.Buffer
			decodeJSONString(bytes.NewReader(line[jh.logOff:]), func(p []byte) bool { out.Write(p); return true })
			if !bytes.Equal(out.Bytes(), data) {
				t.Fatalf("%q: decoded %q", data, out.Bytes())
			}
		}
	})
}

func isSubsequence(sub, s []byte) bool {
	for _, c := range sub {
		i := bytes.IndexByte(s, c)
		if i < 0 {
			return false
		}
		s = s[i+1:]
	}
	return true
}

var (
	gzPool  = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	fuzzSeq atomic.Int64
)

func FuzzRead(f *testing.F) {
	seed := cri(at(0), "stdout", "P", "a") + cri(at(1), "stderr", "F", "e") + cri(at(2), "stdout", "F", "b") +
		`{"log":"j\n","stream":"stdout","time":"2026-01-02T03:04:08Z"}` + "\n" + "garbage\n" +
		cri(at(4), "stderr", "P", "x") + cri(at(5), "stdout", "F:y", "c") + "\x00\x00" + cri(at(6), "stderr", "F", "y")
	f.Add([]byte(seed), 0, int64(-1), uint8(0), false, int64(0), int64(0), false, false)
	f.Add([]byte(seed), 40, int64(2), uint8(1), true, int64(0), int64(3), true, true)
	f.Add([]byte(seed), 100, int64(3), uint8(0), false, int64(17), int64(0), false, true)
	f.Add([]byte(seed+"2026-01-02T03:0"), 9999, int64(1), uint8(2), false, int64(0), int64(-2), false, false)
	f.Add([]byte("\n\n\n"), 1, int64(5), uint8(0), false, int64(0), int64(0), true, false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, split int, tail int64, stream uint8, ts bool, limit, since int64, gz, follow bool) {
		d := filepath.Join(dir, strconv.FormatInt(fuzzSeq.Add(1), 10))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(d)
		live := filepath.Join(d, "0.log")
		split = min(max(split, 0), len(data))
		old, cur := data[:split], data[split:]
		if len(old) > 0 {
			if gz {
				var b bytes.Buffer
				zw := gzPool.Get().(*gzip.Writer)
				zw.Reset(&b)
				zw.Write(old)
				zw.Close()
				gzPool.Put(zw)
				writeFile(t, filepath.Join(d, "0.log.20260101-000000.gz"), b.String())
			} else {
				writeFile(t, filepath.Join(d, "0.log.20260101-000000"), string(old))
			}
		}
		writeFile(t, live, string(cur))
		opts := Options{Tail: tail % 60, Stream: Stream(stream % 3), Timestamps: ts, LimitBytes: limit % 200}
		if since != 0 {
			opts.Since = t0.Add(time.Duration(since%20) * time.Second)
		}
		read := func(opts Options) (string, string) {
			t.Helper()
			var o, e, w bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			exited := func(context.Context) (bool, error) { return false, nil }
			if err := Read(ctx, live, opts, &o, &e, &w, exited); err != nil {
				t.Fatalf("Read(%+v): %v", opts, err)
			}
			if bytes.Contains(w.Bytes(), []byte("\x00")) {
				t.Fatal("a warning carries file content")
			}
			return o.String(), e.String()
		}
		o, e := read(opts)
		if opts.LimitBytes > 0 && int64(len(o)+len(e)) > opts.LimitBytes {
			t.Fatalf("printed %d bytes with a limit of %d", len(o)+len(e), opts.LimitBytes)
		}
		// Following a container that has exited prints what a plain read
		// does. (The order between writers may differ: a line still
		// incomplete waits for the end, so a byte limit can cut elsewhere.)
		if follow && opts.LimitBytes <= 0 {
			fopts := opts
			fopts.Follow = true
			if fo, fe := read(fopts); fo != o || fe != e {
				t.Fatalf("follow printed\nstdout %q\nstderr %q\nplain read\nstdout %q\nstderr %q", fo, fe, o, e)
			}
		}
		if opts.Timestamps || opts.LimitBytes > 0 {
			return
		}
		// Every byte printed comes from the input, in order (unless JSON
		// escapes were decoded, or a newline ended a rotated file's
		// unterminated last line).
		if !bytes.Contains(data, []byte("{")) && (len(old) == 0 || old[len(old)-1] == '\n') {
			if !isSubsequence([]byte(o), data) || !isSubsequence([]byte(e), data) {
				t.Fatalf("output is not from the input:\nstdout %q\nstderr %q", o, e)
			}
		}
		if len(o)+len(e) > len(data)+2 {
			t.Fatalf("printed %d bytes from %d", len(o)+len(e), len(data))
		}
		// Tail prints the end of what a full read prints.
		if opts.Tail >= 0 && opts.Since.IsZero() {
			opts.Tail = -1
			fo, fe := read(opts)
			if len(o) > len(fo) || fo[len(fo)-len(o):] != o || len(e) > len(fe) || fe[len(fe)-len(e):] != e {
				t.Fatalf("tail %d is not a suffix:\nstdout %q of %q\nstderr %q of %q", tail%60, o, fo, e, fe)
			}
		}
	})
}
