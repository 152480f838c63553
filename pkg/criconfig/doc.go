// Package criconfig reads the pod and container config files of runp,
// create, run and pull (--pod-config), and describes them as JSON Schema.
//
// A file is YAML or JSON. It is converted to JSON and then decoded by a
// strict decoder driven by the CRI's protobuf descriptors, so both
// spellings of a field work: the proto name (snake_case, "log_directory",
// as the reference's files use) and the JSON name (lowerCamel,
// "logDirectory", as inspect prints). Enums are given by number (2) or by
// name ("NODE"), 64-bit integers as numbers or strings, and the value of a
// KeyValue (env) as a plain string. Everything else is an error that names
// the file and the JSON path of the offending value: unknown fields, a
// field given twice, a value of the wrong type (no coercion: "name": 5 is
// an error), an integer out of range, an enum value that does not exist.
// Files are capped at MaxSize and YAML alias bombs are rejected.
//
// LoadPod and LoadContainer also check the required fields and fill the
// reference's defaults: a pod without metadata.uid gets a random UUID, and
// a container's image.user_specified_image defaults to image.image.
package criconfig
