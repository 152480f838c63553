// Package watch is what crictl's watch modes share: showing a frame every
// interval (stats -w, statsp -w, metricsp -w) and following changes of
// containers and pods (ps -w, pods -w, events).
//
// A Screen draws frames. On a terminal a table is redrawn in place (cursor
// home, each line cleared to its end, lines past the window's height left
// out with a note); the cursor is hidden while it draws and shown again by
// Close. Anywhere else nothing but the frames is written: one block per
// frame with a separator, never an escape code, so a pipe or a file holds
// plain tables or one JSON document per line.
//
// Every runs a function at once and then every interval, never two at a
// time, until its context ends. History keeps the last few values of each
// row for Spark, the small trend graphs stats -w draws on a terminal; it
// forgets rows that are gone, so a watch holds its memory flat however long
// it runs.
//
// A Follower reports what changes (created, started, exited or stopped,
// removed): from the runtime's event stream (GetContainerEvents) where it
// has one, so nothing runs between events, and otherwise by listing every
// interval and comparing with the previous list.
//
// The package knows nothing of the command line.
package watch
