// Package kube is the Kubernetes view of a CRI runtime: pods and their
// namespaces rather than sandboxes, containers joined to the pods they
// belong to, pause containers left out, states named as kubectl-minded
// people read them, and one model of how pods and containers are selected
// (by name, namespace, labels, pod, image, state, newest first).
//
// It knows nothing of the command line: the command layer turns flags into
// a PodFilter or ContainerFilter, and this package lists, joins, filters,
// sorts and limits. It is tested with plain data and the fake CRI server.
package kube
