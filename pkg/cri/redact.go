package cri

import (
	"github.com/crictl/crictl/pkg/redact"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// debugJSON is a request or reply as -D shows it: compact protojson with
// secrets replaced by redact.Debug (the rules are package redact's).
func debugJSON(v any) string {
	m, ok := v.(proto.Message)
	if !ok {
		return "?"
	}
	b, err := protojson.MarshalOptions{}.Marshal(redact.New(redact.Debug, false).Message(m))
	if err != nil {
		return err.Error()
	}
	return string(b)
}
