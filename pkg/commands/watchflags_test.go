package commands

import (
	"context"
	"strings"
	"testing"
	"time"
)

// watch runs a command that does not end by itself (a watch, a follow)
// and presses Ctrl-C (cancels its context) once until returns true for
// what it printed so far; until is called every few milliseconds and may
// act on the runtime in between. It fails the test if that takes over 20s.
func (e *env) watch(tty bool, until func(stdout string) bool, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	f := e.factory(IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut, OutTTY: tty})
	done := make(chan int, 1)
	go func() { done <- Run(ctx, f, append([]string{"crictl"}, args...)) }()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case code := <-done:
			return result{stdout: out.String(), stderr: errOut.String(), code: code}
		case <-deadline:
			cancel()
			e.t.Fatalf("crictl %s: still waiting after 20s; stdout so far:\n%s\nstderr: %s", strings.Join(args, " "), out.String(), errOut.String())
		case <-time.After(5 * time.Millisecond):
			if until(out.String()) {
				cancel()
			}
		}
	}
}

func TestParseInterval(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 3 * time.Second, "1s": time.Second, "500ms": 500 * time.Millisecond, "2": 2 * time.Second, "0.25": 250 * time.Millisecond,
	} {
		if got, err := parseInterval("x", "interval", in, 3*time.Second); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"fast", "10ms", "0", "-1s", "48h", "NaN"} {
		if _, err := parseInterval("x", "interval", bad, time.Second); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
