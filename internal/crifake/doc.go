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
// against the endpoint and checks the output and the RPCs made:
//
//	func TestPodsListsReadyPods(t *testing.T) {
//		srv, endpoint := crifake.Start(t)
//		pod := crifake.KubeletPod("web", "default", 0, crifake.FixedTime.Add(-2*time.Hour), true)
//		srv.AddPod(pod, crifake.WithPodIP("10.88.0.5"))
//		srv.AddContainer(crifake.KubeletContainer(pod, "nginx", 0, "nginx:1.25",
//			runtimeapi.ContainerState_CONTAINER_RUNNING, crifake.FixedTime.Add(-2*time.Hour)),
//			crifake.WithLogPath(filepath.Join(t.TempDir(), "0.log")))
//		srv.Inject("ImageFsInfo", crifake.Fault{Code: codes.Unimplemented})
//
//		stdout, _, code := runCrictl(t, "-r", endpoint, "pods", "-q")
//
//		if code != 0 || stdout != pod.Id+"\n" {
//			t.Fatalf("code %d, stdout %q", code, stdout)
//		}
//		if got := srv.Calls(); !slices.Equal(got, []string{"ListPodSandbox"}) {
//			t.Errorf("RPCs = %v", got)
//		}
//	}
//
// Faults: Inject queues per-method faults (a status code, a delay, or a
// block until the caller gives up; Times limits how many calls they hit).
// Canceled reports calls whose caller went away while held. BadUTF8 in a
// seeded string reaches the client as invalid UTF-8, and AddManyPods
// builds replies past the 16 MiB message limit. For failures below gRPC,
// ListenHang, ListenReadNoAnswer, ListenClose, ListenHTTP1 and StaleSocket
// serve misbehaving sockets.
//
// Socket paths are limited to 107 bytes; use ShortTempDir (Start does)
// rather than t.TempDir.
package crifake
