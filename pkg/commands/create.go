package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/criconfig"
	"github.com/crictl/crictl/pkg/imageref"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/resolve"
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

func init() {
	register(command{build: newCreateCommand, group: groupContainers, args: argPod, firstArgOnly: true})
	register(command{build: newRunCommand, group: groupContainers, args: argFile})
}

func newCreateCommand(f *Factory) *cli.Command {
	o := &createOptions{}
	return &cli.Command{
		Name:      "create",
		Usage:     "Create a new container in a pod",
		ArgsUsage: "POD CONTAINER-CONFIG.[json|yaml] POD-CONFIG.[json|yaml]",
		Description: "POD is the pod's ID, ID prefix or name; POD-CONFIG is the config it was created from. Prints the\n" +
			"new container's ID. The image is not pulled unless --with-pull or pull-image-on-create is given.",
		Flags:       o.flags(false),
		Subcommands: []*cli.Command{configSchemaCommand(f)},
		Action: func(c *cli.Context) error {
			if c.NArg() != 3 {
				return usagef(commandPath(c), "create takes a pod, a container config file and a pod config file, got %d arguments", c.NArg())
			}
			pod := c.Args().Get(0)
			if err := kube.CheckArg("pod", pod); err != nil {
				return usagef(commandPath(c), "%v", err)
			}
			o.ctrPath, o.podPath = c.Args().Get(1), c.Args().Get(2)
			if err := o.prepare(c, f, false); err != nil {
				return err
			}
			return runCreate(c.Context, f, o, pod)
		},
	}
}

func runCreate(ctx context.Context, f *Factory, o *createOptions, podArg string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	podID, err := resolve.New(rs, resolve.Scope{}).Pod(ctx, podArg)
	if err != nil {
		return err
	}
	if err := o.pullAll(ctx, f); err != nil {
		return err
	}
	id, err := createContainer(ctx, f, o, podID)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f.IO.Out, id)
	return err
}

func createContainer(ctx context.Context, f *Factory, o *createOptions, podID string) (string, error) {
	rs, err := f.Runtime()
	if err != nil {
		return "", err
	}
	resp, err := rs.CreateContainer(o.timeout.forContainer(ctx), &runtimeapi.CreateContainerRequest{
		PodSandboxId: podID, Config: o.ctr, SandboxConfig: o.pod,
	})
	if err != nil {
		return "", fmt.Errorf("creating the container %s: %w", o.ctr.GetMetadata().GetName(), err)
	}
	return resp.GetContainerId(), nil
}

func newRunCommand(f *Factory) *cli.Command {
	o := &createOptions{}
	return &cli.Command{
		Name:      "run",
		Usage:     "Run a new container in a new pod",
		ArgsUsage: "CONTAINER-CONFIG.[json|yaml] POD-CONFIG.[json|yaml]",
		Description: "Pulls the image (unless --no-pull or disable-pull-on-run), creates the pod, creates and starts the\n" +
			"container, and prints the container's ID. When a step after the pod's creation fails, the pod is\n" +
			"stopped and removed again.",
		Flags:       o.flags(true),
		Subcommands: []*cli.Command{configSchemaCommand(f)},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usagef(commandPath(c), "run takes a container config file and a pod config file, got %d arguments", c.NArg())
			}
			o.ctrPath, o.podPath = c.Args().Get(0), c.Args().Get(1)
			if err := o.prepare(c, f, true); err != nil {
				return err
			}
			return runRun(c.Context, f, o)
		},
	}
}

// runRun pulls first, so a failed pull leaves nothing behind, then makes
// the pod, the container and starts it; when creating or starting the
// container fails, the pod is stopped and removed again.
func runRun(ctx context.Context, f *Factory, o *createOptions) error {
	if err := o.pullAll(ctx, f); err != nil {
		return err
	}
	podID, err := runPodSandbox(ctx, f, o.pod, o.runtime, &o.timeout)
	if err != nil {
		return err
	}
	id, err := createContainer(ctx, f, o, podID)
	if err == nil {
		var rs runtimeapi.RuntimeServiceClient
		if rs, err = f.Runtime(); err == nil {
			if _, err = rs.StartContainer(o.timeout.forContainer(ctx), &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
				err = fmt.Errorf("starting the container %s: %w", id, err)
			}
		}
	}
	if err != nil {
		return rollbackPod(ctx, f, podID, err)
	}
	_, err = fmt.Fprintln(f.IO.Out, id)
	return err
}

// rollbackPod stops and removes the pod run created, after cause, even
// when cause is an interruption; the error reports both.
func rollbackPod(ctx context.Context, f *Factory, podID string, cause error) error {
	ctx = context.WithoutCancel(ctx)
	rs, err := f.Runtime()
	if err == nil {
		if _, err = rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: podID}); err == nil {
			_, err = rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: podID})
		}
	}
	if err != nil {
		return fmt.Errorf("%w; removing the pod %s that run created failed too: %w (remove it with 'crictl rmp -f %s')", cause, podID, err, podID)
	}
	return fmt.Errorf("%w (the pod %s that run created was removed)", cause, podID)
}
