// Package stats turns the runtime's container and pod statistics into the
// figures crictl prints: each container joined to the container list (its
// name, and from its pod the pod name and namespace, as ps shows them) and
// a CPU figure per container or pod.
//
// The CPU figure is the reference's: percent of one core, so it can exceed
// 100. It comes from the runtime's own rate (usage_nano_cores) when the
// runtime fills it (containerd does from its second stats call on, over
// the time since the previous one); otherwise, or when asked to, from two
// samples of the cumulative usage (usage_core_nano_seconds) taken
// SampleInterval apart, and in a watch from consecutive frames.
//
// The samplers make their calls concurrently (the stats and the lists are
// independent), keep only containers the selection holds in both the list
// and the stats (a container that stops or goes away between the calls is
// dropped, not failed), and, for pods, fall back to one PodSandboxStats per
// pod when the runtime fails ListPodSandboxStats as a whole because of one
// pod (containerd does, for a sandbox without a cgroup parent).
//
// The package knows nothing of the command line.
package stats
