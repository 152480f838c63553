// Command crienv starts and stops a detached e2e environment (an isolated
// containerd with the sample pods, and two loopback registries) for demos
// and manual testing:
//
//	crienv up DIR     start it in DIR, or reuse the one running there; create
//	                  the missing sample pods; print the CRI endpoint on stdout
//	crienv down DIR   tear down what up created in DIR, whichever runtime it
//	                  runs (safe if nothing runs)
//	crienv sweep      clean up after test runs that were killed
//	crienv build      build and cache containerd 2 (what -runtime containerd2
//	                  needs), so that a later start does not wait for it
//
// -runtime containerd (Debian's 1.6, the default) or containerd2 (2.4, built
// from the Go module proxy and cached) selects the runtime of up.
//
// It needs root on Debian/Ubuntu (it installs missing packages with apt-get).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
)

func main() {
	fs := flag.NewFlagSet("crienv", flag.ContinueOnError)
	base := fs.String("base", harness.DefaultBaseDir, "directory of the lock, claims and test runs")
	prefix := fs.Int("subnet-prefix", 24, "pod subnet prefix length (20 for a few thousand pods)")
	kind := fs.String("runtime", string(harness.Containerd), "runtime of up: containerd (Debian's 1.6) or containerd2 (2.4, built and cached)")
	quiet := fs.Bool("q", false, "no progress output")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: crienv [-base DIR] [-subnet-prefix N] [-runtime KIND] [-q] up DIR | down DIR | sweep | build")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	logf := func(format string, args ...any) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "crienv: "+format+"\n", args...)
		}
	}
	args := fs.Args()
	var err error
	switch {
	case len(args) == 2 && args[0] == "up":
		err = up(harness.Options{BaseDir: *base, Dir: args[1], Detached: true, SubnetPrefixLen: *prefix,
			Runtime: harness.RuntimeKind(*kind), Logf: logf})
	case len(args) == 2 && args[0] == "down":
		err = harness.Down(harness.Options{BaseDir: *base, Dir: args[1], Logf: logf})
	case len(args) == 1 && args[0] == "sweep":
		err = harness.Sweep(*base, logf)
	case len(args) == 1 && args[0] == "build":
		err = build(*base, logf)
	default:
		fs.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "crienv: %v\n", err)
		os.Exit(1)
	}
}

func up(opts harness.Options) error {
	logf := opts.Logf
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	env, err := harness.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() { _ = env.Close() }() // detached: only disconnects
	t := time.Now()
	samples, err := env.SamplePods(ctx)
	if err != nil {
		return fmt.Errorf("sample pods: %w (tear down with: crienv down %s)", err, env.Dir)
	}
	n := len(samples.Containers())
	logf("%d sample pods, %d containers in %v", len(samples.Pods), n, time.Since(t).Round(time.Millisecond))
	logf("%s %s; registries: %s (open), %s (auth: user %s, password %s); image %s (%s)", env.Kind, env.RuntimeVersion,
		env.Registry, env.AuthRegistry, env.RegistryUser, env.RegistryPassword, env.RegistryImage, env.RegistryImageDigest)
	fmt.Println(env.Endpoint)
	return nil
}

func build(base string, logf func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir, err := harness.BuildContainerd2(ctx, base, logf)
	if err != nil {
		return err
	}
	logf("containerd %s in %s", harness.Containerd2Version, dir)
	return nil
}
