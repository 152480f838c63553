// Package bundle takes a support bundle of one node's container runtime
// through the CRI, and joins the bundles of several nodes into one.
//
// A Collector makes the calls (Version, Status, RuntimeConfig, ImageFsInfo,
// the lists, the stats, the status of every pod, container and image),
// reads the log tails of every container under a host root, and writes the
// files through a Sink: a tar.gz written to a temporary name and renamed
// when complete (NewFileSink), a tar.gz stream (NewStreamSink) or a new
// directory (NewDirSink). Files are 0600 and directories 0700 whatever the
// umask; member names are clean relative paths made of safe characters,
// whatever the runtime calls its pods and containers; no links.
//
// # Layout
//
//	summary.txt            first: runtime, conditions, counts, containers not running, restarts
//	summary.json           the same, for merge and scripts
//	version.json info.json runtime-config.json imagefsinfo.json
//	images.json pods.json containers.json stats.json statsp.json
//	pods/<namespace>/<pod>/pod.json
//	pods/<namespace>/<pod>/<container>/container.json
//	pods/<namespace>/<pod>/<container>/current.log    the last lines, rotated files included
//	pods/<namespace>/<pod>/<container>/previous.log   the previous attempt's, after a restart
//	images/<image id>.json
//	manifest.json          last: every file with its source, size, sha256 and
//	                       duration; errors; skips; redaction counts
//
// The JSON documents are those the commands print with -o json (times in
// UTC). Names that are not unique in their directory get "_" and a short
// ID. Log lines are "<time> <stream> <content>", oldest first, the newest
// LogLines lines of which the newest LogBytes bytes (cut at a line start).
//
// # Bounds
//
// Everything runs under Options.Deadline; every RPC under the
// connection's own timeout. After three calls in a row the runtime did not
// answer, the rest are not attempted. A failed call is an entry in the
// manifest's errors and the bundle goes on; an RPC the runtime does not
// implement is a skip. Collect fails only when the bundle cannot be
// written, and then removes what it wrote. Pods and containers are fetched
// concurrently and written in order with a bounded number of results held;
// log tails are kept in a ring of LogBytes (in memory up to 4 MiB, in an
// unlinked temporary file beyond), never whole.
//
// # Redaction
//
// Unless NoRedact, every CRI reply is redacted with package redact's rules
// before it is rendered (marker "<redacted>"), and log text loses the
// values those rules replaced and Options.Secrets (a docker config.json's
// credentials), so no unredacted copy is ever written, even temporarily.
//
// # Merge
//
// Merge reads node bundles (tar.gz files, bundle directories, and the
// base64 text a DaemonSet prints to its log, as troubleshoot's
// runDaemonSet stores it) and writes one archive: cluster-summary.txt and
// cluster-summary.json first (one table across nodes), each node's bundle
// under nodes/<node>/, and manifest.json last.
package bundle
