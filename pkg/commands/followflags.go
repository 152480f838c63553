package commands

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// followOptions are -w/--watch and --interval of the list commands that
// follow changes after their list (ps, pods).
type followOptions struct {
	watch       bool
	rawInterval string
	interval    time.Duration
}

func (o *followOptions) flags(nouns string) []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Destination: &o.watch,
			Usage: "print the list, then one line per change of the " + nouns + " it selects (created, started, exited or stopped, removed) until Ctrl-C"},
		intervalFlag(&o.rawInterval, intervalUsage),
	}
}

// validate refuses what a follow cannot do, before any RPC.
func (o *followOptions) validate(c *cli.Context, l *listFlags, latest bool, last int) error {
	cmd := commandPath(c)
	var err error
	if o.interval, err = parseInterval(cmd, "interval", o.rawInterval, watch.DefaultInterval); err != nil {
		return err
	}
	if !o.watch {
		return nil
	}
	switch {
	case l.quiet || l.verbose:
		return usagef(cmd, "--watch prints a table or documents: leave out -q and -v")
	case latest || last > 0:
		return usagef(cmd, "--watch follows every change: leave out --latest and --last")
	case l.out.format == output.GoTemplate:
		return usagef(cmd, "--watch prints changes as documents of their own: use -o json or yaml, not go-template")
	}
	return nil
}

// followed is what a command follows: its list, the changes it shows and
// how a change reads as a line.
type followed struct {
	// containers follows containers (ps), else pods.
	containers bool
	// list makes the command's list: the document and the table.
	list func(ctx context.Context) (doc any, table *output.Table, err error)
	// match selects the changes to show.
	match func(watch.Change) bool
	// header, widths and line are the columns of a change line; key names
	// the object in a change document ("container", "pod").
	header []string
	widths []int
	line   func(watch.Change) []string
	key    string
}

// follower follows the runtime's changes for ps -w, pods -w and events:
// from its event stream, or, where it has none, by listing every interval
// after one note saying so. Following is long-running.
func (f *Factory) follower(ctx context.Context, rs runtimeapi.RuntimeServiceClient, containers bool, interval time.Duration) *watch.Follower {
	f.longRunning()
	return &watch.Follower{RS: rs, Containers: containers, Interval: interval, Now: f.Now,
		Polling: func(err error) {
			f.notef("%v: listing every %s instead", unsupported(ctx, rs, err), interval)
		}}
}

// follow prints the list as the command does (a JSON document on one
// line), then each change the command selects as it comes: a line, or a
// document {"time", "type", key}. It ends on Ctrl-C (nil) or when the
// runtime fails or ends its event stream (an error).
func (o *followOptions) follow(ctx context.Context, f *Factory, rs runtimeapi.RuntimeServiceClient, l *listFlags, fw followed) error {
	fl := f.follower(ctx, rs, fw.containers, o.interval)
	format := l.out.format
	var buf bytes.Buffer
	emit := func() error {
		_, err := f.IO.Out.Write(buf.Bytes())
		buf.Reset()
		f.flushOut()
		return err
	}
	docs := 0
	return fl.Follow(ctx, func() error {
		doc, table, err := fw.list(ctx)
		if err != nil {
			return err
		}
		switch format {
		case output.JSON:
			err = jsonLine(&buf, doc)
		case output.YAML:
			err = output.Document(&buf, format, nil, doc, f.IO.OutTTY)
		default:
			if err = table.Write(&buf, l.noHeaders); err == nil && !l.noHeaders {
				buf.WriteString("\n" + paddedLine(fw.widths, fw.header))
			}
		}
		if err != nil {
			return err
		}
		docs++
		return emit()
	}, func(ch watch.Change) error {
		if !fw.match(ch) {
			return nil
		}
		var err error
		switch format {
		case output.JSON, output.YAML:
			var obj proto.Message = ch.Pod
			if fw.containers {
				obj = ch.Container
			}
			doc, derr := changeDoc(f, ch.Time, string(ch.Kind), fw.key, obj)
			if derr != nil {
				return derr
			}
			if format == output.JSON {
				buf.Write(doc)
				buf.WriteByte('\n')
			} else {
				if docs > 0 {
					buf.WriteString("---\n")
				}
				err = output.Document(&buf, format, nil, doc, f.IO.OutTTY)
			}
		default:
			_, err = io.WriteString(&buf, paddedLine(fw.widths, fw.line(ch)))
		}
		if err != nil {
			return err
		}
		docs++
		return emit()
	})
}
