package commands

import (
	"context"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newPodsCommand, group: groupPods})
}

type podsOptions struct {
	filter                  filterFlags
	verbose, quiet, noTrunc bool
	noHeaders               bool
	out                     outputOptions

	pods *kube.PodFilter
}

func newPodsCommand(f *Factory) *cli.Command {
	o := &podsOptions{}
	flags := o.filter.flags(map[filterFlag]string{
		fID:        "keep only the pod with this ID (or ID prefix)",
		fName:      "keep only pods with this name (exact; a regular expression with --regex)",
		fNamespace: "keep only pods in this namespace (exact; a regular expression with --regex)",
		fRegex:     regexUsage,
		fState:     "keep only pods in this state: ready or notready",
		fLatest:    "show only the most recently created pod",
		fLast:      "show only the N most recently created pods (0: all)",
		fLabel:     labelUsage,
		fSelector:  selectorUsage,
	})
	flags = append(flags,
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Destination: &o.verbose, Usage: "show every field of each pod"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "print only pod IDs"},
		&cli.BoolFlag{Name: "no-trunc", Destination: &o.noTrunc, Usage: "show full IDs"},
		&cli.BoolFlag{Name: "no-headers", Destination: &o.noHeaders, Usage: "print tables without the header line"},
	)
	flags = append(flags, o.out.flags(listFormats...)...)
	return &cli.Command{
		Name:      "pods",
		Usage:     "List pods",
		UsageText: "crictl pods [options]",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := o.out.validate(c); err != nil {
				return err
			}
			var err error
			if o.pods, err = o.filter.podFilter(commandPath(c)); err != nil {
				return err
			}
			return runPods(c.Context, f, o)
		},
	}
}

func runPods(ctx context.Context, f *Factory, o *podsOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	pods, err := kube.ListPods(ctx, rs, o.pods)
	if err != nil {
		return err
	}
	switch {
	case o.out.isDocument():
		return o.out.document(f, &runtimeapi.ListPodSandboxResponse{Items: pods})
	case o.quiet:
		return writeIDs(f, pods)
	case o.verbose:
		return podsVerbose(f, pods)
	}
	return podsTable(pods, f.Now(), o.noTrunc, o.out.format == output.Wide).Write(f.IO.Out, o.noHeaders)
}

func podsTable(pods []*runtimeapi.PodSandbox, now time.Time, noTrunc, wide bool) *output.Table {
	header := []string{"POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"}
	if wide {
		header = append(header, "UID")
	}
	t := output.NewTable(header...)
	ids := make([]string, len(pods))
	for i, p := range pods {
		ids[i] = p.GetId()
	}
	idCol := output.NewIDColumn(ids, "", noTrunc)
	for _, p := range pods {
		md := p.GetMetadata()
		t.Row(
			idCol.Format(p.GetId()),
			output.Age(now, time.Unix(0, p.GetCreatedAt())),
			kube.PodState(p.GetState()),
			md.GetName(),
			md.GetNamespace(),
			strconv.FormatUint(uint64(md.GetAttempt()), 10),
			kube.RuntimeHandler(p.GetRuntimeHandler()),
			md.GetUid(),
		)
	}
	return t
}

func podsVerbose(f *Factory, pods []*runtimeapi.PodSandbox) error {
	var kv output.KV
	for _, p := range pods {
		md := p.GetMetadata()
		kv.Add("ID", p.GetId())
		addIf(&kv, "Name", md.GetName())
		addIf(&kv, "UID", md.GetUid())
		addIf(&kv, "Namespace", md.GetNamespace())
		if md.GetAttempt() != 0 {
			kv.Add("Attempt", strconv.FormatUint(uint64(md.GetAttempt()), 10))
		}
		kv.Add("Status", kube.PodState(p.GetState()))
		kv.Add("Created", f.localTime(p.GetCreatedAt()).String())
		addMap(&kv, "Labels", p.GetLabels())
		addMap(&kv, "Annotations", p.GetAnnotations())
		kv.Add("Runtime", kube.RuntimeHandler(p.GetRuntimeHandler()))
		kv.Blank()
	}
	_, err := kv.WriteTo(f.IO.Out)
	return err
}
