package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Snapshot is everything the checks look at: the runtime's replies, as
// Gather collected them (or as recorded in testdata), and facts about the
// node and crictl's own configuration. The lists are the whole node's; the
// checks apply the Selection.
type Snapshot struct {
	// Now is the node's clock when the gathering started.
	Now  time.Time
	Node Node

	// Version is nil when the call failed (it is only shown).
	Version *runtimeapi.VersionResponse
	// Status is verbose (with the runtime's info) when a condition was
	// not true.
	Status     *runtimeapi.StatusResponse
	Pods       []*runtimeapi.PodSandbox
	Containers []*runtimeapi.Container

	// ImageFs is nil when ImageFsInfo failed with ImageFsErr.
	ImageFs    *runtimeapi.ImageFsInfoResponse
	ImageFsErr string
	// Capacity is the statfs of each filesystem's mountpoint: the CRI
	// reports what the runtime uses, not how big the filesystem is.
	Capacity map[string]Capacity

	// ContainerStats is nil when stats were not asked for, or when
	// ListContainerStats failed with StatsErr.
	ContainerStats []*runtimeapi.ContainerStats
	StatsErr       string

	// Statuses are the ContainerStatus replies of the suspicious
	// containers, by ID; StatusErrs the calls that failed.
	Statuses   map[string]*runtimeapi.ContainerStatus
	StatusErrs map[string]string
	// Logs are the log tails read for suspicious containers, by the ID of
	// the container the finding is about.
	Logs map[string]LogTail
}

// Node is what crictl knows of itself and the node.
type Node struct {
	// Endpoint is the runtime endpoint used; EndpointProbed says it came
	// from probing the default endpoints because none was configured.
	Endpoint       string `json:"endpoint"`
	EndpointProbed bool   `json:"endpointProbed,omitempty"`
	// ConfigPath is the config file consulted; ConfigLoaded whether it
	// was read. ConfigError is why it could not be used (crictl then ran
	// without it); ConfigWarnings are problems that did not stop it.
	ConfigPath     string   `json:"configPath,omitempty"`
	ConfigLoaded   bool     `json:"configLoaded,omitempty"`
	ConfigError    string   `json:"configError,omitempty"`
	ConfigWarnings []string `json:"configWarnings,omitempty"`
}

// Capacity is a filesystem's size from statfs, or why it is unknown.
type Capacity struct {
	Bytes      uint64 `json:"bytes,omitempty"`
	BytesFree  uint64 `json:"bytesFree,omitempty"`  // free to unprivileged users (f_bavail)
	BytesUsed  uint64 `json:"bytesUsed,omitempty"`  // f_blocks - f_bfree, as df
	Inodes     uint64 `json:"inodes,omitempty"`     // 0: the filesystem has no inode limit
	InodesFree uint64 `json:"inodesFree,omitempty"` //
	Err        string `json:"error,omitempty"`
}

// LogTail is the end of a container log.
type LogTail struct {
	Path string `json:"path"`
	// Attempt is the attempt whose log this is.
	Attempt uint32   `json:"attempt"`
	Lines   []string `json:"lines,omitempty"`
	Err     string   `json:"error,omitempty"`
}

// wireSnapshot is the recorded form: each reply as protobuf JSON.
type wireSnapshot struct {
	Now            time.Time                  `json:"now"`
	Node           Node                       `json:"node"`
	Version        json.RawMessage            `json:"version,omitempty"`
	Status         json.RawMessage            `json:"status"`
	Pods           json.RawMessage            `json:"pods"`
	Containers     json.RawMessage            `json:"containers"`
	ImageFs        json.RawMessage            `json:"imageFsInfo,omitempty"`
	ImageFsErr     string                     `json:"imageFsInfoError,omitempty"`
	Capacity       map[string]Capacity        `json:"capacity,omitempty"`
	ContainerStats json.RawMessage            `json:"containerStats,omitempty"`
	StatsErr       string                     `json:"containerStatsError,omitempty"`
	Statuses       map[string]json.RawMessage `json:"containerStatuses,omitempty"`
	StatusErrs     map[string]string          `json:"containerStatusErrors,omitempty"`
	Logs           map[string]LogTail         `json:"logs,omitempty"`
}

var (
	wireMarshal   = protojson.MarshalOptions{Multiline: true, Indent: "  "}
	wireUnmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
)

func rawProto(m proto.Message) (json.RawMessage, error) {
	if m == nil {
		return nil, nil
	}
	b, err := wireMarshal.Marshal(m)
	if err != nil {
		return nil, err
	}
	// protojson varies its whitespace on purpose; the file is rewritten
	// through encoding/json's indenter anyway.
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// WriteJSON records the snapshot as indented JSON, each runtime reply in
// its protobuf JSON form, so tests can replay what a real runtime said.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	ws := wireSnapshot{
		Now: s.Now, Node: s.Node, ImageFsErr: s.ImageFsErr, Capacity: s.Capacity,
		StatsErr: s.StatsErr, StatusErrs: s.StatusErrs, Logs: s.Logs,
	}
	var err error
	put := func(dst *json.RawMessage, m proto.Message) {
		if err == nil {
			*dst, err = rawProto(m)
		}
	}
	if s.Version != nil {
		put(&ws.Version, s.Version)
	}
	put(&ws.Status, s.Status)
	put(&ws.Pods, &runtimeapi.ListPodSandboxResponse{Items: s.Pods})
	put(&ws.Containers, &runtimeapi.ListContainersResponse{Containers: s.Containers})
	if s.ImageFs != nil {
		put(&ws.ImageFs, s.ImageFs)
	}
	if s.ContainerStats != nil {
		put(&ws.ContainerStats, &runtimeapi.ListContainerStatsResponse{Stats: s.ContainerStats})
	}
	if len(s.Statuses) > 0 {
		ws.Statuses = map[string]json.RawMessage{}
		for _, id := range slices.Sorted(maps.Keys(s.Statuses)) {
			var raw json.RawMessage
			put(&raw, s.Statuses[id])
			ws.Statuses[id] = raw
		}
	}
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(ws, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadSnapshot reads what WriteJSON wrote.
func ReadSnapshot(r io.Reader) (*Snapshot, error) {
	var ws wireSnapshot
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ws); err != nil {
		return nil, fmt.Errorf("reading snapshot: %w", err)
	}
	s := &Snapshot{
		Now: ws.Now, Node: ws.Node, ImageFsErr: ws.ImageFsErr, Capacity: ws.Capacity,
		StatsErr: ws.StatsErr, StatusErrs: ws.StatusErrs, Logs: ws.Logs,
	}
	var err error
	get := func(raw json.RawMessage, what string, m proto.Message) bool {
		if err != nil || len(raw) == 0 {
			return false
		}
		if e := wireUnmarshal.Unmarshal(raw, m); e != nil {
			err = fmt.Errorf("reading snapshot: %s: %w", what, e)
			return false
		}
		return true
	}
	s.Status = &runtimeapi.StatusResponse{}
	get(ws.Status, "status", s.Status)
	if v := (&runtimeapi.VersionResponse{}); get(ws.Version, "version", v) {
		s.Version = v
	}
	var pods runtimeapi.ListPodSandboxResponse
	get(ws.Pods, "pods", &pods)
	s.Pods = pods.Items
	var ctrs runtimeapi.ListContainersResponse
	get(ws.Containers, "containers", &ctrs)
	s.Containers = ctrs.Containers
	if v := (&runtimeapi.ImageFsInfoResponse{}); get(ws.ImageFs, "imageFsInfo", v) {
		s.ImageFs = v
	}
	var stats runtimeapi.ListContainerStatsResponse
	if get(ws.ContainerStats, "containerStats", &stats) {
		s.ContainerStats = stats.Stats
		if s.ContainerStats == nil {
			s.ContainerStats = []*runtimeapi.ContainerStats{}
		}
	}
	for id, raw := range ws.Statuses {
		st := &runtimeapi.ContainerStatus{}
		if get(raw, "containerStatuses."+id, st) {
			if s.Statuses == nil {
				s.Statuses = map[string]*runtimeapi.ContainerStatus{}
			}
			s.Statuses[id] = st
		}
	}
	return s, err
}
