// Package stream is crictl's client for the streaming protocols of a CRI
// runtime's streaming server: exec and attach (the Kubernetes
// "channel.k8s.io" remote-command protocols, v4 down to v2 over SPDY/3.1 and
// v5 or v4 over WebSocket) and port-forward ("portforward.k8s.io" over
// SPDY/3.1).
//
// It speaks the same wire protocols as k8s.io/client-go's
// tools/remotecommand and tools/portforward, which kubelet's and
// containerd's streaming servers implement, but it is written on top of
// github.com/moby/spdystream (the SPDY framing client-go itself uses) and
// github.com/gorilla/websocket alone: client-go's packages pull
// apimachinery, the core API types, klog and json-iterator into the binary,
// whose package initialisation would cost every crictl command about 1.6 ms
// at start-up.
//
// Beyond the protocol it adds what crictl's commands need: one deadline for
// connecting, upgrading and opening the streams (a blackholed URL fails in
// Target.Timeout); cancellation of the context closes the connection at
// once; redirects are refused; the remote exit code comes back as an
// *ExitError; a Ready hook runs once the streams are up and before any byte
// is copied (a terminal goes raw only then); detach keys end a session with
// ErrDetached; a panic in a copying goroutine ends the session with an error
// instead of the process, so the caller's deferred clean-up (restoring the
// terminal) runs.
package stream
