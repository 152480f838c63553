package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fill sets every field of m, recursively (to a depth), with values that
// exercise the encoder: escapes, big and negative numbers, unknown enum
// numbers, several map entries.
func fill(m protoreflect.Message, seed, depth int) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for j := range 3 {
				k := protoreflect.ValueOfString(fmt.Sprintf("k%d\"\x01%d", (seed+j)%5, j)).MapKey()
				if fd.MapKey().Kind() != protoreflect.StringKind {
					continue
				}
				mp.Set(k, value(mp.NewValue(), fd.MapValue(), seed+j, depth))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for j := range 2 {
				l.Append(value(l.NewElement(), fd, seed+j, depth))
			}
		case fd.Message() != nil:
			if depth > 0 && (seed+i)%4 != 0 {
				fill(m.Mutable(fd).Message(), seed+i, depth-1)
			}
		default:
			if (seed+i)%3 != 0 {
				m.Set(fd, value(protoreflect.Value{}, fd, seed+i, depth))
			}
		}
	}
}

func value(zero protoreflect.Value, fd protoreflect.FieldDescriptor, seed, depth int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.MessageKind:
		if depth > 0 {
			fill(zero.Message(), seed, depth-1)
		}
		return zero
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(fmt.Sprintf("s%d \"q\" \\ \n\t\x1b\u2028 é %c", seed, rune(0x7f)))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(seed%2 == 1)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(-seed * 1000003))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(seed) * 4000000007)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(int64(-seed) * 1e17)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(seed) * 1e18)
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte(fmt.Sprintf("b%d\x00\xff", seed)))
	case protoreflect.EnumKind:
		if seed%4 == 3 {
			return protoreflect.ValueOfEnum(99)
		}
		vals := fd.Enum().Values()
		return protoreflect.ValueOfEnum(vals.Get(seed % vals.Len()).Number())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(float64(seed) / 3)
	}
	return zero
}

func reference(t *testing.T, m proto.Message) string {
	t.Helper()
	compact, err := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestEncoderMatchesProtojson renders every message of the CRI API, empty
// and filled, and compares with protojson.
func TestEncoderMatchesProtojson(t *testing.T) {
	t.Parallel()
	msgs := runtimeapi.File_staging_src_k8s_io_cri_api_pkg_apis_runtime_v1_api_proto.Messages()
	covered := 0
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		for seed := range 4 {
			mt, err := protoregistryFind(md)
			if err != nil {
				t.Fatal(err)
			}
			m := mt.New()
			if seed > 0 {
				fill(m, seed, 3)
			}
			want := reference(t, m.Interface())
			got, err := marshalProto(nil, m.Interface(), "")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Fatalf("%s (seed %d):\n%s\nwant\n%s", md.FullName(), seed, got, want)
			}
			if _, ok := appendMessage(nil, m, ""); ok {
				covered++
			}
		}
	}
	if covered < msgs.Len() {
		t.Logf("the fast encoder covers %d of %d renderings; protojson renders the rest", covered, msgs.Len()*4)
	}
	if !supported((&runtimeapi.Container{}).ProtoReflect().Descriptor()) ||
		!supported((&runtimeapi.PodSandbox{}).ProtoReflect().Descriptor()) ||
		!supported((&runtimeapi.Image{}).ProtoReflect().Descriptor()) ||
		!supported((&runtimeapi.ContainerStats{}).ProtoReflect().Descriptor()) ||
		!supported((&runtimeapi.PodSandboxStats{}).ProtoReflect().Descriptor()) {
		t.Errorf("the list items are not covered by the fast encoder")
	}
}

// The floating point fields (pressure stall averages) in every form
// protojson writes: exponents at both ends, NaN, the infinities, -0.
func TestEncoderFloats(t *testing.T) {
	t.Parallel()
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -2.5, 1.0 / 3, 1e-6, 9.99e-7, 1.5e-7, 1e20, 1e21, 1.234e25, -3e-9,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)} {
		m := &runtimeapi.PsiData{Total: 1, Avg10: v, Avg60: -v, Avg300: v * 7}
		want := reference(t, m)
		got, err := marshalProto(nil, m, "")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%v:\n%s\nwant\n%s", v, got, want)
		}
	}
}

func FuzzEncoderStrings(f *testing.F) {
	for _, s := range []string{"", "a", "\x00\x1f\x7f", "\"\\", "\u2028\u00e9", "\xff"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, label string) {
		m := &runtimeapi.PodSandbox{Id: name, Metadata: &runtimeapi.PodSandboxMetadata{Name: label}, Labels: map[string]string{label: name}}
		compact, err := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(m)
		got, gerr := marshalProto(nil, m, "")
		if (err == nil) != (gerr == nil) {
			t.Fatalf("protojson error %v, ours %v", err, gerr)
		}
		if err != nil {
			return
		}
		var want bytes.Buffer
		json.Indent(&want, compact, "", "  ")
		if string(got) != want.String() {
			t.Fatalf("got\n%s\nwant\n%s", got, want.String())
		}
	})
}

func protoregistryFind(md protoreflect.MessageDescriptor) (protoreflect.MessageType, error) {
	return protoregistry.GlobalTypes.FindMessageByName(md.FullName())
}
