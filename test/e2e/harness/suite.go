package harness

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RuntimesEnvVar selects the runtimes a Suite runs its tests on: a
// comma-separated list of RuntimeKind names, or "all" (the default).
const RuntimesEnvVar = "CRICTL_E2E_RUNTIME"

// Suite shares one environment per runtime among the tests of a test
// binary. Use it from TestMain:
//
//	var suite = harness.Suite{Setup: func(ctx context.Context, env *harness.Env) error { ... }}
//	func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }
//	func TestX(t *testing.T) { env := suite.Env(t); ... }
//
// The tests run once per runtime, one runtime after the other, like `go
// test -count=2` does: the same test names appear once per runtime, and a
// failed test's log ends with the runtime it failed on.
type Suite struct {
	// Options start every environment; Options.Runtime is replaced by each
	// of Runtimes in turn.
	Options Options
	// Runtimes are the runtimes to run the tests on, in this order. Empty:
	// those named by CRICTL_E2E_RUNTIME, and without it every RuntimeKind.
	Runtimes []RuntimeKind
	// Setup, if set, runs once per runtime after its environment is up and
	// before that runtime's tests (e.g. SamplePods).
	Setup func(ctx context.Context, env *Env) error
	// Cleanup, if set, runs when Main ends, also after a signal.
	Cleanup func()

	env   *Env
	multi bool
	skip  string
}

// startTimeout bounds starting an environment, a cold build of Containerd2
// included (its download and build can take several minutes on 2 busy cores).
const startTimeout = 20 * time.Minute

// pendingEnv is an environment being started in the background.
type pendingEnv struct {
	kind RuntimeKind
	done chan struct{} // closed when env and err are set
	env  *Env
	err  error
}

// Main starts an environment for every runtime at once (so the later ones
// start, and Containerd2 builds, while the first one's tests run), then for
// each runtime in turn runs Setup and the tests and tears its environment
// down. It also tears everything down on SIGINT/SIGTERM and shortly before
// -test.timeout would end the binary without running deferred code.
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
	kinds := s.Runtimes
	if len(kinds) == 0 {
		var err error
		if kinds, err = ParseRuntimes(os.Getenv(RuntimesEnvVar)); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: %s: %v\n", RuntimesEnvVar, err)
			return 1
		}
	}
	s.multi = len(kinds) > 1
	logf := s.Options.Logf
	if logf == nil && testing.Verbose() {
		logf = func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()

	pending := make([]*pendingEnv, len(kinds))
	for i, kind := range kinds {
		p := &pendingEnv{kind: kind, done: make(chan struct{})}
		pending[i] = p
		opts := s.Options
		opts.Runtime = kind
		if logf != nil {
			opts.Logf = func(format string, args ...any) { logf(string(kind)+": "+format, args...) }
		}
		go func() {
			p.env, p.err = Start(ctx, opts)
			close(p.done)
		}()
	}
	var closeOnce sync.Once
	closeAll := func(why string) {
		closeOnce.Do(func() {
			cancel() // environments still starting give up and clean up
			for _, p := range pending {
				<-p.done
				if p.env == nil {
					continue
				}
				fmt.Fprintf(os.Stderr, "e2e: %s: tearing down %s\n", why, p.env.Dir)
				if err := p.env.Close(); err != nil {
					fmt.Fprintf(os.Stderr, "e2e: teardown: %v\n", err)
				}
			}
		})
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig, ok := <-sigs
		if !ok {
			return
		}
		closeAll(sig.String())
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
					closeAll(fmt.Sprintf("-test.timeout %v is near", d))
				})
				defer timer.Stop()
			}
		}
	}

	code := 0
	var summary []string
	for _, p := range pending {
		waitFrom := time.Now()
		<-p.done
		if p.err != nil {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: %s did not start: %v (%s=KIND runs the tests on one runtime)\n", p.kind, p.err, RuntimesEnvVar)
			summary = append(summary, fmt.Sprintf("%s: did not start", p.kind))
			code = 1
			continue
		}
		env := p.env
		line, ok := s.runOn(m, env, time.Since(waitFrom), logf)
		summary = append(summary, line)
		if !ok {
			code = 1
		}
		if err := env.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: teardown of %s: %v\n", env.Kind, err)
			code = 1
		}
	}
	if logf != nil || code != 0 {
		fmt.Fprintf(os.Stderr, "e2e: %s\n", strings.Join(summary, "; "))
	}
	return code
}

// runOn runs Setup and the tests on env and returns a line on how long
// that took; waited is how long Main waited for env to start.
func (s *Suite) runOn(m *testing.M, env *Env, waited time.Duration, logf func(string, ...any)) (string, bool) {
	name := fmt.Sprintf("%s %s", env.Kind, env.RuntimeVersion)
	if s.multi || logf != nil {
		fmt.Printf("e2e: === tests on %s (%s)\n", name, env.Dir)
	}
	s.env = env
	defer func() { s.env = nil }()
	var setup time.Duration
	if s.Setup != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		t := time.Now()
		err := s.Setup(ctx, env)
		cancel()
		setup = time.Since(t)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: setup on %s: %v\n", name, err)
			return name + ": setup failed", false
		}
	}
	t := time.Now()
	ok := m.Run() == 0
	took := time.Since(t)
	result := "ok"
	if !ok {
		result = "FAIL"
	}
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	return fmt.Sprintf("%s: %s (start %v, its binaries %v, waited for %v; setup %v; tests %v)", name, result,
		r(env.Timings.Total), r(env.Timings.Build), r(waited), r(setup), r(took)), ok
}

// Env returns the environment of the runtime the tests run on now, or skips
// t with the one-line reason why there is none. When the tests run on more
// than one runtime, a failed test's log ends with the runtime's name.
func (s *Suite) Env(t testing.TB) *Env {
	t.Helper()
	if s.skip != "" {
		t.Skip(s.skip)
	}
	env := s.env
	if env == nil {
		t.Fatal("e2e: no environment: call Suite.Main from TestMain")
	}
	if s.multi {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("(on %s %s)", env.Kind, env.RuntimeVersion)
			}
		})
	}
	return env
}

// Skipping reports whether the tests skip, and why.
func (s *Suite) Skipping() (bool, string) { return s.skip != "", s.skip }
