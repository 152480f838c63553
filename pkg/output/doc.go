// Package output renders command results: tables for people, and JSON, YAML
// and go-template output for scripts.
//
// Every result has one canonical JSON document. JSON and YAML are derived
// from it and are deterministic (byte-identical across runs and builds);
// go-template runs on the same document decoded with UseNumber, so a template
// sees exactly the keys `-o json` prints. Tables are a separate, human view
// built by each command from plain strings; every cell is escaped (Escape)
// before it reaches the terminal.
//
// The package knows nothing about the CRI client or flags.
package output
