package commands

import (
	"context"
	"strconv"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newInspectpCommand, group: groupPods, args: argPod})
}

type inspectpOptions struct {
	filter filterFlags
	quiet  bool
	out    outputOptions

	pods *kube.PodFilter
}

func newInspectpCommand(f *Factory) *cli.Command {
	o := &inspectpOptions{}
	flags := o.filter.flags(map[filterFlag]string{
		fName:      "with no POD given: inspect pods with this name (exact; a regular expression with --regex)",
		fNamespace: "narrow a pod name to this namespace; with no POD given: inspect the pods in it",
		fRegex:     regexUsage,
		fState:     "with no POD given: inspect pods in this state: ready or notready",
		fLatest:    "with no POD given: inspect the most recently created pod",
		fLast:      "with no POD given: inspect the N most recently created pods",
		fLabel:     labelUsage,
		fSelector:  selectorUsage,
	})
	flags = append(flags, &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "leave out the runtime's verbose info"})
	flags = append(flags, o.out.flags(inspectFormats...)...)
	return &cli.Command{
		Name:      "inspectp",
		Usage:     "Display the status of one or more pods",
		ArgsUsage: "[POD (ID, ID prefix or name)...]",
		Description: "With no pod given, inspects the pods the filter flags select (all pods by default).\n" +
			"A pod name is narrowed by --namespace when given.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := o.out.validate(c); err != nil {
				return err
			}
			var err error
			if o.pods, err = o.filter.podFilter(commandPath(c)); err != nil {
				return err
			}
			return runInspectp(c.Context, f, o, c.Args().Slice())
		},
	}
}

func runInspectp(ctx context.Context, f *Factory, o *inspectpOptions, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	var ids []string
	var errs []error
	if len(args) == 0 {
		pods, err := kube.ListPods(ctx, rs, o.pods)
		if err != nil {
			return err
		}
		for _, p := range pods {
			ids = append(ids, p.GetId())
		}
	} else {
		ids, errs = resolveAll(ctx, args, resolve.New(rs, o.filter.scope()).Pod)
	}
	return inspectAll(ctx, f, &o.out, ids, errs, inspected[*runtimeapi.PodSandboxStatusResponse]{
		fetch: func(ctx context.Context, id string) (*runtimeapi.PodSandboxStatusResponse, error) {
			r, err := rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id, Verbose: !o.quiet})
			if cri.IsNotFound(err) {
				err = notFound("pod", id, err)
			}
			return r, err
		},
		doc: func(r *runtimeapi.PodSandboxStatusResponse) (statusDoc, error) {
			st := r.GetStatus()
			return newStatusDoc(st, r.GetInfo(), func(m map[string]any) {
				m["createdAt"] = f.rfc3339(st.GetCreatedAt(), true)
			})
		},
		table: func(kv *output.KV, r *runtimeapi.PodSandboxStatusResponse) { podStatusTable(f, kv, r, !o.quiet) },
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
