package commands

import (
	"context"
	"strconv"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/cridoc"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type inspectpOptions struct {
	filter filterFlags
	print  inspectFlags

	pods *kube.PodFilter
}

func newInspectpCommand(f *Factory) *cli.Command {
	o := &inspectpOptions{}
	flags := o.filter.flags(selectionUsage(true, "with no POD given: ", "POD", fID))
	return &cli.Command{
		Flags: append(flags, o.print.flags(inspectFormats...)...),
		Action: action(func(c *cli.Context) error { return runInspectp(c.Context, f, o, c.Args().Slice()) },
			o.print.out.validate, func(c *cli.Context) (err error) {
				o.pods, err = o.filter.podFilter(commandPath(c))
				return err
			}),
	}
}

var _ = register(command{name: "inspectp", group: groupPods, args: argPod, build: newInspectpCommand,
	usage: "Display the status of one or more pods", argsUsage: "[POD (ID, ID prefix or name)...]", help: inspectpHelp})

// inspectpHelp is the description in "crictl inspectp --help".
const inspectpHelp = `With no pod given, inspects the pods the filter flags select (all pods by default).
A pod name is narrowed by --namespace when given.`

func runInspectp(ctx context.Context, f *Factory, o *inspectpOptions, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	ids, errs, err := selectIDs(ctx, args, resolve.New(rs, o.filter.scope()).Pod, func() ([]string, error) {
		pods, err := kube.ListPods(ctx, rs, o.pods)
		return idsOf(pods), err
	})
	if err != nil {
		return err
	}
	quiet := o.print.quiet
	return inspectAll(ctx, f, &o.print.out, ids, errs, inspected[*runtimeapi.PodSandboxStatusResponse]{
		redact: o.print.redact,
		fetch: func(ctx context.Context, id string) (*runtimeapi.PodSandboxStatusResponse, error) {
			r, err := rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id, Verbose: !quiet})
			if cri.IsNotFound(err) {
				err = notFound("pod", id, err)
			}
			return r, err
		},
		doc: func(r *runtimeapi.PodSandboxStatusResponse) (statusDoc, error) {
			return cridoc.Pod(r, f.location())
		},
		table: func(kv *output.KV, r *runtimeapi.PodSandboxStatusResponse) { podStatusTable(f, kv, r, !quiet) },
	})
}

func podStatusTable(f *Factory, kv *output.KV, r *runtimeapi.PodSandboxStatusResponse, verbose bool) {
	st := r.GetStatus()
	md := st.GetMetadata()
	kv.Add("ID", st.GetId())
	addIf(kv, "Name", md.GetName())
	addIf(kv, "UID", md.GetUid())
	addIf(kv, "Namespace", md.GetNamespace())
	kv.Add("Attempt", strconv.FormatUint(uint64(md.GetAttempt()), 10))
	kv.Add("Status", kube.EnumName(st.GetState().String(), int32(st.GetState())))
	kv.Add("Created", f.localTime(st.GetCreatedAt()).String())
	if n := st.GetNetwork(); n != nil {
		kv.Add("IP Addresses", n.GetIp())
		for _, ip := range n.GetAdditionalIps() {
			kv.Add("Additional IP", ip.GetIp())
		}
	}
	addMap(kv, "Labels", st.GetLabels())
	addMap(kv, "Annotations", st.GetAnnotations())
	if verbose {
		infoLines(kv, r.GetInfo())
	}
	kv.Blank()
}
