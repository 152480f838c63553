package commands

import (
	"maps"
	"slices"

	"github.com/crictl/crictl/pkg/output"
)

// Text renderings that several commands share.

type hasID interface{ GetId() string }

// idsOf returns the objects' IDs.
func idsOf[T hasID](items []T) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.GetId()
	}
	return ids
}

// writeIDs prints one ID per line (-q).
func writeIDs[T hasID](f *Factory, items []T) error {
	buf := make([]byte, 0, len(items)*65)
	for _, it := range items {
		buf = append(buf, output.Escape(it.GetId())...)
		buf = append(buf, '\n')
	}
	_, err := f.IO.Out.Write(buf)
	return err
}

// addIf adds a Key: value line when the value is set.
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
	for _, k := range slices.Sorted(maps.Keys(m)) {
		kv.Entry(k, m[k])
	}
}
