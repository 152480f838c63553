// Package crifake is an in-process fake CRI runtime and image service,
// served over gRPC on a real unix socket, for tests that run crictl
// commands end to end.
//
// It models containerd 1.6 where that matters to a client: NotFound
// statuses with containerd's messages, IDs resolved by unique prefix,
// list filters applied (or, for ListImages, ignored) the same way,
// idempotent removals, an absent image reported by ImageStatus as an
// empty reply, and verbose info maps holding one JSON document. It is
// deterministic: lists come back in insertion order, IDs are derived
// from names, and time comes from Server.Now (FixedTime, advancing one
// second per created object).
//
// A command test seeds state, optionally injects faults, runs the command
// against the endpoint and checks the output and the RPCs made. The command
// tests in pkg/commands do this through their test environment (env_test.go:
// newEnv starts a server, e.run runs a command line through commands.Run);
// a test of a package below the command layer dials the endpoint itself:
//
//	srv, endpoint := crifake.Start(t)
//	pod := crifake.KubeletPod("web", "default", 0, crifake.FixedTime.Add(-2*time.Hour), true)
//	srv.AddPod(pod, crifake.WithPodIP("10.88.0.5"))
//	srv.Inject("ListPodSandbox", crifake.Fault{Code: codes.Unavailable, Times: 1})
//	conn, _ := cri.Dial(endpoint, cri.Options{Timeout: 5 * time.Second})
//	pods, err := kube.ListPods(ctx, conn.Runtime(), &kube.PodFilter{})
//	// ... then srv.Calls() lists the RPCs made, srv.Requests what they sent.
//
// Faults: Inject queues per-method faults (a status code, a delay, or a
// block until the caller gives up; Times limits how many calls they hit).
// Canceled reports calls whose caller went away while held. BadUTF8 in a
// seeded string reaches the client as invalid UTF-8, and AddManyPods
// builds replies past the 16 MiB message limit. For failures below gRPC,
// ListenHang, ListenReadNoAnswer, ListenClose, ListenHTTP1 and StaleSocket
// serve misbehaving sockets.
//
// Events, metrics and checkpoints follow containerd 2 (events.go,
// metrics.go): the lifecycle RPCs send events to every GetContainerEvents
// stream, ExitContainer makes a container exit on its own, Emit sends any
// event and EndEvents ends the streams; ListMetricDescriptors and
// ListPodSandboxMetrics answer cAdvisor-named metrics; CheckpointContainer
// writes a placeholder archive. Inject a fault with code Unimplemented to
// play containerd 1.6, which has none of them.
//
// Socket paths are limited to 107 bytes; use ShortTempDir (Start does)
// rather than t.TempDir.
package crifake
