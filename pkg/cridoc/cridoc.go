// Package cridoc builds the JSON documents crictl prints for CRI objects
// with -o json (and derives YAML and templates from): the inspect
// documents of containers, pods and images, info, imagefsinfo and
// version. The commands print them; a bundle stores the same documents.
//
// A document is generic JSON values (maps, slices, strings, json.Number)
// ready for output.MarshalJSON, which sorts the keys.
package cridoc

import (
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/output"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Status is the inspect document of one object: {"status": ..., plus the
// runtime's verbose info map, where values that are JSON objects are
// parsed}, as the reference prints it. times, when set, rewrites the
// status's time fields.
func Status(status proto.Message, info map[string]string, times func(map[string]any)) (map[string]any, error) {
	doc := map[string]any{}
	if status != nil {
		v, err := Value(status)
		if err != nil {
			return nil, err
		}
		m, _ := v.(map[string]any)
		if times != nil && m != nil {
			times(m)
		}
		doc["status"] = m
	}
	AddInfo(doc, info)
	return doc, nil
}

// AddInfo merges a runtime info map into a document: JSON object values
// are decoded (numbers kept exact), other values are strings without
// surrounding quotes.
func AddInfo(doc map[string]any, info map[string]string) {
	for k, val := range info {
		if strings.HasPrefix(val, "{") {
			if v, err := output.Decode([]byte(val)); err == nil {
				doc[k] = v
				continue
			}
		}
		doc[k] = strings.Trim(val, `"`)
	}
}

// Value is a message as generic JSON values (for composite documents).
func Value(m proto.Message) (any, error) {
	raw, err := output.MarshalJSON(m)
	if err != nil {
		return nil, err
	}
	return output.Decode(raw)
}

// List is Value of each message.
func List[T proto.Message](ms []T) ([]any, error) {
	out := make([]any, len(ms))
	for i, m := range ms {
		v, err := Value(m)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// RFC3339 renders a CRI nanosecond timestamp as the reference's inspect
// does: RFC 3339 with nanoseconds in loc; a time that is not set is the
// zero time.
func RFC3339(ns int64, set bool, loc *time.Location) string {
	if !set {
		return time.Time{}.Format(time.RFC3339Nano)
	}
	return time.Unix(0, ns).In(loc).Format(time.RFC3339Nano)
}

// Container is `inspect`'s document: the times in RFC 3339 in loc;
// startedAt and finishedAt stay the zero time while the container has not
// started or finished.
func Container(r *runtimeapi.ContainerStatusResponse, loc *time.Location) (map[string]any, error) {
	st := r.GetStatus()
	return Status(st, r.GetInfo(), func(m map[string]any) {
		created := st.GetState() != runtimeapi.ContainerState_CONTAINER_CREATED
		exited := st.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED ||
			(st.GetState() == runtimeapi.ContainerState_CONTAINER_UNKNOWN && st.GetFinishedAt() > 0)
		m["createdAt"] = RFC3339(st.GetCreatedAt(), true, loc)
		m["startedAt"] = RFC3339(st.GetStartedAt(), created, loc)
		m["finishedAt"] = RFC3339(st.GetFinishedAt(), exited, loc)
	})
}

// Pod is `inspectp`'s document, createdAt in RFC 3339 in loc.
func Pod(r *runtimeapi.PodSandboxStatusResponse, loc *time.Location) (map[string]any, error) {
	st := r.GetStatus()
	return Status(st, r.GetInfo(), func(m map[string]any) {
		m["createdAt"] = RFC3339(st.GetCreatedAt(), true, loc)
	})
}

// Image is `inspecti`'s document.
func Image(r *runtimeapi.ImageStatusResponse) (map[string]any, error) {
	return Status(r.GetImage(), r.GetInfo(), nil)
}

// Info is `info`'s document: the status, the verbose info, the runtime
// handlers and features when the runtime reports them.
func Info(r *runtimeapi.StatusResponse) (map[string]any, error) {
	doc, err := Status(r.GetStatus(), r.GetInfo(), nil)
	if err != nil {
		return nil, err
	}
	if len(r.GetRuntimeHandlers()) > 0 {
		v, err := List(r.GetRuntimeHandlers())
		if err != nil {
			return nil, err
		}
		doc["runtimeHandlers"] = v
	}
	if r.GetFeatures() != nil {
		v, err := Value(r.GetFeatures())
		if err != nil {
			return nil, err
		}
		doc["features"] = v
	}
	return doc, nil
}

// Version is `version`'s document.
func Version(r *runtimeapi.VersionResponse, crictlVersion string) map[string]string {
	return map[string]string{
		"version":           r.GetVersion(),
		"runtimeName":       r.GetRuntimeName(),
		"runtimeVersion":    r.GetRuntimeVersion(),
		"runtimeApiVersion": r.GetRuntimeApiVersion(),
		"crictlVersion":     crictlVersion,
	}
}
