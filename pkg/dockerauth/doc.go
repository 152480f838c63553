// Package dockerauth finds the credentials of an image registry the way
// docker does, in the docker config.json: $DOCKER_CONFIG/config.json, else
// $HOME/.docker/config.json.
//
// For a registry, a credential helper named in "credHelpers" (per registry)
// or else "credsStore" (every registry) is the only source, as in docker:
// the program docker-credential-NAME, found on PATH, is run with the
// argument "get" and the server URL on stdin ("https://index.docker.io/v1/"
// for Docker Hub, the registry host[:port] otherwise), and answers
// {"ServerURL":..., "Username":..., "Secret":...} on stdout. The user name
// "<token>" means the secret is an identity token. The answer "credentials
// not found in native keychain" means no credentials: pull anonymously. An
// empty credHelpers value turns the helper off for its registry. Without a
// helper, the registry's "auths" entry is used: "auth" (base64 of
// user:password), "username"/"password", "identitytoken", "registrytoken".
// Registry keys match in any of docker's forms (https://index.docker.io/v1/,
// docker.io, quay.io, https://quay.io/v2/), an exact key first.
//
// A helper runs without a shell, with HelperTimeout (inside the caller's
// context), at most MaxHelperOutput bytes of stdout, and its stderr kept
// out of the terminal. Nothing here prints: errors are one line naming the
// file or helper, never a secret, and Credentials formats itself redacted,
// so a debug log may print a Result as it is.
package dockerauth
