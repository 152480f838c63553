package commands

import "testing"

func TestImageFsInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	golden(t, "imagefsinfo/json", e.ok("imagefsinfo"))
	golden(t, "imagefsinfo/table", e.ok("imagefsinfo -o table"))
}
