package commands

import (
	"context"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/cridoc"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type inspectOptions struct {
	filter filterFlags
	print  inspectFlags

	containers *kube.ContainerFilter
}

func newInspectCommand(f *Factory) *cli.Command {
	o := &inspectOptions{}
	return &cli.Command{
		Flags: append(o.filter.flags(selectionUsage(false, "with no CONTAINER given: ", "CONTAINER")), o.print.flags(inspectFormats...)...),
		Action: action(func(c *cli.Context) error { return runInspect(c.Context, f, o, c.Args().Slice()) },
			o.print.out.validate, func(c *cli.Context) (err error) {
				o.containers, err = o.filter.containerFilter(commandPath(c))
				return err
			}),
	}
}

var _ = register(command{name: "inspect", group: groupContainers, args: argContainer, build: newInspectCommand,
	usage: "Display the status of one or more containers", argsUsage: "[CONTAINER (ID, ID prefix or name)...]", help: inspectHelp})

// inspectHelp is the description in "crictl inspect --help".
const inspectHelp = `With no container given, inspects the containers the filter flags select (all running ones by default).
A name is narrowed by --namespace and --pod when given.`

func runInspect(ctx context.Context, f *Factory, o *inspectOptions, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	ids, errs, err := selectIDs(ctx, args, resolve.New(rs, o.filter.scope()).Container, func() ([]string, error) {
		res, err := kube.ListContainers(ctx, rs, f.Image, o.containers, kube.Join{})
		if err != nil {
			return nil, err
		}
		return idsOf(res.Items), nil
	})
	if err != nil {
		return err
	}
	now := f.Now()
	quiet := o.print.quiet
	return inspectAll(ctx, f, &o.print.out, ids, errs, inspected[*runtimeapi.ContainerStatusResponse]{
		redact: o.print.redact,
		fetch: func(ctx context.Context, id string) (*runtimeapi.ContainerStatusResponse, error) {
			r, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: !quiet})
			if cri.IsNotFound(err) {
				err = notFound("container", id, err)
			}
			return r, err
		},
		doc: func(r *runtimeapi.ContainerStatusResponse) (statusDoc, error) {
			return cridoc.Container(r, f.location())
		},
		table: func(kv *output.KV, r *runtimeapi.ContainerStatusResponse) { containerStatusTable(kv, r, now, !quiet) },
	})
}

func containerStatusTable(kv *output.KV, r *runtimeapi.ContainerStatusResponse, now time.Time, verbose bool) {
	st := r.GetStatus()
	kv.Add("ID", st.GetId())
	addIf(kv, "Name", st.GetMetadata().GetName())
	if st.GetMetadata().GetAttempt() != 0 {
		kv.Add("Attempt", strconv.FormatUint(uint64(st.GetMetadata().GetAttempt()), 10))
	}
	kv.Add("State", kube.EnumName(st.GetState().String(), int32(st.GetState())))
	kv.Add("Created", output.Age(now, time.Unix(0, st.GetCreatedAt())))
	if st.GetState() != runtimeapi.ContainerState_CONTAINER_CREATED && st.GetStartedAt() > 0 {
		kv.Add("Started", output.Age(now, time.Unix(0, st.GetStartedAt())))
	}
	if st.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED {
		if st.GetFinishedAt() > 0 {
			kv.Add("Finished", output.Age(now, time.Unix(0, st.GetFinishedAt())))
		}
		kv.Add("Exit Code", strconv.FormatInt(int64(st.GetExitCode()), 10))
	}
	addMap(kv, "Labels", st.GetLabels())
	addMap(kv, "Annotations", st.GetAnnotations())
	// What crictl adds to the reference's lines comes after them.
	if st.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED {
		addIf(kv, "Reason", st.GetReason())
		addIf(kv, "Message", st.GetMessage())
	}
	addIf(kv, "Image", st.GetImage().GetImage())
	addIf(kv, "Image Ref", st.GetImageRef())
	addIf(kv, "Log Path", st.GetLogPath())
	if verbose {
		infoLines(kv, r.GetInfo())
	}
	kv.Blank()
}
