package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// FreezeRuntime stops the containerd process with SIGSTOP: its socket still
// accepts connections, but no call is answered until ThawRuntime, so a client
// waits until its own deadline. The containers keep running (their shims are
// other processes). Close, Down and every sweep continue a frozen containerd
// before tearing it down, so a test that fails while it is frozen leaves
// nothing stuck; tests should still defer ThawRuntime.
func (e *Env) FreezeRuntime() error {
	return e.signalRuntime(syscall.SIGSTOP, true)
}

// ThawRuntime continues a containerd stopped by FreezeRuntime (SIGCONT). It
// is safe to call when the runtime is not frozen.
func (e *Env) ThawRuntime() error {
	return e.signalRuntime(syscall.SIGCONT, false)
}

// signalRuntime sends sig to the environment's containerd and waits until
// the kernel reports it stopped (or not), at most 5 seconds.
func (e *Env) signalRuntime(sig syscall.Signal, stopped bool) error {
	pid := e.st.ContainerdPID
	if !e.st.containerdAlive() {
		return fmt.Errorf("containerd of %s (pid %d) is not running", e.Dir, pid)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("%v containerd (pid %d): %w", sig, pid, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for processStopped(pid) != stopped {
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd (pid %d) did not react to %v within 5s", pid, sig)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// processStopped reports whether pid is stopped by a signal (state T in
// /proc/PID/stat).
func processStopped(pid int) bool {
	f, err := StatFields(pid)
	return err == nil && len(f) > 0 && f[0] == "T"
}

// TryCheckpoint tells whether the runtime can checkpoint a container on this
// machine: it runs a throwaway pod with one container (in namespace
// e2e-checkpoint; on the node network without CNI), asks for CheckpointContainer through the CRI to
// an archive under the run directory, removes the pod and the archive, and
// returns nil when the archive was written, else the runtime's error.
// Checkpointing needs criu (Options.CRIU) and containerd 2; containerd 1.6
// does not implement the call.
func (e *Env) TryCheckpoint(ctx context.Context) (err error) {
	pod, err := e.RunPod(ctx, PodSpec{Name: "checkpoint-probe", Namespace: "e2e-checkpoint", HostNetwork: e.NoCNI})
	if err != nil {
		return err
	}
	defer func() {
		if rerr := e.RemovePod(context.WithoutCancel(ctx), pod.ID); rerr != nil && err == nil {
			err = rerr
		}
	}()
	c, err := e.StartContainer(ctx, pod, ContainerSpec{Name: "probe"})
	if err != nil {
		return err
	}
	if _, err := e.WaitContainer(ctx, c.ID, runtimeapi.ContainerState_CONTAINER_RUNNING); err != nil {
		return err
	}
	dir := filepath.Join(e.Dir, "checkpoint")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	archive := filepath.Join(dir, c.ID+".tar")
	defer func() { _ = os.Remove(archive) }()
	if _, err := e.Runtime.CheckpointContainer(ctx, &runtimeapi.CheckpointContainerRequest{
		ContainerId: c.ID, Location: archive, Timeout: 60,
	}); err != nil {
		return withCriuLog(err)
	}
	st, err := os.Stat(archive)
	if err != nil {
		return fmt.Errorf("checkpoint reported success, but: %w", err)
	}
	if st.Size() == 0 {
		return errors.New("checkpoint reported success, but the archive is empty")
	}
	return nil
}

// criuLog finds the dump log that runc's "criu failed: ... path= LOG" names.
var criuLog = regexp.MustCompile(`path= ?(/\S+\.log)`)

// withCriuLog adds the error lines of criu's dump log to a checkpoint error
// that names one: runc's own message only says that criu failed.
func withCriuLog(err error) error {
	m := criuLog.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	b, rerr := os.ReadFile(m[1])
	if rerr != nil {
		return err
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "Error") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) == 0 {
		return err
	}
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return fmt.Errorf("%w (criu: %s)", err, strings.Join(lines, " | "))
}
