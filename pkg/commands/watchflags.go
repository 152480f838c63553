package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
	"google.golang.org/protobuf/proto"
)

// outSize is the size of the terminal on stdout (a variable for tests).
var outSize watch.Size = func() (int, int, bool) {
	w, h, err := term.GetSize(int(os.Stdout.Fd()))
	return w, h, err == nil
}

// intervalFlag is --interval of the commands that follow or refresh.
func intervalFlag(dest *string, usage string) cli.Flag {
	return &cli.StringFlag{Name: "interval", Destination: dest, Usage: usage, DefaultText: watch.DefaultInterval.String()}
}

// parseInterval reads a refresh or listing interval: a Go duration or
// (fractional) seconds, at least 100ms so a watch cannot spin on the
// runtime; "" is def.
func parseInterval(cmd, flag, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || secs != secs { // NaN
			return 0, usagef(cmd, "--%s %q: want a duration (1s, 500ms) or seconds (2, 0.5)", flag, v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d < 100*time.Millisecond || d > 24*time.Hour {
		return 0, usagef(cmd, "--%s %q: want from 100ms to 24h", flag, v)
	}
	return d, nil
}

// watchFrames shows a frame every interval until Ctrl-C (nil: exit 0) or
// an error (the runtime went away). On a terminal each frame is drawn in
// place; elsewhere tables follow each other as blocks, JSON documents as
// one line each, YAML documents separated by ---.
func watchFrames(ctx context.Context, f *Factory, format output.Format, interval time.Duration,
	frame func(ctx context.Context, w *bytes.Buffer, redraw bool) error) error {
	f.longRunning()
	redraw := f.IO.OutTTY
	sep := ""
	switch {
	case redraw:
	case format == output.TableFormat || format == output.Wide:
		sep = "\n"
	case format == output.YAML:
		sep = "---\n"
	}
	scr := watch.NewScreen(f.IO.Out, redraw, outSize, sep)
	// A second Ctrl-C ends the process at once: the cursor comes back.
	remove := f.exitHooks.add(func() { _ = scr.Close() })
	defer remove()
	defer func() { _ = scr.Close() }()
	var buf bytes.Buffer
	return watch.Every(ctx, interval, func(ctx context.Context) error {
		buf.Reset()
		if err := frame(ctx, &buf, redraw); err != nil {
			return err
		}
		return scr.Show(buf.Bytes())
	})
}

// watchDocument writes one document of a watch: a JSON document on one
// line when frames are not redrawn, else as -o says.
func watchDocument(f *Factory, w *bytes.Buffer, out *outputOptions, v any, redraw bool) error {
	if out.format != output.JSON || redraw {
		return output.Document(w, out.format, out.tmpl, v, f.IO.OutTTY)
	}
	return jsonLine(w, v)
}

// jsonLine writes v as compact JSON and a newline.
func jsonLine(w *bytes.Buffer, v any) error {
	doc, err := output.MarshalJSON(v)
	if err != nil {
		return err
	}
	if err := json.Compact(w, doc); err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	w.WriteByte('\n')
	return nil
}

// intervalUsage says how often a follow lists where the runtime has no
// event stream; the default is a constant (watch.DefaultInterval).
const intervalUsage = "with no event stream from the runtime (containerd 1.6), list every `DURATION` and report what changed (1s, 500ms, 2)"

// changeHeader is the header of the lines of changes of containers
// (events -o table, ps -w); kind is TYPE or CHANGE.
func changeHeader(kind string) []string {
	return []string{"TIME", kind, "CONTAINER", "NAME", "POD", "NAMESPACE"}
}

// The widths the lines of changes are padded to: they come one at a time,
// so the columns cannot be measured first. A time in RFC 3339 with a zone
// offset, a change, a short ID, a container name, a pod name; pods -w has
// a pod name where ps -w has the container's.
var (
	changeWidths    = []int{len(time.RFC3339), 7, output.TruncatedIDLen, 16, 24, 0}
	podChangeWidths = []int{len(time.RFC3339), 7, output.TruncatedIDLen, 32, 0}
)

// changeLine is one line of changes of containers: cells escaped, padded
// to changeWidths with the tables' three spaces, no trailing blanks.
func changeLine(cells ...string) string {
	return paddedLine(changeWidths, cells)
}

// paddedLine pads cells to widths.
func paddedLine(widths []int, cells []string) string {
	var b strings.Builder
	for i, c := range cells {
		c = output.Escape(c)
		if i > 0 {
			b.WriteString("   ")
		}
		b.WriteString(c)
		if i < len(cells)-1 && i < len(widths) {
			for pad := widths[i] - len([]rune(c)); pad > 0; pad-- {
				b.WriteByte(' ')
			}
		}
	}
	return strings.TrimRight(b.String(), " ") + "\n"
}

// changeDoc is the JSON document of a change: its time, its kind and the
// object that changed under key, in that order.
func changeDoc(f *Factory, t time.Time, kind, key string, obj proto.Message) (json.RawMessage, error) {
	raw, err := output.MarshalJSON(obj)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"time":%q,"type":%q,%q:`, f.localTime(t.UnixNano()).Format(time.RFC3339Nano), kind, key)
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("encoding JSON: %w", err)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// changeTime is the time of a change as the lines show it: RFC 3339 to the
// second, in the local time zone.
func (f *Factory) changeTime(t time.Time) string {
	return f.localTime(t.UnixNano()).Format(time.RFC3339)
}
