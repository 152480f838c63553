package commands

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestPortForward(t *testing.T) {
	t.Parallel()
	e, n, ss := streamEnv(t)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "served %s", r.URL.Path)
	}))
	t.Cleanup(hs.Close)
	ss.Ports[80] = hs.Listener.Addr().String()

	r := e.start(strings.NewReader(""), false, "port-forward", "--address", "127.0.0.1", n.web.Metadata.Name, ":80", "0:81")
	re := regexp.MustCompile(`Forwarding from 127\.0\.0\.1:(\d+) -> 80\n`)
	waitUntil(t, "the Forwarding lines", func() bool { return strings.Count(r.out.String(), "Forwarding from") == 2 })
	m := re.FindStringSubmatch(r.out.String())
	if m == nil {
		t.Fatalf("stdout %q", r.out.String())
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	for i := 0; i < 3; i++ {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%s/p%d", m[1], i))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != fmt.Sprintf("served /p%d", i) {
			t.Errorf("body %q", body)
		}
	}
	// Nothing listens on 81 in the pod: that connection fails, reported;
	// the forwarding goes on.
	m81 := regexp.MustCompile(`127\.0\.0\.1:(\d+) -> 81`).FindStringSubmatch(r.out.String())
	c, err := net.Dial("tcp", "127.0.0.1:"+m81[1])
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(c)
	c.Close()
	waitUntil(t, "the error report", func() bool { return strings.Contains(r.errOut.String(), "nothing listens on port 81") })
	if resp, err := client.Get("http://127.0.0.1:" + m[1] + "/again"); err != nil {
		t.Errorf("forwarding stopped after a failed connection: %v", err)
	} else {
		resp.Body.Close()
	}
	// Ctrl-C ends it with 0.
	r.cancel()
	if code := r.wait(t, 2*time.Second); code != 0 {
		t.Errorf("exit %d, stderr %q", code, r.errOut.String())
	}
	if _, err := net.DialTimeout("tcp", "127.0.0.1:"+m[1], time.Second); err == nil {
		t.Error("still listening after Ctrl-C")
	}
}

func TestPortForwardLocalhost(t *testing.T) {
	t.Parallel()
	e, n, ss := streamEnv(t)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(hs.Close)
	ss.Ports[8080] = hs.Listener.Addr().String()
	r := e.start(strings.NewReader(""), false, "port-forward", n.web.Id[:10], ":8080")
	waitUntil(t, "Forwarding", func() bool { return strings.Contains(r.out.String(), "-> 8080\n") })
	m := regexp.MustCompile(`^Forwarding from 127\.0\.0\.1:(\d+) -> 8080\n`).FindStringSubmatch(r.out.String())
	if m == nil {
		t.Fatalf("stdout %q", r.out.String())
	}
	resp, err := http.Get("http://localhost:" + m[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r.cancel()
	r.wait(t, 2*time.Second)
}

func TestPortForwardErrors(t *testing.T) {
	t.Parallel()
	e, n, _ := streamEnv(t)
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	busyPort := busy.Addr().(*net.TCPAddr).Port

	e.srv.ResetCalls()
	for _, tc := range []struct {
		cmd  string
		want string
	}{
		{"port-forward", "needs a pod and at least one"},
		{"port-forward web", "needs a pod and at least one"},
		{"port-forward web 0", "remote port must be a number from 1 to 65535"},
		{"port-forward web 70000", "remote port"},
		{"port-forward web x:80", "local port"},
		{"port-forward web 1:2:3", "remote port"},
		{"port-forward --address nowhere web 80", `--address: "nowhere" is not an IP address`},
		{"port-forward -r websocket web 80", "speaks spdy only"},
		{"port-forward -r foo web 80", "must be spdy or websocket"},
	} {
		oneError(t, e.run(tc.cmd), tc.want)
	}
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made RPCs: %v", calls)
	}

	// The port in use fails before the PortForward RPC.
	e.srv.ResetCalls()
	oneError(t, e.run(fmt.Sprintf("port-forward --address 127.0.0.1 %s %d:80", n.web.Id, busyPort)), "the port is in use", fmt.Sprint(busyPort))
	for _, c := range e.srv.Calls() {
		if c == "PortForward" {
			t.Error("PortForward called although the local port is in use")
		}
	}
	// A pod that is not ready is refused after PodSandboxStatus.
	e.srv.ResetCalls()
	oneError(t, e.run("port-forward debug-sandbox 0:80"), "pod debug-sandbox", "is NotReady", "needs a ready pod")
	if calls := e.srv.Calls(); len(calls) != 2 || calls[1] != "PodSandboxStatus" {
		t.Errorf("calls %v", calls)
	}
	oneError(t, e.run("port-forward nope 80"), `pod sandbox "nope" not found`)
	// A blackholed stream URL fails within --timeout.
	e.srv.SetStreamServer(nil)
	e.srv.SetStreamURL("PortForward", blackholeURL(t))
	start := time.Now()
	oneError(t, e.run("--timeout 300ms port-forward "+n.web.Id+" 0:80"), "did not answer within 300ms")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}
