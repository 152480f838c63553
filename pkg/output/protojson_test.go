package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestNormalizeIndented(t *testing.T) {
	t.Parallel()
	raw := []byte("{\n  \"a\":  \"x\\\":  y\\n\",\n  \"b\":  {},\n  \"c\":  [\n    1\n  ]\n}")
	want := "{\n    \"a\": \"x\\\":  y\\n\",\n    \"b\": {},\n    \"c\": [\n      1\n    ]\n  }"
	if got := string(normalizeIndented(nil, raw, "  ")); got != want {
		t.Errorf("normalizeIndented:\n%s\nwant\n%s", got, want)
	}
	plain := []byte("{\n  \"a\": \"b:  c\"\n}")
	if got := string(normalizeIndented(nil, plain, "")); got != string(plain) {
		t.Errorf("output without the extra space changed: %q", got)
	}
}

// TestProtoJSONMatchesIndent checks the one-pass writer against the
// straightforward rendering: compact protojson re-indented by json.Indent.
func TestProtoJSONMatchesIndent(t *testing.T) {
	t.Parallel()
	var pods []*runtimeapi.PodSandbox
	for i := range 5 {
		pods = append(pods, &runtimeapi.PodSandbox{
			Id:          fmt.Sprintf("id%d", i),
			Metadata:    &runtimeapi.PodSandboxMetadata{Name: "n\"a:  me\\", Namespace: "ns\n\u2028\x1b", Attempt: uint32(i)},
			State:       runtimeapi.PodSandboxState(i % 3),
			CreatedAt:   int64(i) * 1e18,
			Labels:      map[string]string{"z": "1", "a": "{}", "m": ""},
			Annotations: map[string]string{},
		})
	}
	msgs := []proto.Message{
		&runtimeapi.ListPodSandboxResponse{Items: pods},
		&runtimeapi.ListPodSandboxResponse{},
		&runtimeapi.ListContainersResponse{Containers: []*runtimeapi.Container{{Id: "c", Image: &runtimeapi.ImageSpec{Image: "i"}}}},
		&runtimeapi.ListImagesResponse{Images: []*runtimeapi.Image{{Id: "x", Size: 1 << 40, Uid: &runtimeapi.Int64Value{Value: -1}}}},
		&runtimeapi.VersionResponse{Version: "v"},
	}
	for i, msg := range msgs {
		compact, err := protojson.MarshalOptions{EmitDefaultValues: true}.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		json.Indent(&want, compact, "", "  ")
		want.WriteByte('\n')
		var got bytes.Buffer
		if err := writeProtoJSON(&got, msg); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("message %d:\n%s\nwant\n%s", i, got.String(), want.String())
		}
		doc, _ := MarshalJSON(msg)
		if string(doc) != want.String() {
			t.Errorf("MarshalJSON %d:\n%s\nwant\n%s", i, doc, want.String())
		}
	}
}
