package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/criconfig"
	"github.com/crictl/crictl/pkg/imageref"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type pullOptions struct {
	pull        pullFlags
	podConfig   string
	annotations cli.StringSlice

	ref     imageref.Reference
	sandbox *runtimeapi.PodSandboxConfig
	ann     map[string]string
}

func newPullCommand(f *Factory) *cli.Command {
	o := &pullOptions{}
	flags := append(o.pull.flags(),
		&cli.StringFlag{Name: "pod-config", Destination: &o.podConfig, TakesFile: true,
			Usage: "pod config file (YAML or JSON) sent with the pull, for runtime handlers that pull per pod"},
		&cli.StringSliceFlag{Name: "annotation", Aliases: []string{"a"}, Destination: &o.annotations,
			Usage: "annotation key=value sent with the pull (repeatable)"},
	)
	return &cli.Command{
		Flags:       flags,
		Subcommands: []*cli.Command{podSchemaCommand(f, "Print the JSON Schema of the --pod-config file")},
		Action: func(c *cli.Context) error {
			cmd := commandPath(c)
			switch {
			case c.NArg() == 0:
				return usagef(cmd, "pull needs an image name: NAME[:TAG|@DIGEST]")
			case c.NArg() > 1:
				return usagef(cmd, "pull takes one image, got %d arguments", c.NArg())
			}
			ref, err := imageref.Parse(c.Args().First())
			if err != nil {
				return usagef(cmd, "%v", err)
			}
			o.ref = ref
			if err := o.pull.validate(c, f); err != nil {
				return err
			}
			if o.ann, err = kube.ParseKeyValues("--annotation", o.annotations.Value()); err != nil {
				return usagef(cmd, "%v", err)
			}
			if c.IsSet("pod-config") {
				if o.sandbox, err = criconfig.LoadPod(o.podConfig); err != nil {
					return err
				}
			}
			if err := o.pull.credentials(c.Context, c, f); err != nil {
				return err
			}
			return runPull(c.Context, f, o, c.Args().First())
		},
	}
}

var _ = register(command{name: "pull", group: groupImages, args: argImage, changes: true, build: newPullCommand,
	usage: "Pull an image from a registry", argsUsage: "NAME[:TAG|@DIGEST]", help: pullHelp})

// pullHelp is the description in "crictl pull --help".
const pullHelp = `The reference is checked before anything is sent to the runtime. Credentials come from
--creds, --auth, --username (with the terminal or --password-stdin), $CRICTL_CREDS, $CRICTL_AUTH,
else from $DOCKER_CONFIG/config.json or ~/.docker/config.json: the registry's credential helper
(credHelpers, else credsStore: docker-credential-NAME on PATH), else its auths entry.`

func runPull(ctx context.Context, f *Factory, o *pullOptions, image string) error {
	ref, err := pullImage(ctx, f, &o.pull, o.ref, &runtimeapi.ImageSpec{Image: image, Annotations: o.ann}, o.sandbox)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "Image is up to date for %s\n", output.Escape(ref))
	return err
}

// pullImage pulls spec with the credentials for ref, bounded by
// --pull-timeout rather than --timeout, showing a spinner on a terminal.
// It returns the image reference the runtime answers.
func pullImage(ctx context.Context, f *Factory, o *pullFlags, ref imageref.Reference, spec *runtimeapi.ImageSpec, sandbox *runtimeapi.PodSandboxConfig) (string, error) {
	auth, err := o.authFor(ctx, f, ref)
	if err != nil {
		return "", err
	}
	is, err := f.Image()
	if err != nil {
		return "", err
	}
	stop := startSpinner(f, "Pulling "+spec.GetImage())
	resp, err := is.PullImage(cri.WithTimeout(ctx, o.timeout), &runtimeapi.PullImageRequest{Image: spec, Auth: auth, SandboxConfig: sandbox})
	stop()
	if err != nil {
		return "", pullError(spec.GetImage(), o.timeout, auth != nil, err)
	}
	return resp.GetImageRef(), nil
}

// pullError explains the failures users meet most: the pull timeout and
// a registry that wants (other) credentials.
func pullError(image string, timeout time.Duration, sentAuth bool, err error) error {
	var ce *cri.Error
	if errors.As(err, &ce) && ce.Code == codes.DeadlineExceeded && timeout > 0 {
		return fmt.Errorf("pulling image: %s: not done within --pull-timeout %s", image, timeout)
	}
	msg := err.Error()
	lower := strings.ToLower(msg)
	if strings.Contains(lower, "401 unauthorized") || strings.Contains(lower, "403 forbidden") || strings.Contains(lower, "authorization failed") {
		if sentAuth {
			msg += " (the registry refused the credentials)"
		} else {
			msg += " (the registry wants credentials: use --creds, --username with --password-stdin, or a docker config.json)"
		}
	}
	return fmt.Errorf("pulling image: %s: %s", image, msg)
}

// spinnerDelay keeps quick pulls (image already present) from flashing.
const spinnerDelay = 300 * time.Millisecond

// startSpinner shows msg with a spinner and the time elapsed on stderr
// while a call that reports no progress runs, only when stderr is a
// terminal (and not with -D, whose lines it would garble). The returned
// stop erases it.
func startSpinner(f *Factory, msg string) (stop func()) {
	if !f.IO.ErrTTY {
		return func() {}
	}
	if cfg, err := f.Config(); err == nil && cfg.Debug {
		return func() {}
	}
	const maxMsg = 60
	msg = output.Escape(msg)
	if len(msg) > maxMsg {
		msg = msg[:maxMsg-3] + "..."
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		delay := time.NewTimer(spinnerDelay)
		defer delay.Stop()
		select {
		case <-done:
			return
		case <-delay.C:
		}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		frames := `|/-\`
		for i := 0; ; i++ {
			fmt.Fprintf(f.IO.ErrOut, "\r\x1b[K%c %s %.1fs", frames[i%len(frames)], msg, time.Since(start).Seconds())
			select {
			case <-done:
				fmt.Fprint(f.IO.ErrOut, "\r\x1b[K")
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}
