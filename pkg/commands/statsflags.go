package commands

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/stats"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	"google.golang.org/protobuf/proto"
)

// trendLen is how many samples a sparkline of a stats watch shows.
const trendLen = 10

// statsFlags are what stats and statsp share: -o, -s/--seconds and -w,
// and how a sample is printed once or watched.
type statsFlags struct {
	out     outputOptions
	watch   bool
	seconds string

	// sample is the wait between two one-shot samples, every the refresh
	// interval of a watch.
	sample, every time.Duration
}

func (o *statsFlags) flags() []cli.Flag {
	return append(o.out.flags(output.TableFormat, output.JSON, output.YAML, output.GoTemplate),
		&cli.StringFlag{Name: "seconds", Aliases: []string{"s"}, Destination: &o.seconds,
			Usage: "with --watch, refresh every N seconds (default 1); without, measure CPU over N seconds (two samples) instead of taking the runtime's rate; also a duration such as 500ms"},
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Destination: &o.watch,
			Usage: "refresh until Ctrl-C: in place on a terminal, with CPU and memory trends and memory as a share of the limit; a table block (or a JSON line) per refresh elsewhere"})
}

// validate checks the one optional argument (a noun: CONTAINER, POD)
// against --id, and reads --seconds, before any RPC.
func (o *statsFlags) validate(c *cli.Context, noun, id string) (err error) {
	cmd := commandPath(c)
	if c.NArg() > 1 {
		return usagef(cmd, "unexpected argument %q: %s takes at most one %s", c.Args().Get(1), c.Command.Name, noun)
	}
	if c.NArg() == 1 && id != "" {
		return usagef(cmd, "give a %s or --id, not both", noun)
	}
	if o.sample, err = parseInterval(cmd, "seconds", o.seconds, stats.SampleInterval); err != nil {
		return err
	}
	o.every, err = parseInterval(cmd, "seconds", o.seconds, time.Second)
	return err
}

// table reports whether the output is the table.
func (o *statsFlags) table() bool { return o.out.format == output.TableFormat }

// measure: one-shot CPU over --seconds, whatever rate the runtime gives.
func (o *statsFlags) measure() bool { return o.seconds != "" && !o.watch }

// statsFrame is one sample: the document -o json prints, the table (with
// trends on a terminal watch), and errors that did not stop the sample.
type statsFrame struct {
	doc   proto.Message
	table func(trends *statsTrends) *output.Table
	errs  []error
}

// run prints one sample, then its errors (exit 1 when any); with --watch a
// sample every --seconds until Ctrl-C, each error named once.
func (o *statsFlags) run(ctx context.Context, f *Factory, sample func(ctx context.Context) (*statsFrame, error)) error {
	if !o.watch {
		fr, err := sample(ctx)
		if err != nil {
			return err
		}
		if o.table() {
			err = fr.table(nil).Write(f.IO.Out, false)
		} else {
			err = o.out.document(f, fr.doc)
		}
		if err != nil {
			return err
		}
		return f.reportErrors(fr.errs)
	}
	var trends *statsTrends
	reported := map[string]bool{}
	return watchFrames(ctx, f, o.out.format, o.every, func(ctx context.Context, w *bytes.Buffer, redraw bool) error {
		fr, err := sample(ctx)
		if err != nil {
			return err
		}
		for _, e := range fr.errs {
			if !reported[e.Error()] {
				reported[e.Error()] = true
				f.printError(e)
			}
		}
		if !o.table() {
			return watchDocument(f, w, &o.out, fr.doc, redraw)
		}
		if redraw && trends == nil {
			trends = newStatsTrends()
		}
		return fr.table(trends).Write(w, false)
	})
}

// statsTrends are the sparklines of stats -w on a terminal.
type statsTrends struct {
	cpu, mem *watch.History
}

func newStatsTrends() *statsTrends {
	return &statsTrends{cpu: watch.NewHistory(trendLen), mem: watch.NewHistory(trendLen)}
}

// endRound forgets the rows that are gone.
func (t *statsTrends) endRound() {
	t.cpu.EndRound()
	t.mem.EndRound()
}

// cells are the trend columns of a row: CPU and memory sparklines and
// memory as a share of its limit.
func (t *statsTrends) cells(id string, cpu float64, hasCPU bool, mem, limit uint64) (cpuTrend, memTrend, share string) {
	if hasCPU {
		cpuTrend = watch.Spark(t.cpu.Add(id, cpu), true)
	}
	memTrend = watch.Spark(t.mem.Add(id, float64(mem)), false)
	share = "-"
	if limit > 0 {
		share = strconv.FormatFloat(float64(mem)/float64(limit)*100, 'f', 0, 64) + "%"
	}
	return cpuTrend, memTrend, share
}

// cpuCell is a CPU figure as the reference prints it, or "-" when there is
// none yet.
func cpuCell(pct float64, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(pct, 'f', 2, 64)
}
