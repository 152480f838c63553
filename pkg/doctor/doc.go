// Package doctor finds what is wrong on a node from its CRI runtime's own
// replies: `crictl doctor`.
//
// It works in two steps that are tested apart:
//
//   - Gather asks the runtime with the fewest calls: Status, Version,
//     ListPodSandbox, ListContainers and ImageFsInfo (and, asked for,
//     ListContainerStats) once each, concurrently; then, bounded by parallel.ForEach, ContainerStatus
//     of only the suspicious containers of the selection (restarted,
//     exited, near a limit), the verbose Status when a condition is not
//     true, statfs of the runtime's filesystems, and the last lines of the
//     failed attempts' logs (kubelet's <dir>/<attempt>.log layout, read with
//     pkg/logs). The result is a Snapshot, which can be written as JSON
//     (WriteJSON) and read back (ReadSnapshot): the tests replay snapshots
//     recorded from a real containerd (testdata/).
//   - Run applies every Check to a Snapshot and returns Findings: a
//     severity, the object (kind, name, namespace, pod, short ID), the
//     evidence (the fields that show it), a message, the last log lines
//     where they tell why, and a hint: the crictl command to run next.
//
// Checks are small functions over an indexed view of the snapshot; Checks
// lists them in the order they are reported. The package knows nothing of
// the command line: the command validates flags into a Selection and
// Options, gathers, runs and renders (pkg/commands/doctor.go). See
// docs/doctor.md for the checks, thresholds, document shape and exit
// codes.
package doctor
