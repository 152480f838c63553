// Package redact replaces secrets in what crictl shows or stores: CRI
// messages (requests and replies), JSON documents (the runtime's verbose
// info, the OCI runtime spec, image configs) and text (log lines).
//
// # Rules
//
// A key "looks secret" when it contains, in any case, one of pass, secret,
// token, key, auth, cred, cert, private, session, cookie or dsn
// (DB_PASSWORD, api-token, X-Auth-Key, tls_key_file, ...), except
// containerd's snapshotKey (the container's ID). Then:
//
//   - RuleCredential: the fields of a CRI AuthConfig that always hold
//     secrets (password, auth, identity_token, registry_token), whatever
//     their name.
//   - RuleKey: a map entry (labels, annotations, the runtime's info map, a
//     JSON object member) whose key looks secret has its value replaced,
//     unless the value is a JSON object or null (then its members are
//     looked at instead); a whole array under such a key is replaced.
//   - RuleEnv: an environment entry whose name looks secret keeps its name
//     and loses its value: a CRI KeyValue (container config envs), a JSON
//     object {"key"|"name": NAME, "value": VALUE} (the same in containerd's
//     info, a Kubernetes env entry in an annotation) or a "NAME=VALUE"
//     string (the OCI spec's process.env, an image config's Env).
//   - RuleURL: a URL with a password in its user info
//     (scheme://user:secret@host) keeps everything but the password.
//   - RuleLiteral: known secret values are replaced wherever they appear:
//     in every string of a message or JSON document (after the rules
//     above), and in text that goes through Redactor.Text or
//     Redactor.Writer (log tails). They are the values Redactor.Secret is
//     given (the credentials of a docker config.json; at least 4 bytes)
//     and, for a learning Redactor, every value the rules above replaced
//     that is 6 bytes or more and not a number, a path or a setting word
//     such as "enabled" (those would blank out unrelated text).
//
// Strings in a map that hold a JSON object (the runtime's verbose info) are
// parsed and redacted as JSON; numbers keep their exact digits.
//
// The replacement is the Redactor's marker: Debug ("[REDACTED]") for -D
// output, Marker ("<redacted>") for bundles and --redact. A Redactor
// counts what it replaced by rule, never the values. The package knows
// nothing of the command line.
package redact
