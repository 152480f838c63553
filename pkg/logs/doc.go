// Package logs reads container log files as kubelet and the CRI runtimes
// write them, for `crictl logs`. The CRI has no log RPC: the command asks the
// runtime for the container's log path (ContainerStatus) and hands it to Read
// (or several to ReadMany).
//
// # Formats
//
// Each physical line is recognised on its own, so a file may mix formats and a
// bad line never stops the reading:
//
//   - CRI: "<RFC 3339 timestamp> <stdout|stderr> <tags> <content>\n". The
//     first ':'-separated tag is P (partial) or F (full); any other tag counts
//     as F. The timestamp may be of any width and carry an offset.
//   - docker json-file: {"log":"...","stream":"stdout","time":"..."}. An
//     entry whose log does not end in "\n" is partial, like a P chunk.
//
// A logical line is a run of partial chunks ended by a full one of the same
// stream. Partial state is kept per stream, so a stderr line between the
// chunks of a stdout line does not break it. Options apply to logical lines:
// Tail counts them, Since and Until look at the timestamp of their first
// chunk, and Timestamps prints one prefix per logical line, in UTC with nine
// fractional digits (2006-01-02T15:04:05.000000000Z).
//
// Content is copied byte for byte: escape sequences, invalid UTF-8 and CR are
// not altered. JSON escapes are decoded as encoding/json does, but raw bytes
// in a JSON string pass through unchanged. A line that ends without "\n" at
// the end of the log (not following) is printed as it is, without adding
// one; if anything is printed after it on the same writer (the end of a
// rotated file, or ReadMany), a "\n" is added first so every line starts at
// the start of a line.
//
// A malformed line (not CRI nor docker json-file, an unknown stream, a bad
// timestamp, a truncated line, a run of NUL bytes left by a sparse
// copytruncate) is skipped with one line on the warn writer giving the file
// and the offset, never the content. After ten such lines per log, a count
// is printed at the end instead.
//
// Memory stays bounded whatever the line length: CRI content streams out as
// it is read; a docker json-file line longer than the 64 KiB buffer is parsed
// in two passes over the file. Checked by hand with 300 MiB lines, with and
// without a final newline (LOGS_HUGE_MIB=300 go test -run TestHugeLines):
// Read allocated about 0.2 MB and the test process peaked at 10.5 MB RSS.
//
// # Files
//
// The log path must be absolute. Symlinks are followed, but the final target
// must be a regular file: a FIFO, socket, device or directory is refused
// without being read (it is opened with O_NONBLOCK, so a FIFO cannot hang).
// With Source.Dir (package hostroot's LogDir), the files are opened by name
// in that directory instead, under its rules: resolved inside a host root,
// and a log file that links out of its directory refused.
//
// Rotated files next to the log are part of it, oldest first: kubelet's
// 0.log.<YYYYMMDD-HHMMSS> and 0.log.<YYYYMMDD-HHMMSS>.gz (ordered by the
// timestamp) and logrotate's 0.log.<N> and 0.log.<N>.gz (highest N first,
// before the timestamped ones). .tmp files are ignored, and so is X.gz while
// kubelet is still compressing X. A rotated file that is a symbolic link is
// skipped with a warning (neither kubelet nor logrotate makes one, and only
// the live path is checked by Confine). Reading everything (Tail < 0) therefore
// prints the rotated files too. Without Follow, a read covers the files as
// they were when it started (a line being written then is read to its end).
//
// Tail scans the files backwards from the end, reaching into rotated files
// when the current one holds fewer lines; compressed files are counted in one
// pass each. Since and Until binary-search the file offsets (compressed files
// are read from their start). Lines are assumed to be in timestamp order,
// with two seconds of slack for stdout and stderr lines stamped out of order;
// every line printed still passes the filters.
//
// # Following
//
// With Follow, reading goes on as the container writes; a line is printed
// only once it is complete in the file, and whole. The log directory is
// watched with inotify (a 250 ms poll if that fails, a 1 s one besides).
//
//   - Rename rotation (kubelet): when a new file with data appears at the
//     path, the old file is read to its end and reading goes on in the new
//     one, and in any rotated file that appeared in between.
//   - copytruncate (logrotate): every read of the live file is checked
//     against the first bytes of the last line parsed. If the file shrank or
//     those bytes changed, reading goes on in logrotate's copy (the newest
//     rotated sibling, when it holds those bytes) from the same offset, then
//     in the live file from 0. Lines written between logrotate's copy and its
//     truncation are lost by logrotate itself.
//   - Exit: when nothing is left to read, Source.Running is asked, at most
//     once a second. Once it reports the container is not running, what is
//     left is read (an incomplete last line is printed as it is) and Read
//     returns nil. An error from Running is reported once and following goes
//     on (a runtime restarting should not end `logs -f`).
//   - Until in the past ends following; LimitBytes ends it when reached.
//   - Cancelling the context returns ctx.Err() promptly; the command maps it
//     to exit status 0.
//
// # Several logs
//
// ReadMany merges sources by the timestamp of each logical line; within one
// source, lines keep their file order. Each line is prefixed with the
// timestamp (if asked) and then Source.Prefix. Tail applies per source (as
// kubectl does for --all-containers), LimitBytes to the whole output. Lines
// never interleave: one goroutine writes, one logical line at a time. While
// following, a source's line is printed when it is complete; a source that
// is idle does not hold back the others, so the order across sources is by
// arrival there.
package logs
