// Command pause is the sandbox ("infra") process of the e2e pods: it waits
// for SIGINT or SIGTERM, like Kubernetes' pause. The harness builds it
// statically (CGO_ENABLED=0) into the pause image; it is embedded in the
// harness, so it must stay a single file without imports outside std.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	<-c
}
