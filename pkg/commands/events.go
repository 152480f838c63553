package commands

import (
	"bytes"
	"context"
	"io"
	"strings"
	"text/template"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type eventsOptions struct {
	filter      filterFlags
	out         outputOptions
	types       cli.StringSlice
	rawInterval string

	format   output.Format
	tmpl     *template.Template
	typeSet  map[runtimeapi.ContainerEventType]bool
	interval time.Duration
}

// eventTypes are the --type values, the CRI event types without their
// prefix and suffix.
var eventTypes = map[string]runtimeapi.ContainerEventType{
	"created": runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT,
	"started": runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT,
	"stopped": runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT,
	"deleted": runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT,
}

func newEventsCommand(f *Factory) *cli.Command {
	o := &eventsOptions{}
	u := selectionUsage(false, "", "", fID, fImage, fState, fLatest, fLast, fAll, fLabel, fSelector)
	u[fName] = "keep only events of containers whose name matches this regular expression (--exact: this exact name)"
	u[fNamespace] = "keep only events of pods in this namespace, and of their containers: an exact namespace name, or a regular expression such as 'kube-.*'"
	u[fPod] = "keep only events of this pod and its containers (pod ID, ID prefix or name)"
	flags := append(o.filter.flags(u), o.out.flags(output.JSON, output.YAML, output.GoTemplate, output.TableFormat)...)
	flags = append(flags,
		&cli.StringSliceFlag{Name: "type", Destination: &o.types, Usage: "keep only events of this type: created, started, stopped or deleted (repeatable, or comma-separated)"},
		intervalFlag(&o.rawInterval, intervalUsage))
	return &cli.Command{
		Flags:  flags,
		Action: action(func(c *cli.Context) error { return runEvents(c.Context, f, o) }, noArgs, o.validate),
	}
}

var _ = register(command{name: "events", aliases: []string{"event"}, group: groupRuntime, build: newEventsCommand,
	usage: "Stream the events of containers",
	help: `Prints the runtime's container events (GetContainerEvents) as they come, until Ctrl-C (exit 0):
each event as a JSON document by default, as the reference does, or one line each with -o table
(TIME TYPE CONTAINER NAME POD NAMESPACE). A pod's own events carry its ID as the container ID.
The runtime ending the stream is an error, exit 1.

Where the runtime has no event stream (containerd 1.6), crictl says so once and lists the pods
and containers every --interval (1s by default) instead, making up the events containerd would
have sent from what changed; a container created and removed between two lists is not seen.`})

// validate checks -o and --template with the reference's words, and the
// filters, before any RPC.
func (o *eventsOptions) validate(c *cli.Context) error {
	cmd := commandPath(c)
	format, tmpl := o.out.raw, o.out.template
	if format == "" {
		format = string(output.JSON)
	}
	if rest, ok := strings.CutPrefix(format, string(output.GoTemplate)+"="); ok {
		format, tmpl = string(output.GoTemplate), rest
	}
	switch output.Format(format) {
	case output.JSON, output.YAML, output.TableFormat:
		if tmpl != "" {
			return usagef(cmd, "template can't be used with %q format", format)
		}
	case output.GoTemplate:
		t, err := output.ParseTemplate(tmpl)
		if err != nil {
			return usagef(cmd, "failed to parse go-template: %s", strings.TrimPrefix(err.Error(), "invalid template: "))
		}
		o.tmpl = t
	default:
		return usagef(cmd, "don't support %q format", format)
	}
	o.format = output.Format(format)
	o.typeSet = nil
	for _, v := range o.types.Value() {
		for _, t := range strings.Split(v, ",") {
			et, ok := eventTypes[strings.ToLower(strings.TrimSpace(t))]
			if !ok {
				return usagef(cmd, "--type %q: use created, started, stopped or deleted", t)
			}
			if o.typeSet == nil {
				o.typeSet = map[runtimeapi.ContainerEventType]bool{}
			}
			o.typeSet[et] = true
		}
	}
	var err error
	if o.interval, err = parseInterval(cmd, "interval", o.rawInterval, watch.DefaultInterval); err != nil {
		return err
	}
	return o.filter.validate(cmd)
}

func runEvents(ctx context.Context, f *Factory, o *eventsOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	fl := f.follower(ctx, rs, true, o.interval)
	n := 0
	var buf bytes.Buffer
	return fl.Follow(ctx, func() error {
		if o.format == output.TableFormat {
			if _, err := io.WriteString(f.IO.Out, changeLine(changeHeader("TYPE")...)); err != nil {
				return err
			}
			f.flushOut()
		}
		return nil
	}, func(ch watch.Change) error {
		if !o.match(ch) {
			return nil
		}
		ev := ch.AsEvent(fl.PodContainers(ch.Pod.GetId()))
		buf.Reset()
		switch o.format {
		case output.TableFormat:
			name := "-"
			if !ch.IsPod() {
				name = ch.Container.GetMetadata().GetName()
			}
			buf.WriteString(changeLine(f.changeTime(ch.Time), eventTypeName(ev.GetContainerEventType()),
				output.TruncateID(ev.GetContainerId(), "", false), name, ch.Pod.GetMetadata().GetName(), ch.Pod.GetMetadata().GetNamespace()))
		case output.YAML:
			if n > 0 {
				buf.WriteString("---\n")
			}
			if err := output.Document(&buf, o.format, nil, ev, f.IO.OutTTY); err != nil {
				return err
			}
		default:
			if err := output.Document(&buf, o.format, o.tmpl, ev, f.IO.OutTTY); err != nil {
				// as the reference: a template that does not fit one
				// event is reported, and the stream goes on
				f.warnf("event of %s: %v", ev.GetContainerId(), err)
				return nil
			}
		}
		n++
		_, err := f.IO.Out.Write(buf.Bytes())
		f.flushOut()
		return err
	})
}

// match applies --type, --namespace, --pod and --name to a change.
func (o *eventsOptions) match(ch watch.Change) bool {
	if o.typeSet != nil && !o.typeSet[ch.EventType()] {
		return false
	}
	pod := ch.Pod
	name, ns := pod.GetMetadata().GetName(), pod.GetMetadata().GetNamespace()
	if pod == nil && ch.Container != nil {
		name, ns = kube.PodIndex{}.PodOf(ch.Container)
	}
	if !o.filter.sel.Namespace.Match(ns) {
		return false
	}
	if p := o.filter.pod; p != "" && name != p && !strings.HasPrefix(pod.GetId(), p) {
		return false
	}
	if o.filter.sel.Name != nil && (ch.IsPod() || !o.filter.sel.Name.Match(ch.Container.GetMetadata().GetName())) {
		return false
	}
	return true
}

// eventTypeName is the --type word of an event type.
func eventTypeName(t runtimeapi.ContainerEventType) string {
	for name, et := range eventTypes {
		if et == t {
			return name
		}
	}
	return kube.UnknownEnum(int32(t))
}
