package kube

import (
	"fmt"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Labels kubelet puts on containers and sandboxes.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// PodState is the STATE column of pods: Ready, NotReady, or UNKNOWN(n) for a
// value this build does not know (a newer runtime), never an error.
func PodState(s runtimeapi.PodSandboxState) string {
	return stateName(podStates, s)
}

var podStates = map[runtimeapi.PodSandboxState]string{
	runtimeapi.PodSandboxState_SANDBOX_READY:    "Ready",
	runtimeapi.PodSandboxState_SANDBOX_NOTREADY: "NotReady",
}

// ContainerState is the STATE column of containers: Created, Running,
// Exited, Unknown, or UNKNOWN(n).
func ContainerState(s runtimeapi.ContainerState) string {
	return stateName(containerStates, s)
}

var containerStates = map[runtimeapi.ContainerState]string{
	runtimeapi.ContainerState_CONTAINER_CREATED: "Created",
	runtimeapi.ContainerState_CONTAINER_RUNNING: "Running",
	runtimeapi.ContainerState_CONTAINER_EXITED:  "Exited",
	runtimeapi.ContainerState_CONTAINER_UNKNOWN: "Unknown",
}

func stateName[S ~int32](names map[S]string, s S) string {
	if n, ok := names[s]; ok {
		return n
	}
	return UnknownEnum(int32(s))
}

// EnumName is the proto name of an enum value (CONTAINER_RUNNING), as the
// reference's inspect tables print it, or UNKNOWN(n) for a value this build
// does not know; name is the value's String().
func EnumName(name string, n int32) string {
	if name == "" || name == fmt.Sprint(n) {
		return UnknownEnum(n)
	}
	return name
}

// UnknownEnum names an enum value this build does not know.
func UnknownEnum(n int32) string { return fmt.Sprintf("UNKNOWN(%d)", n) }

// ParsePodState parses a pod state as --state gives it: ready or notready
// (any case, SANDBOX_ prefix allowed); "" is no state.
func ParsePodState(s string) (*runtimeapi.PodSandboxStateValue, error) {
	switch strings.ToLower(s) {
	case "":
		return nil, nil
	case "ready", "sandbox_ready":
		return &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}, nil
	case "notready", "sandbox_notready":
		return &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY}, nil
	}
	return nil, fmt.Errorf("--state should be ready or notready, not %q", s)
}

// ParseContainerState parses a container state as --state gives it:
// created, running, exited or unknown (any case, CONTAINER_ prefix
// allowed); "" is no state.
func ParseContainerState(s string) (*runtimeapi.ContainerStateValue, error) {
	var st runtimeapi.ContainerState
	switch strings.TrimPrefix(strings.ToLower(s), "container_") {
	case "":
		return nil, nil
	case "created":
		st = runtimeapi.ContainerState_CONTAINER_CREATED
	case "running":
		st = runtimeapi.ContainerState_CONTAINER_RUNNING
	case "exited":
		st = runtimeapi.ContainerState_CONTAINER_EXITED
	case "unknown":
		st = runtimeapi.ContainerState_CONTAINER_UNKNOWN
	default:
		return nil, fmt.Errorf("--state should be one of created, running, exited or unknown, not %q", s)
	}
	return &runtimeapi.ContainerStateValue{State: st}, nil
}

// RuntimeHandler is the RUNTIME column of pods: the handler, or (default).
func RuntimeHandler(h string) string {
	if h == "" {
		return "(default)"
	}
	return h
}
