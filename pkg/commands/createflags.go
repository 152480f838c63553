package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/criconfig"
	"github.com/crictl/crictl/pkg/imageref"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// createOptions are the flags of create and run.
type createOptions struct {
	noPull, withPull bool
	timeout          cancelTimeout
	pull             pullFlags
	runtime          string // run only

	ctrPath, podPath string
	ctr              *runtimeapi.ContainerConfig
	pod              *runtimeapi.PodSandboxConfig
	doPull           bool
	images           []pullTarget
}

// pullTarget is an image create or run pulls: the container's, and those
// of image volumes.
type pullTarget struct {
	spec *runtimeapi.ImageSpec
	ref  imageref.Reference
}

func (o *createOptions) flags(run bool) []cli.Flag {
	noPull := "do not pull the image (overrides pull-image-on-create: true in the config file)"
	withPull := "pull the image first (overrides pull-image-on-create: false, the default)"
	if run {
		noPull = "do not pull the image (overrides disable-pull-on-run: false, the default)"
		withPull = "pull the image (overrides disable-pull-on-run: true in the config file)"
	}
	fl := []cli.Flag{
		&cli.BoolFlag{Name: "no-pull", Destination: &o.noPull, Usage: noPull},
		&cli.BoolFlag{Name: "with-pull", Destination: &o.withPull, Usage: withPull},
		o.timeout.flag(),
	}
	if run {
		fl = append(fl, &cli.StringFlag{Name: "runtime", Aliases: []string{"r"}, Destination: &o.runtime,
			Usage: "runtime handler of the pod; the runtime defines the available ones"})
	}
	return append(fl, o.pull.flags()...)
}

// prepare validates the flags, reads both config files, decides whether
// to pull and checks the images and credentials: everything before the
// first RPC.
func (o *createOptions) prepare(c *cli.Context, f *Factory, run bool) error {
	cmd := commandPath(c)
	if o.noPull && o.withPull {
		return usagef(cmd, "--no-pull and --with-pull cannot be used together")
	}
	if err := o.timeout.validate(c); err != nil {
		return err
	}
	if err := o.pull.validate(c, f); err != nil {
		return err
	}
	var err error
	if o.ctr, err = criconfig.LoadContainer(o.ctrPath); err != nil {
		return err
	}
	if o.pod, err = criconfig.LoadPod(o.podPath); err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if run {
		o.doPull = o.withPull || !o.noPull && !cfg.DisablePullOnRun
	} else {
		o.doPull = o.withPull || !o.noPull && cfg.PullImageOnCreate
	}
	if !o.doPull {
		return nil
	}
	add := func(image, path string) error {
		ref, err := imageref.Parse(image)
		if err != nil {
			return &criconfig.Error{File: o.ctrPath, Path: path, Msg: err.Error()}
		}
		o.images = append(o.images, pullTarget{
			spec: &runtimeapi.ImageSpec{Image: image, Annotations: o.ctr.GetImage().GetAnnotations()},
			ref:  ref,
		})
		return nil
	}
	if err := add(o.ctr.GetImage().GetImage(), ".image.image"); err != nil {
		return err
	}
	for i, m := range o.ctr.GetMounts() {
		if img := m.GetImage().GetImage(); img != "" {
			if err := add(img, fmt.Sprintf(".mounts[%d].image.image", i)); err != nil {
				return err
			}
		}
	}
	return o.pull.credentials(c.Context, c, f)
}

// pullAll pulls the container's image and its image volumes' images.
func (o *createOptions) pullAll(ctx context.Context, f *Factory) error {
	for _, t := range o.images {
		if _, err := pullImage(ctx, f, &o.pull, t.ref, t.spec, o.pod); err != nil {
			return err
		}
	}
	return nil
}

// command builds create or run: their flags, the jsonschema subcommand,
// and an action that checks the arguments (the two config files come
// last), prepares everything before the first RPC, then runs with the
// arguments.
func (o *createOptions) command(f *Factory, run bool, check func(c *cli.Context) error, runWith func(ctx context.Context, args []string) error) *cli.Command {
	name, want, n := "create", "a pod, a container config file and a pod config file", 3
	if run {
		name, want, n = "run", "a container config file and a pod config file", 2
	}
	return &cli.Command{
		Flags:       o.flags(run),
		Subcommands: []*cli.Command{configSchemaCommand(f)},
		Action: action(func(c *cli.Context) error { return runWith(c.Context, c.Args().Slice()) },
			func(c *cli.Context) error {
				if c.NArg() != n {
					return usagef(commandPath(c), "%s takes %s, got %d arguments", name, want, c.NArg())
				}
				o.ctrPath, o.podPath = c.Args().Get(n-2), c.Args().Get(n-1)
				return nil
			}, check, func(c *cli.Context) error { return o.prepare(c, f, run) }),
	}
}
