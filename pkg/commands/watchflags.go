package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
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
