package commands

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/crictl/crictl/pkg/cri"
)

// version is stamped at build time with
// -ldflags "-X github.com/crictl/crictl/pkg/commands.version=v1.2.3";
// otherwise it comes from the module's build info.
var version = ""

// Version is crictl's own version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// Main runs crictl with args (args[0] is the program name) and returns the
// exit code. SIGINT and SIGTERM cancel the running command; a second one
// ends the process at once.
func Main(args []string) int {
	hooks := &exitHooks{}
	ctx, stop := signalContext(hooks)
	defer stop()
	// A closed pipe must end the output quietly, not kill the process.
	signal.Ignore(syscall.SIGPIPE)
	if os.Getenv("GOGC") == "" {
		// crictl lives for milliseconds: a collection during a 500-pod
		// listing costs more than the few MiB it would save. Commands
		// that run for seconds or longer call f.longRunning.
		debug.SetGCPercent(shortGCPercent)
	}
	f := &Factory{
		IO:               SystemIO(),
		Now:              time.Now,
		Getenv:           os.Getenv,
		DefaultEndpoints: cri.DefaultEndpoints,
		Version:          Version(),
		exitHooks:        hooks,
		exitAfterRun:     true,
	}
	return Run(ctx, f, args)
}

func signalContext(hooks *exitHooks) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		<-ch
		hooks.run()
		os.Exit(130) //nolint:forbidigo // a second Ctrl-C ends a command that does not stop
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// exitHooks run before a second signal ends the process at once, so that
// state outside the process (a terminal in raw mode) is put back.
type exitHooks struct {
	mu   sync.Mutex
	next int
	fns  map[int]func()
}

// add registers fn and returns its removal; on a nil receiver (tests) it
// does nothing.
func (h *exitHooks) add(fn func()) (remove func()) {
	if h == nil {
		return func() {}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fns == nil {
		h.fns = map[int]func(){}
	}
	id := h.next
	h.next++
	h.fns[id] = fn
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.fns, id)
	}
}

func (h *exitHooks) run() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, fn := range h.fns {
		fn()
	}
}

// Run runs one command line with the factory's streams and returns the exit
// code. Tests call it directly.
func Run(ctx context.Context, f *Factory, args []string) (code int) {
	out := newOutWriter(f.IO.Out)
	f.IO.Out = out
	defer f.Close()
	var err error
	// Profiles and spans end with the run, whatever its outcome.
	defer func() { code = f.endObservers(code, err) }()

	a := newAppFor(f, args)
	err = a.RunContext(ctx, a.reorderArgs(args))
	if isBrokenPipe(err) {
		// The reader went away (crictl ps | head -1): end quietly.
		return 0
	}
	var msg string
	code, msg = exitStatus(err)
	if msg != "" {
		f.printError(errors.New(msg))
	}
	if ferr := out.Flush(); ferr != nil {
		if isBrokenPipe(ferr) {
			return code
		}
		f.errorf("writing output: %w", ferr)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// shortGCPercent is the GOGC of a run that lasts milliseconds;
// longGCPercent that of a bundle or a watch (Factory.longRunning).
const shortGCPercent, longGCPercent = 200, 100

// longRunning tells the garbage collector that this run lasts seconds or
// longer (a bundle, a watch): the short-run GOGC lets the heap grow to
// three times what is live, which a command that refreshes for minutes
// pays in resident memory (stats -w at 105 pods: 27-31 MiB). A GOGC set
// by the user wins.
func (f *Factory) longRunning() {
	if f.Getenv("GOGC") == "" {
		debug.SetGCPercent(longGCPercent)
	}
}
