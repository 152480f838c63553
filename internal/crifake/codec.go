package crifake

import (
	"bytes"
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// BadUTF8 is a marker for invalid UTF-8 on the wire. Go protobuf refuses to
// marshal invalid UTF-8 strings, so a seeded string cannot carry it; instead,
// wherever this marker appears in a reply its first byte is sent as 0xFF.
// Clients then fail to decode the reply ("string field contains invalid
// UTF-8"), as they do with runtimes built on older protobuf libraries.
const BadUTF8 = "<crifake-bad-utf8>"

var badUTF8Wire = append([]byte{0xff}, BadUTF8[1:]...)

// badUTF8Codec is the proto codec plus the BadUTF8 substitution.
type badUTF8Codec struct{}

func (badUTF8Codec) Name() string { return "proto" }

func (badUTF8Codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("crifake: cannot marshal %T", v)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(b, []byte(BadUTF8)) {
		b = bytes.ReplaceAll(b, []byte(BadUTF8), badUTF8Wire)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (badUTF8Codec) Unmarshal(data mem.BufferSlice, v any) error {
	return encoding.GetCodecV2("proto").Unmarshal(data, v)
}
