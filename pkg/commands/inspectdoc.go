package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/parallel"
	"github.com/crictl/crictl/pkg/redact"
	"google.golang.org/protobuf/proto"
)

// statusDoc is the inspect document of one object (package cridoc builds
// it).
type statusDoc = map[string]any

// writeDocs prints inspect documents: one object for one result, an array
// for several (the reference's shapes).
func writeDocs(f *Factory, out *outputOptions, docs []statusDoc) error {
	if len(docs) == 0 {
		return nil
	}
	if len(docs) == 1 {
		return out.document(f, docs[0])
	}
	return out.document(f, docs)
}

// infoLines renders a verbose info map for the table view: one entry per
// key, JSON compacted.
func infoLines(kv *output.KV, info map[string]string) {
	if len(info) == 0 {
		return
	}
	kv.Header("Info")
	for _, k := range slices.Sorted(maps.Keys(info)) {
		v := info[k]
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(v)) == nil {
			v = buf.String()
		}
		kv.Entry(k, v)
	}
}

// inspected is how an inspect command fetches and shows one object.
type inspected[R proto.Message] struct {
	fetch func(ctx context.Context, id string) (R, error)
	doc   func(R) (statusDoc, error)
	table func(*output.KV, R)
	// redact replaces secrets in what was fetched (--redact).
	redact bool
}

// redacted is r with its secrets replaced by redact.Marker when on
// (--redact: the rules of package redact, as a bundle applies them).
func redacted[R proto.Message](on bool, r R) R {
	if !on {
		return r
	}
	return redact.New(redact.Marker, false).Message(r).(R)
}

// inspectAll fetches the objects concurrently (order kept) and prints
// those that answered, as one document (an array for several) or as
// Key: value blocks; it then reports errs (from resolving the arguments)
// and the failed fetches, one line each, and exits 1 if there were any.
func inspectAll[R proto.Message](ctx context.Context, f *Factory, out *outputOptions, ids []string, errs []error, in inspected[R]) error {
	if len(ids) == 0 && len(errs) == 0 {
		// The reference's words; nothing to print is not a failure.
		f.notef("No IDs provided or nothing found per filter")
		return nil
	}
	resps := make([]R, len(ids))
	fetchErrs := make([]error, len(ids))
	parallel.ForEach(ctx, len(ids), parallel.DefaultLimit, func(i int) {
		resps[i], fetchErrs[i] = in.fetch(ctx, ids[i])
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	var docs []statusDoc
	var kv output.KV
	for i, r := range resps {
		if fetchErrs[i] != nil {
			continue
		}
		r = redacted(in.redact, r)
		if out.format == output.TableFormat {
			in.table(&kv, r)
			continue
		}
		doc, err := in.doc(r)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
	}
	if out.format == output.TableFormat {
		if _, err := kv.WriteTo(f.IO.Out); err != nil {
			return err
		}
	} else if err := writeDocs(f, out, docs); err != nil {
		return err
	}
	return f.reportErrors(append(errs, fetchErrs...))
}

// notFound makes a runtime NotFound answer about one object read well.
func notFound(kind, arg string, err error) error {
	return fmt.Errorf("%s %q not found: %w", kind, arg, err)
}

// selectIDs are the objects an inspect command prints: those the arguments
// name (each resolved by the one rule of package resolve; the ones that name
// nothing are errs, reported after what was found), or, with no argument,
// those list selects.
func selectIDs(ctx context.Context, args []string, resolveOne func(context.Context, string) (string, error), list func() ([]string, error)) (ids []string, errs []error, err error) {
	if len(args) == 0 {
		ids, err = list()
		return ids, nil, err
	}
	for _, a := range args {
		id, err := resolveOne(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, id)
	}
	return ids, errs, nil
}
