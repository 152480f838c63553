package commands

import (
	"context"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type podsOptions struct {
	selection
	id, state               string
	verbose, quiet, noTrunc bool
	noHeaders               bool
	out                     outputOptions

	stateV *runtimeapi.PodSandboxStateValue
}

func newPodsCommand(f *Factory) *cli.Command {
	o := &podsOptions{}
	flags := []cli.Flag{
		&cli.StringFlag{Name: "id", Destination: &o.id, Usage: "keep only the pod with this ID (or ID prefix)"},
		&cli.StringFlag{Name: "name", Destination: &o.name, Usage: "keep only pods with this name (exact; a regular expression with --regex)"},
		&cli.StringFlag{Name: "namespace", Destination: &o.namespace, Usage: "keep only pods in this namespace (exact; a regular expression with --regex)"},
		&cli.BoolFlag{Name: "regex", Destination: &o.regex, Usage: "match --name and --namespace as unanchored regular expressions, as the reference crictl"},
		&cli.StringFlag{Name: "state", Aliases: []string{"s"}, Destination: &o.state, Usage: "keep only pods in this state: ready or notready"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Destination: &o.verbose, Usage: "show every field of each pod"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "print only pod IDs"},
		&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Destination: &o.latest, Usage: "show only the most recently created pod"},
		&cli.IntFlag{Name: "last", Aliases: []string{"n"}, Destination: &o.last, Usage: "show only the N most recently created pods (0: all)"},
		&cli.BoolFlag{Name: "no-trunc", Destination: &o.noTrunc, Usage: "show full IDs"},
		&cli.BoolFlag{Name: "no-headers", Destination: &o.noHeaders, Usage: "print tables without the header line"},
	}
	flags = append(flags, o.labels.flags()...)
	flags = append(flags, o.out.flags(output.TableFormat, output.TableFormat, output.Wide, output.JSON, output.YAML, output.GoTemplate)...)
	return &cli.Command{
		Name:      "pods",
		Usage:     "List pods",
		UsageText: "crictl pods [options]",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if err := o.validate(c); err != nil {
				return err
			}
			return runPods(c.Context, f, o)
		},
	}
}

func (o *podsOptions) validate(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	if err := o.out.validate(c); err != nil {
		return err
	}
	return o.validateFilters(c)
}

// validateFilters checks the selecting flags (shared with inspectp).
func (o *podsOptions) validateFilters(c *cli.Context) error {
	cmd := commandPath(c)
	var err error
	if o.stateV, err = parsePodState(o.state); err != nil {
		return usagef(cmd, "%v", err)
	}
	return o.selection.validate(cmd)
}

// listPods lists the pods the filter flags select, newest first.
func listPods(ctx context.Context, f *Factory, o *podsOptions) ([]*runtimeapi.PodSandbox, error) {
	rs, err := f.Runtime()
	if err != nil {
		return nil, err
	}
	r, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{
		Id: o.id, State: o.stateV, LabelSelector: o.labels.exact,
	}})
	if err != nil {
		return nil, err
	}
	pods := make([]*runtimeapi.PodSandbox, 0, len(r.Items))
	for _, p := range r.Items {
		if o.match(p.GetMetadata().GetName(), p.GetMetadata().GetNamespace(), p.GetLabels()) {
			pods = append(pods, p)
		}
	}
	sortPods(pods)
	return limit(pods, o.latest, o.last), nil
}

func runPods(ctx context.Context, f *Factory, o *podsOptions) error {
	pods, err := listPods(ctx, f, o)
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
			podState(p.GetState()),
			md.GetName(),
			md.GetNamespace(),
			strconv.FormatUint(uint64(md.GetAttempt()), 10),
			runtimeHandler(p.GetRuntimeHandler()),
			md.GetUid(),
		)
	}
	return t
}

func runtimeHandler(h string) string {
	if h == "" {
		return "(default)"
	}
	return h
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
		kv.Add("Status", podState(p.GetState()))
		kv.Add("Created", time.Unix(0, p.GetCreatedAt()).String())
		addMap(&kv, "Labels", p.GetLabels())
		addMap(&kv, "Annotations", p.GetAnnotations())
		kv.Add("Runtime", runtimeHandler(p.GetRuntimeHandler()))
		kv.Blank()
	}
	_, err := kv.WriteTo(f.IO.Out)
	return err
}

func addIf(kv *output.KV, key, value string) {
	if value != "" {
		kv.Add(key, value)
	}
}

// addMap writes a map as the reference does: "Labels:" then one
// "\tkey -> value" line per entry, sorted.
func addMap(kv *output.KV, title string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	kv.Header(title)
	for _, k := range sortedKeys(m) {
		kv.Entry(k, m[k])
	}
}

type hasID interface{ GetId() string }

func writeIDs[T hasID](f *Factory, items []T) error {
	buf := make([]byte, 0, len(items)*65)
	for _, it := range items {
		buf = append(buf, output.Escape(it.GetId())...)
		buf = append(buf, '\n')
	}
	_, err := f.IO.Out.Write(buf)
	return err
}
