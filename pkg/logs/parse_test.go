package logs

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseCRIHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line    string
		st      parseStatus
		stream  Stream
		partial bool
		content string
		ts      string
	}{
		{line: "2026-01-02T03:04:05.123456789Z stdout F hello\n", stream: Stdout, content: "hello\n", ts: "2026-01-02T03:04:05.123456789Z"},
		{line: "2026-01-02T03:04:05.12345678Z stderr P part\n", stream: Stderr, partial: true, content: "part\n", ts: "2026-01-02T03:04:05.12345678Z"},
		{line: "2026-01-02T03:04:05.1234567Z stdout F x\n", stream: Stdout, content: "x\n", ts: "2026-01-02T03:04:05.1234567Z"},
		{line: "2026-01-02T04:04:05+01:00 stdout F offset\n", stream: Stdout, content: "offset\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout F:x:y tags\n", stream: Stdout, content: "tags\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout P:x partial tags\n", stream: Stdout, partial: true, content: "partial tags\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout X unknown tag is full\n", stream: Stdout, content: "unknown tag is full\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout F \n", stream: Stdout, content: "\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout F\n", stream: Stdout, content: "\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout F   leading spaces\n", stream: Stdout, content: "  leading spaces\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout F crlf\r\n", stream: Stdout, content: "crlf\r\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout F \x1b]0;title\x07\xff\xfe\n", stream: Stdout, content: "\x1b]0;title\x07\xff\xfe\n", ts: "2026-01-02T03:04:05Z"},
		{line: "2026-01-02T03:04:05Z stdout F no newline", stream: Stdout, content: "no newline", ts: "2026-01-02T03:04:05Z"},
		{line: "garbage line\n", st: parseMalformed},
		{line: "\n", st: parseMalformed},
		{line: "2026-01-02T03:04:05Z stdin F x\n", st: parseMalformed},
		{line: "2026-13-02T03:04:05Z stdout F x\n", st: parseMalformed},
		{line: "2026-01-02 03:04:05Z stdout F x\n", st: parseMalformed},
		{line: "2026-01-02T03:04:05Z stdout\n", st: parseMalformed},
		{line: "2026-01-02T03:0", st: parseIncomplete},
		{line: "2026-01-02T03:04:05Z stdo", st: parseIncomplete},
		{line: "2026-01-02T03:04:05Z stdout F", st: parseIncomplete},
		{line: strings.Repeat("1", maxHeader+5), st: parseMalformed},
	}
	for _, tt := range tests {
		var h header
		b := []byte(tt.line)
		st, _ := parseCRIHeader(b[:min(len(b), maxHeader)], Both, &h)
		if st != tt.st {
			t.Errorf("%q: status %d, want %d", tt.line, st, tt.st)
			continue
		}
		if st != parseOK {
			continue
		}
		content := tt.line[h.hdrLen:]
		if h.stream != tt.stream || h.partial != tt.partial || content != tt.content || !h.ts.Equal(mustTime(t, tt.ts)) {
			t.Errorf("%q: got stream %v partial %v content %q ts %v", tt.line, h.stream, h.partial, content, h.ts)
		}
	}
}

func TestParseTS(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"2026-01-02T03:04:05Z", "2026-01-02T03:04:05.1Z", "2026-01-02T03:04:05.123456789Z",
		"2026-01-02T03:04:05.000000000+01:00", "2024-02-29T23:59:59-23:59", "0001-01-01T00:00:00Z",
		"9999-12-31T23:59:59.999999999+00:00",
	} {
		got, ok := parseTS([]byte(s))
		if ref := mustTime(t, s); !ok || !got.Equal(ref) {
			t.Errorf("parseTS(%q) = %v, %v; want %v", s, got, ok, ref)
		}
	}
	for _, s := range []string{
		"", "2026-01-02", "2026-01-02T03:04:05", "2026-01-02T03:04:05z", "2026-01-02t03:04:05Z",
		"2025-02-29T03:04:05Z", "2026-04-31T03:04:05Z", "2026-00-02T03:04:05Z", "2026-01-02T24:04:05Z",
		"2026-01-02T03:60:05Z", "2026-01-02T03:04:60Z", "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05.1234567890Z",
		"2026-01-02T03:04:05+0100", "2026-01-02T03:04:05+01:60", "2026-01-02T03:04:05Z ", "+026-01-02T03:04:05Z",
	} {
		if got, ok := parseTS([]byte(s)); ok {
			t.Errorf("parseTS(%q) = %v, want an error", s, got)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestScanJSONLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line    string
		st      parseStatus
		stream  Stream
		partial bool
		log     string
	}{
		{line: `{"log":"hello\n","stream":"stdout","time":"2026-01-02T03:04:05.5Z"}` + "\n", stream: Stdout, log: "hello\n"},
		{line: `{"log":"part","stream":"stderr","time":"2026-01-02T03:04:05Z"}` + "\n", stream: Stderr, partial: true, log: "part"},
		{line: `{"stream":"stdout","time":"2026-01-02T03:04:05Z","log":"order\n"}` + "\n", stream: Stdout, log: "order\n"},
		{line: `{"log":"esc \"q\" \\ \/ \b\f\r\t \u00e9 \ud83d\ude00\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n",
			stream: Stdout, log: "esc \"q\" \\ / \b\f\r\t é 😀\n"},
		{line: `{"log":"lone \ud800 x\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n", stream: Stdout, log: "lone \ufffd x\n"},
		{line: `{"log":"raw ` + "\xff\xfe" + `\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n", stream: Stdout, log: "raw \xff\xfe\n"},
		{line: `{"log":"a\n","stream":"stdout","attrs":{"k":["v",1,true,null,{"x":"}"}]},"time":"2026-01-02T03:04:05Z"}` + "\n", stream: Stdout, log: "a\n"},
		{line: ` { "log" : "ws\n" , "stream" : "stdout" , "time" : "2026-01-02T03:04:05Z" } ` + "\r\n", stream: Stdout, log: "ws\n"},
		{line: `{"log":"no newline at eof\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}`, stream: Stdout, log: "no newline at eof\n"},
		{line: `{"log":"x\n","stream":"stdin","time":"2026-01-02T03:04:05Z"}` + "\n", st: parseMalformed},
		{line: `{"log":"x\n","stream":"stdout"}` + "\n", st: parseMalformed},
		{line: `{"log":"x\n","stream":"stdout","time":"yesterday"}` + "\n", st: parseMalformed},
		{line: `{"stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n", st: parseMalformed},
		{line: `{"log":"x\n","stream":"stdout","time":"2026-01-02T03:04:05Z"} trailing` + "\n", st: parseMalformed},
		{line: `{"log":"x\n",,"stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n", st: parseMalformed},
		{line: `{"log":"x\q","stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n", st: parseMalformed},
		{line: `{"log":"trunc`, st: parseIncomplete},
		{line: `{"log":"split` + "\n" + `","stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n", st: parseMalformed},
	}
	for _, tt := range tests {
		h, st, _ := scanJSONLine(strings.NewReader(tt.line))
		if st != tt.st {
			t.Errorf("%q: status %d, want %d", tt.line, st, tt.st)
			continue
		}
		if st != parseOK {
			continue
		}
		var got bytes.Buffer
		decodeJSONString(strings.NewReader(tt.line[h.logOff:]), func(p []byte) bool { got.Write(p); return true })
		if h.stream != tt.stream || h.partial != tt.partial || got.String() != tt.log {
			t.Errorf("%q: got stream %v partial %v log %q", tt.line, h.stream, h.partial, got.String())
		}
		if h.lineLen != int64(len(tt.line)) {
			t.Errorf("%q: lineLen %d, want %d", tt.line, h.lineLen, len(tt.line))
		}
		var ref struct{ Log string }
		if json.Valid([]byte(tt.line)) && json.Unmarshal([]byte(tt.line), &ref) == nil && ref.Log != got.String() && !strings.Contains(tt.line, "\xff") {
			t.Errorf("%q: decoded %q, encoding/json says %q", tt.line, got.String(), ref.Log)
		}
	}
}

// TestReadFormats runs whole files through Read.
func TestReadFormats(t *testing.T) {
	t.Parallel()
	ts := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Millisecond) }
	tests := []struct {
		name               string
		file               string
		opts               Options
		stdout, stderr     string
		warns              int
		warnMustNotContain string
	}{
		{
			name:   "both streams",
			file:   cri(ts(1), "stdout", "F", "out1") + cri(ts(2), "stderr", "F", "err1") + cri(ts(3), "stdout", "F", "out2"),
			stdout: "out1\nout2\n", stderr: "err1\n",
		},
		{
			name:   "partial lines joined",
			file:   cri(ts(1), "stdout", "P", "a") + cri(ts(2), "stdout", "P", "b") + cri(ts(3), "stdout", "F", "c"),
			opts:   Options{Timestamps: true},
			stdout: "2026-01-02T03:04:05.001000000Z abc\n",
		},
		{
			name: "interleaved partial lines keep per-stream state",
			file: cri(ts(1), "stdout", "P", "out-part1-") + cri(ts(2), "stderr", "F", "err-full") +
				cri(ts(3), "stdout", "F", "out-part2"),
			opts:   Options{Timestamps: true},
			stdout: "2026-01-02T03:04:05.001000000Z out-part1-out-part2\n",
			stderr: "2026-01-02T03:04:05.002000000Z err-full\n",
		},
		{
			name: "interleaved partial lines on both streams",
			file: cri(ts(1), "stdout", "P", "o1-") + cri(ts(2), "stderr", "P", "e1-") + cri(ts(3), "stdout", "F", "o2") +
				cri(ts(4), "stderr", "P", "e2-") + cri(ts(5), "stderr", "F", "e3"),
			stdout: "o1-o2\n", stderr: "e1-e2-e3\n",
		},
		{
			name:   "tags",
			file:   cri(ts(1), "stdout", "F:x:y", "extended") + cri(ts(2), "stdout", "X", "unknown") + cri(ts(3), "stdout", "P:z", "p-") + cri(ts(4), "stdout", "F", "f"),
			stdout: "extended\nunknown\np-f\n",
		},
		{
			name:   "empty content and leading spaces",
			file:   cri(ts(1), "stdout", "F", "") + "2026-01-02T03:04:05Z stdout F\n" + cri(ts(3), "stdout", "F", "  two spaces"),
			stdout: "\n\n  two spaces\n",
		},
		{
			name:   "CRLF, lone CR, escapes and invalid UTF-8 pass through",
			file:   cri(ts(1), "stdout", "F", "crlf\r") + cri(ts(2), "stdout", "F", "a\rb \x1b[31mred\x1b]0;t\x07 \xff\xfe"),
			stdout: "crlf\r\na\rb \x1b[31mred\x1b]0;t\x07 \xff\xfe\n",
		},
		{
			name: "timestamps of 28 to 30 characters and offsets are normalised",
			file: "2026-01-02T03:04:05.1234567Z stdout F a\n" + "2026-01-02T03:04:05.12345678Z stdout F b\n" +
				"2026-01-02T03:04:05.123456789Z stdout F c\n" + "2026-01-02T04:04:06+01:00 stdout F d\n" +
				"2026-01-02T03:04:07.5-02:30 stdout F e\n",
			opts: Options{Timestamps: true},
			stdout: "2026-01-02T03:04:05.123456700Z a\n2026-01-02T03:04:05.123456780Z b\n2026-01-02T03:04:05.123456789Z c\n" +
				"2026-01-02T03:04:06.000000000Z d\n2026-01-02T05:34:07.500000000Z e\n",
		},
		{
			name:   "garbage first line",
			file:   "root:$6$SECRETHASH:19000:0:99999:7:::\n" + cri(ts(1), "stdout", "F", "ok"),
			stdout: "ok\n", warns: 1, warnMustNotContain: "SECRET",
		},
		{
			name:   "NUL hole first",
			file:   strings.Repeat("\x00", 5000) + cri(ts(1), "stdout", "F", "after hole") + cri(ts(2), "stdout", "F", "next"),
			stdout: "after hole\nnext\n", warns: 1,
		},
		{
			name:   "NUL hole ending in a newline",
			file:   strings.Repeat("\x00", 100) + "\n" + cri(ts(1), "stdout", "F", "ok"),
			stdout: "ok\n", warns: 2,
		},
		{
			name: "docker json then CRI",
			file: `{"log":"json1\n","stream":"stdout","time":"2026-01-02T03:04:05.001Z"}` + "\n" +
				`{"log":"json-err\n","stream":"stderr","time":"2026-01-02T03:04:05.002Z"}` + "\n" +
				cri(ts(3), "stdout", "F", "cri1"),
			stdout: "json1\ncri1\n", stderr: "json-err\n",
		},
		{
			name: "docker json partial entries joined",
			file: `{"log":"part-","stream":"stdout","time":"2026-01-02T03:04:05.001Z"}` + "\n" +
				`{"log":"end\n","stream":"stdout","time":"2026-01-02T03:04:05.002Z"}` + "\n",
			opts:   Options{Timestamps: true},
			stdout: "2026-01-02T03:04:05.001000000Z part-end\n",
		},
		{
			name:   "final line without newline printed as it is",
			file:   cri(ts(1), "stdout", "F", "one") + "2026-01-02T03:04:05.002Z stdout F two",
			stdout: "one\ntwo",
		},
		{
			name:   "final partial line printed as it is",
			file:   cri(ts(1), "stdout", "F", "one") + cri(ts(2), "stdout", "P", "two-"),
			stdout: "one\ntwo-",
		},
		{
			name:   "truncated in the timestamp",
			file:   cri(ts(1), "stdout", "F", "one") + "2026-01-02T03:0",
			stdout: "one\n", warns: 1,
		},
		{
			name:   "truncated json line",
			file:   cri(ts(1), "stdout", "F", "one") + `{"log":"SECRET`,
			stdout: "one\n", warns: 1, warnMustNotContain: "SECRET",
		},
		{
			name:   "malformed lines in the middle",
			file:   cri(ts(1), "stdout", "F", "one") + "bad\n\n2026-01-02T03:04:05Z stdin F x\n" + cri(ts(2), "stdout", "F", "two"),
			stdout: "one\ntwo\n", warns: 3,
		},
		{
			name:   "stream stdout",
			file:   cri(ts(1), "stdout", "F", "o") + cri(ts(2), "stderr", "F", "e"),
			opts:   Options{Stream: Stdout},
			stdout: "o\n",
		},
		{
			name:   "stream stderr",
			file:   cri(ts(1), "stdout", "F", "o") + cri(ts(2), "stderr", "F", "e"),
			opts:   Options{Stream: Stderr},
			stderr: "e\n",
		},
		{
			name:   "limit bytes cuts mid-line",
			file:   cri(ts(1), "stdout", "F", "0123456789") + cri(ts(2), "stdout", "F", "abcdef"),
			opts:   Options{LimitBytes: 14},
			stdout: "0123456789\nabc",
		},
		{
			name:   "limit bytes counts timestamps",
			file:   cri(ts(1), "stdout", "F", "0123456789"),
			opts:   Options{LimitBytes: 31, Timestamps: true},
			stdout: "2026-01-02T03:04:05.001000000Z ",
		},
		{
			name:   "more than ten malformed lines are summarised",
			file:   strings.Repeat("bad\n", 15) + cri(ts(1), "stdout", "F", "ok"),
			stdout: "ok\n", warns: 11,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, filepath.Join(logDir(t), "0.log"), tt.file)
			opts := tt.opts
			opts.Tail = -1
			r := readOpts(t, p, opts)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.stdout != tt.stdout || r.stderr != tt.stderr {
				t.Errorf("stdout %q, want %q\nstderr %q, want %q", r.stdout, tt.stdout, r.stderr, tt.stderr)
			}
			if n := strings.Count(r.warn, "\n"); n != tt.warns {
				t.Errorf("%d warnings, want %d:\n%s", n, tt.warns, r.warn)
			}
			if tt.warnMustNotContain != "" && strings.Contains(r.warn, tt.warnMustNotContain) {
				t.Errorf("warning leaks content: %s", r.warn)
			}
		})
	}
}

// TestWarningNotInsideLine: a malformed line met while printing a partial
// line is never reported in the middle of that line.
func TestWarningNotInsideLine(t *testing.T) {
	t.Parallel()
	file := cri(t0, "stderr", "P", "start-") + "garbage\n" + cri(t0, "stderr", "F", "end")
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), file)
	for _, stream := range []Stream{Both, Stderr} {
		var both bytes.Buffer
		if err := Read(t.Context(), p, Options{Tail: -1, Stream: stream}, &both, &both, &both, nil); err != nil {
			t.Fatal(err)
		}
		if out := both.String(); !strings.Contains(out, "start-end\n") || strings.Count(out, "warning: ") != 1 {
			t.Errorf("%v: %q", stream, both.String())
		}
	}
}
