package commands

import (
	"context"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type inspectpOptions struct {
	pods  podsOptions
	quiet bool
	out   outputOptions
}

func newInspectpCommand(f *Factory) *cli.Command {
	o := &inspectpOptions{}
	p := &o.pods
	flags := []cli.Flag{
		&cli.StringFlag{Name: "name", Destination: &p.name, Usage: "with no POD given: inspect pods with this name (exact; a regular expression with --regex)"},
		&cli.StringFlag{Name: "namespace", Destination: &p.namespace, Usage: "narrow a pod name to this namespace; with no POD given: inspect the pods in it"},
		&cli.BoolFlag{Name: "regex", Destination: &p.regex, Usage: "match --name and --namespace as unanchored regular expressions"},
		&cli.StringFlag{Name: "state", Aliases: []string{"s"}, Destination: &p.state, Usage: "with no POD given: inspect pods in this state: ready or notready"},
		&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Destination: &p.latest, Usage: "with no POD given: inspect the most recently created pod"},
		&cli.IntFlag{Name: "last", Aliases: []string{"n"}, Destination: &p.last, Usage: "with no POD given: inspect the N most recently created pods"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "leave out the runtime's verbose info"},
	}
	flags = append(flags, p.labels.flags()...)
	flags = append(flags, o.out.flags(output.JSON, output.JSON, output.YAML, output.GoTemplate, output.TableFormat)...)
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
			if err := p.validateFilters(c); err != nil {
				return err
			}
			return runInspectp(c.Context, f, o, c.Args().Slice())
		},
	}
}

func runInspectp(ctx context.Context, f *Factory, o *inspectpOptions, args []string) error {
	var ids []string
	var errs []error
	if len(args) == 0 {
		pods, err := listPods(ctx, f, &o.pods)
		if err != nil {
			return err
		}
		for _, p := range pods {
			ids = append(ids, p.GetId())
		}
	} else {
		r := &resolver{f: f, namespace: o.pods.namespace}
		for _, a := range args {
			id, err := r.podID(ctx, a)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ids = append(ids, id)
		}
	}
	rs, err := f.Runtime()
	if err != nil {
		return err
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
				m["createdAt"] = rfc3339(st.GetCreatedAt(), true)
			})
		},
		table: func(kv *output.KV, r *runtimeapi.PodSandboxStatusResponse) { podStatusTable(kv, r, !o.quiet) },
	})
}

func podStatusTable(kv *output.KV, r *runtimeapi.PodSandboxStatusResponse, verbose bool) {
	st := r.GetStatus()
	md := st.GetMetadata()
	kv.Add("ID", st.GetId())
	addIf(kv, "Name", md.GetName())
	addIf(kv, "UID", md.GetUid())
	addIf(kv, "Namespace", md.GetNamespace())
	kv.Add("Attempt", strconv.FormatUint(uint64(md.GetAttempt()), 10))
	kv.Add("Status", enumName(st.GetState().String(), int32(st.GetState())))
	kv.Add("Created", time.Unix(0, st.GetCreatedAt()).String())
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
