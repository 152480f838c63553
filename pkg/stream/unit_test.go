package stream_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/crictl/crictl/pkg/stream"
	"k8s.io/streaming/pkg/httpstream/wsstream"
)

func TestResolveURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"http://10.0.0.1:10010/exec/abc":  "http://10.0.0.1:10010/exec/abc",
		"https://node:10250/attach/x?y=1": "https://node:10250/attach/x?y=1",
		"/exec/abc":                       "http://127.0.0.1:10250/exec/abc",
		"exec/abc":                        "http://127.0.0.1:10250/exec/abc",
		"//127.0.0.1:35000/exec/t":        "http://127.0.0.1:35000/exec/t",
		"HTTP://h:1/p":                    "http://h:1/p",
	} {
		u, err := stream.ResolveURL(raw)
		if err != nil || u.String() != want {
			t.Errorf("ResolveURL(%q) = %v, %v; want %s", raw, u, err, want)
		}
	}
	for _, raw := range []string{"", " ", "ftp://h/x", "localhost:10250/exec/x", "http://[::1/x"} {
		if u, err := stream.ResolveURL(raw); err == nil {
			t.Errorf("ResolveURL(%q) = %v, want an error", raw, u)
		}
	}
}

func TestParseDetachKeys(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{
		"ctrl-p,ctrl-q":                       "\x10\x11",
		"ctrl-a":                              "\x01",
		"CTRL-Z,x":                            "\x1a" + "x",
		"ctrl-@":                              "\x00",
		"ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_": "\x1b\x1c\x1d\x1e\x1f",
		"":                                    "",
	} {
		got, err := stream.ParseDetachKeys(s)
		if err != nil || string(got) != want {
			t.Errorf("ParseDetachKeys(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for _, s := range []string{"ctrl-", "ctrl-1", "ctrl-pp", "p,,q", "esc", "\x01", "ctrl-p,"} {
		if _, err := stream.ParseDetachKeys(s); err == nil {
			t.Errorf("ParseDetachKeys(%q): no error", s)
		}
	}
}

func TestEscapeReader(t *testing.T) {
	t.Parallel()
	keys := []byte("\x10\x10\x11")
	for _, tc := range []struct {
		in, out  string
		detached bool
	}{
		{"plain text", "plain text", false},
		{"a\x10b", "a\x10b", false},
		{"a\x10\x10\x10\x11rest", "a\x10", true},
		{"ab\x10\x10", "ab\x10\x10", false},
		{"\x10\x10\x11", "", true},
	} {
		for _, one := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.in)
			if one {
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(stream.NewEscapeReader(r, keys))
			if string(got) != tc.out || errors.Is(err, stream.ErrDetached) != tc.detached {
				t.Errorf("%q (one byte at a time: %v): got %q, %v; want %q, detached %v", tc.in, one, got, err, tc.out, tc.detached)
			}
		}
	}
}

// TestWebSocketV5HalfClose runs against a v5 server (the stream-close
// signal), which the CRI streaming server does not speak yet.
func TestWebSocketV5HalfClose(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
			"v5.channel.k8s.io": {Binary: true, Channels: []wsstream.ChannelType{
				wsstream.ReadChannel, wsstream.WriteChannel, wsstream.WriteChannel, wsstream.WriteChannel, wsstream.ReadChannel,
			}},
		})
		_, streams, err := conn.Open(w, r)
		if err != nil {
			return
		}
		defer conn.Close()
		io.Copy(streams[1], streams[0])
		io.WriteString(streams[2], "stdin closed")
		io.WriteString(streams[3], `{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"42"}]}}`)
	}))
	t.Cleanup(hs.Close)
	var out, errOut syncBuffer
	in := strings.Repeat("x", 100000)
	err := stream.RemoteCommand(context.Background(), target(t, hs.URL+"/exec/t", stream.WebSocket),
		stream.IO{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errOut})
	var ee *stream.ExitError
	if !errors.As(err, &ee) || ee.Code != 42 {
		t.Errorf("err = %v, want exit code 42", err)
	}
	if out.String() != in || errOut.String() != "stdin closed" {
		t.Errorf("stdout %d bytes, stderr %q", len(out.String()), errOut.String())
	}
}
