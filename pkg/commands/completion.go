package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/config"
	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// completionTimeout bounds the RPCs made to complete IDs and names, so a
// slow runtime never stalls the shell.
const completionTimeout = 500 * time.Millisecond

// countPositional counts the arguments in words that are neither flags nor
// flag values.
func countPositional(cmd *cli.Command, words []string) int {
	n := 0
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			return n + len(words) - i - 1
		}
		if isFlagToken(w) {
			if takesValue(cmd.Flags, w, true) && !strings.Contains(w, "=") {
				i++
			}
			continue
		}
		n++
	}
	return n
}

var completionScripts = map[string]string{
	"bash": `# crictl bash completion; load with: source <(crictl completion bash)
_crictl() {
    local IFS=$'\n'
    local cur="${COMP_WORDS[COMP_CWORD]}"
    COMPREPLY=($(compgen -W "$(crictl __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "$cur"))
}
complete -o default -F _crictl crictl
`,
	"zsh": `#compdef crictl
# crictl zsh completion; load with: source <(crictl completion zsh)
_crictl() {
    local -a candidates
    candidates=("${(@f)$(crictl __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    (( ${#candidates} )) && compadd -- "${candidates[@]}" || _files
}
if [[ "${funcstack[1]}" == "_crictl" ]]; then
    _crictl "$@"
else
    compdef _crictl crictl
fi
`,
	"fish": `# crictl fish completion; load with: crictl completion fish | source
function __crictl_complete
    set -l args (commandline -opc) (commandline -ct)
    crictl __complete $args[2..-1] 2>/dev/null
end
complete -c crictl -f -a '(__crictl_complete)'
`,
}

func newCompletionCommand(f *Factory) *cli.Command {
	return &cli.Command{
		Action: func(c *cli.Context) error {
			shell := "bash"
			if c.NArg() > 1 {
				return usagef(commandPath(c), "completion takes one shell: bash, zsh or fish")
			}
			if c.NArg() == 1 {
				shell = c.Args().First()
			}
			script, ok := completionScripts[shell]
			if !ok {
				return usagef(commandPath(c), "unsupported shell %q: only bash, zsh or fish are supported", shell)
			}
			_, err := fmt.Fprint(f.IO.Out, script)
			return err
		},
		Subcommands: nil,
	}
}

var _ = register(command{name: "completion", group: groupClient, args: argShell, build: newCompletionCommand,
	usage: "Output shell completion code", argsUsage: "[bash|zsh|fish]", help: completionHelp})

// completionHelp is the description in "crictl completion --help".
const completionHelp = `Completes commands, flags, output formats, container and pod IDs and names, and images.
bash: source <(crictl completion bash)   zsh: source <(crictl completion zsh)   fish: crictl completion fish | source`

// newCompleteCommand is the hidden command the completion scripts call with
// the words typed so far; the last word is the one being completed.
func newCompleteCommand(f *Factory) *cli.Command {
	return &cli.Command{
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			words := c.Args().Slice()
			if len(words) == 0 {
				words = []string{""}
			}
			cands := complete(c.Context, f, appOf(c), words)
			sort.Strings(cands)
			var b strings.Builder
			prev := ""
			for _, s := range cands {
				if s != prev && strings.HasPrefix(s, words[len(words)-1]) {
					b.WriteString(output.Escape(s))
					b.WriteByte('\n')
				}
				prev = s
			}
			_, err := fmt.Fprint(f.IO.Out, b.String())
			return err
		},
	}
}

var _ = register(command{name: "__complete", group: groupClient, build: newCompleteCommand, wholeTree: true,
	usage: ""})

func complete(ctx context.Context, f *Factory, app *app, words []string) []string {
	cur := words[len(words)-1]
	done := words[:len(words)-1]
	// Global flags, then the command.
	i := 0
	globals := f.flags
	for i < len(done) && isFlagToken(done[i]) {
		if takesValue(app.Flags, done[i], true) && !strings.Contains(done[i], "=") {
			if i+1 < len(done) {
				setGlobal(&globals, done[i], done[i+1])
			}
			i++
		}
		i++
	}
	if i >= len(done) {
		if i > 0 && takesValue(app.Flags, done[len(done)-1], true) {
			return nil
		}
		if strings.HasPrefix(cur, "-") {
			return flagNames(app.Flags)
		}
		return app.commandNames()
	}
	cmd := app.find(done[i])
	if cmd == nil {
		return nil
	}
	rest := done[i+1:]
	if len(rest) > 0 {
		last := rest[len(rest)-1]
		if isFlagToken(last) && takesValue(cmd.Flags, last, true) && !strings.Contains(last, "=") {
			return flagValues(cmd, strings.TrimLeft(last, "-"))
		}
	}
	if strings.HasPrefix(cur, "-") {
		return flagNames(cmd.Flags)
	}
	spec := app.spec(cmd)
	if spec.firstArgOnly && countPositional(cmd, rest) > 0 {
		// exec's command, port-forward's ports: nothing to offer; create's
		// config files: the shell completes file names.
		return nil
	}
	if spec.args == argCommand {
		return app.commandNames()
	}
	f.flags = globals
	return dynamicArgs(ctx, f, spec.args, completionScope(cmd, rest))
}

func setGlobal(g *config.Flags, flag, value string) {
	v := value
	switch strings.TrimLeft(flag, "-") {
	case "r", "runtime-endpoint":
		g.RuntimeEndpoint = &v
	case "i", "image-endpoint":
		g.ImageEndpoint = &v
	case "c", "config":
		g.ConfigPath = &v
	}
}

func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, fl := range flags {
		for _, n := range fl.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}

func flagValues(cmd *cli.Command, name string) []string {
	if name != "o" && name != "output" {
		return nil
	}
	fl := lookupFlag(cmd.Flags, name)
	sf, ok := fl.(*cli.StringFlag)
	if !ok {
		return nil
	}
	_, list, _ := strings.Cut(sf.Usage, "one of: ")
	return strings.Split(list, ", ")
}

// completionScope is the --namespace, --pod and --regex already typed on
// the command line, so names are completed in that scope; values that do
// not parse are ignored.
func completionScope(cmd *cli.Command, words []string) *kube.ContainerFilter {
	vals := map[string]string{}
	for i := 0; i < len(words); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(words[i], "-"), "=")
		if !isFlagToken(words[i]) || (name != "namespace" && name != "pod" && name != "regex") {
			continue
		}
		if !hasValue && name != "regex" && takesValue(cmd.Flags, words[i], true) && i+1 < len(words) {
			value = words[i+1]
			i++
		}
		vals[name] = value
	}
	scope := &kube.ContainerFilter{All: true, Pod: vals["pod"]}
	_, regex := vals["regex"]
	scope.Namespace, _ = kube.NamespaceMatcher(vals["namespace"], regex)
	return scope
}

func dynamicArgs(ctx context.Context, f *Factory, kind argKind, scope *kube.ContainerFilter) []string {
	ctx, cancel := context.WithTimeout(cri.WithTimeout(ctx, completionTimeout), completionTimeout)
	defer cancel()
	var out []string
	switch kind {
	case argShell:
		return []string{"bash", "zsh", "fish"}
	case argConfigKey:
		return config.Keys()
	case argContainer, argPod:
		rs, err := f.Runtime()
		if err != nil {
			return nil
		}
		if kind == argPod {
			pods, _ := kube.ListPods(ctx, rs, &kube.PodFilter{Selector: kube.Selector{Namespace: scope.Namespace}})
			for _, p := range pods {
				out = append(out, p.GetId(), p.GetMetadata().GetName())
			}
			return out
		}
		if res, err := kube.ListContainers(ctx, rs, f.Image, scope, kube.Join{}); err == nil {
			for _, c := range res.Items {
				out = append(out, c.GetId(), c.GetMetadata().GetName())
			}
		}
	case argImage:
		is, err := f.Image()
		if err != nil {
			return nil
		}
		r, err := is.ListImages(ctx, &runtimeapi.ListImagesRequest{})
		if err != nil {
			return nil
		}
		for _, img := range r.Images {
			out = append(out, img.GetRepoTags()...)
		}
	}
	return out
}

// commandNames are the names and aliases of the visible commands.
func (a *app) commandNames() []string {
	var names []string
	for _, c := range a.Commands {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	return names
}
