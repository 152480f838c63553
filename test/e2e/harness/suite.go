package harness

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// Suite shares one environment among the tests of a test binary. Use it
// from TestMain:
//
//	var suite = harness.Suite{Setup: func(ctx context.Context, env *harness.Env) error { ... }}
//	func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }
//	func TestX(t *testing.T) { env := suite.Env(t); ... }
type Suite struct {
	Options Options
	// Setup, if set, runs once after the environment is up (e.g. SamplePods).
	Setup func(ctx context.Context, env *Env) error
	// Cleanup, if set, runs when Main ends, also after a signal.
	Cleanup func()

	env  *Env
	skip string
}

// Main starts the environment, runs the tests and tears the environment down,
// also when the binary gets SIGINT or SIGTERM, and shortly before
// -test.timeout would end it without running deferred code.
//
// Without root, Linux, or apt-get and the binaries, the tests skip with one
// line saying why, unless CI=true is set: then that, like a runtime that does
// not start, makes Main fail. CRICTL_E2E=0 skips on purpose.
func (s *Suite) Main(m *testing.M) int {
	if s.Cleanup != nil {
		defer s.Cleanup()
	}
	flag.Parse()
	if v := os.Getenv("CRICTL_E2E"); v == "0" || v == "off" || v == "false" {
		s.skip = "e2e: skipped: CRICTL_E2E=" + v
		return m.Run()
	}
	ci := os.Getenv("CI") == "true"
	if err := Requirements(); err != nil {
		if ci {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: %v (CI=true makes this a failure)\n", err)
			return 1
		}
		s.skip = fmt.Sprintf("e2e: skipped: %v (set CI=true to make this a failure)", err)
		return m.Run()
	}
	opts := s.Options
	if opts.Logf == nil && testing.Verbose() {
		opts.Logf = func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: the runtime did not start: %v\n", err)
		return 1
	}
	s.env = env

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig, ok := <-sigs
		if !ok {
			return
		}
		fmt.Fprintf(os.Stderr, "e2e: %v: tearing down %s\n", sig, env.Dir)
		if err := env.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: teardown: %v\n", err)
		}
		if s.Cleanup != nil {
			s.Cleanup()
		}
		os.Exit(1)
	}()
	if f := flag.Lookup("test.timeout"); f != nil {
		if g, ok := f.Value.(flag.Getter); ok {
			if d, ok := g.Get().(time.Duration); ok && d > 0 {
				margin := min(d/10, 20*time.Second)
				timer := time.AfterFunc(d-margin, func() {
					fmt.Fprintf(os.Stderr, "e2e: -test.timeout %v is near: tearing down %s\n", d, env.Dir)
					_ = env.Close()
				})
				defer timer.Stop()
			}
		}
	}

	code := 0
	if s.Setup != nil {
		t := time.Now()
		if err := s.Setup(ctx, env); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: setup: %v\n", err)
			code = 1
		} else if opts.Logf != nil {
			opts.Logf("setup done in %v", time.Since(t).Round(time.Millisecond))
		}
	}
	if code == 0 {
		code = m.Run()
	}
	if err := env.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: teardown: %v\n", err)
		code = 1
	}
	return code
}

// Env returns the shared environment, or skips t with the one-line reason
// why there is none.
func (s *Suite) Env(t testing.TB) *Env {
	t.Helper()
	if s.skip != "" {
		t.Skip(s.skip)
	}
	if s.env == nil {
		t.Fatal("e2e: no environment: call Suite.Main from TestMain")
	}
	return s.env
}

// Skipping reports whether the tests skip, and why.
func (s *Suite) Skipping() (bool, string) { return s.skip != "", s.skip }
