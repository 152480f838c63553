package logs

import (
	"os"

	"golang.org/x/sys/unix"
)

// watcher signals changes in the watched directories through c. Bursts of
// events collapse into one signal; the reader then reads all there is.
type watcher struct {
	f *os.File
	c chan struct{}
}

const watchMask = unix.IN_MODIFY | unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM |
	unix.IN_DELETE | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

func newWatcher(dirs []string) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if _, err := unix.InotifyAddWatch(fd, d, watchMask); err != nil {
			_ = unix.Close(fd)
			return nil, err
		}
	}
	// A non-blocking descriptor in an os.File goes through the runtime
	// poller, so Close wakes the goroutine blocked in Read.
	w := &watcher{f: os.NewFile(uintptr(fd), "inotify"), c: make(chan struct{}, 1)}
	go w.loop()
	return w, nil
}

func (w *watcher) loop() {
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		if _, err := w.f.Read(buf); err != nil {
			return
		}
		select {
		case w.c <- struct{}{}:
		default:
		}
	}
}

// close returns at once: closing an inotify descriptor waits for an RCU
// grace period in the kernel, tens of milliseconds that Ctrl-C need not wait.
func (w *watcher) close() {
	go w.f.Close()
}
