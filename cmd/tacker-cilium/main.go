// Command tacker-cilium works with the project's stacks, on mocks or through
// the Pulumi engine (Automation API, program inline).
//
//	tacker-cilium render --stack multinode --out out [--show-secrets]
//
// evaluates a stack's program on mocks (no cloud, no credentials) and writes
// each node's user-data and kubeadm config and the resource tree.
//
//	tacker-cilium preview|up|refresh|destroy|drift --stack NAME [--json] [--backend URL] ...
//
// drive the stack through the engine; drift exits 0 when nothing drifted,
// 2 when something did (listing what), 1 on error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/tacker-cilium/tacker-cilium/automation"
	"github.com/tacker-cilium/tacker-cilium/internal/render"
)

const usage = `usage: tacker-cilium COMMAND --stack NAME [flags]

commands:
  render    evaluate the stack's program on mocks; write each node's user-data,
            kubeadm config and the resource tree (no cloud, no credentials)
  preview   show what up would change
  up        create or update the stack's resources
  refresh   read the real state of every resource into the stack's state
  destroy   delete every resource of the stack
  drift     refresh in preview mode, then a preview expecting no changes;
            exit 0 when nothing drifted, 2 on drift (listing it), 1 on error

render flags:   --stack NAME [--out DIR] [--show-secrets]
engine flags:   --stack NAME [--json] [--backend URL] [--root DIR]
                [--config KEY=VALUE]... [--secret KEY=VALUE|KEY=@FILE]...
                [--plugin NAME=DIR]... [--secrets-provider URL] [--refresh]

The engine commands run the program inline through the Pulumi CLI
(.tools/bin/pulumi, else PATH), with Pulumi.yaml and stacks/Pulumi.<stack>.yaml;
state goes to file://.state unless --backend or PULUMI_BACKEND_URL names another.
The passphrase of secrets comes from PULUMI_CONFIG_PASSPHRASE(_FILE).
Run 'tacker-cilium COMMAND -h' for a command's flags.`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 1
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	case "render":
		if err := runRender(args[1:], stdout); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "tacker-cilium:", err)
			return 1
		}
		return 0
	case "preview", "up", "refresh", "destroy", "drift":
		return runEngine(args[0], args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "tacker-cilium: unknown command %q\n%s\n", args[0], usage)
		return 1
	}
}

func runRender(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	stack := fs.String("stack", "", "stack to render (stacks/Pulumi.<stack>.yaml)")
	out := fs.String("out", "out", "directory to write into")
	show := fs.Bool("show-secrets", false, "write secrets in clear instead of [secret]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *stack == "" {
		return errors.New(`usage: tacker-cilium render --stack NAME [--out DIR] [--show-secrets]`)
	}
	root, err := automation.FindRoot("")
	if err != nil {
		return err
	}
	files, err := render.Write(render.Options{Root: root, Stack: *stack, Out: *out, ShowSecrets: *show})
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return nil
}

// pairs is a repeatable KEY=VALUE flag.
type pairs []string

func (p *pairs) String() string     { return strings.Join(*p, ",") }
func (p *pairs) Set(v string) error { *p = append(*p, v); return nil }

func (p pairs) parse(flagName string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range p {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flagName, kv)
		}
		m[k] = v
	}
	return m, nil
}

func runEngine(op string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(op, flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack to "+op+" (stacks/Pulumi.<stack>.yaml); org/project/stack on Pulumi Cloud")
	asJSON := fs.Bool("json", false, "print a JSON summary on stdout (progress goes to stderr)")
	backend := fs.String("backend", "", "Pulumi backend URL (default $PULUMI_BACKEND_URL, else file://<root>/.state)")
	root := fs.String("root", "", "project folder holding Pulumi.yaml (default: found from the working directory up)")
	secretsProvider := fs.String("secrets-provider", "", "secrets provider of a new stack (default passphrase)")
	refresh := fs.Bool("refresh", op == "up", "read the real state first, so drift is shown (preview) or repaired (up)")
	var config, secrets, plugins pairs
	fs.Var(&config, "config", "set config KEY=VALUE for this run (repeatable; short keys get the project's namespace)")
	fs.Var(&secrets, "secret", "set secret config KEY=VALUE, or KEY=@FILE to read the value from a file (repeatable)")
	fs.Var(&plugins, "plugin", "provider plugin NAME=DIR holding pulumi-resource-NAME (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 1
	}
	if *stack == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "usage: tacker-cilium %s --stack NAME [flags]; see tacker-cilium %s -h\n", op, op)
		return 1
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "tacker-cilium:", err)
		return 1
	}

	cfg := map[string]auto.ConfigValue{}
	plain, err := config.parse("config")
	if err != nil {
		return fail(err)
	}
	for k, v := range plain {
		cfg[k] = auto.ConfigValue{Value: v}
	}
	secret, err := secrets.parse("secret")
	if err != nil {
		return fail(err)
	}
	for k, v := range secret {
		if path, ok := strings.CutPrefix(v, "@"); ok {
			data, err := os.ReadFile(path)
			if err != nil {
				return fail(fmt.Errorf("--secret %s: %w", k, err))
			}
			v = string(data)
		}
		cfg[k] = auto.ConfigValue{Value: v, Secret: true}
	}
	pluginDirs, err := plugins.parse("plugin")
	if err != nil {
		return fail(err)
	}

	progress := stdout
	if *asJSON {
		progress = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *root != "" {
		if *root, err = filepath.Abs(*root); err != nil {
			return fail(err)
		}
	}
	s, err := automation.Open(ctx, automation.Options{
		Stack:           *stack,
		Root:            *root,
		Backend:         *backend,
		SecretsProvider: *secretsProvider,
		Config:          cfg,
		ProviderPlugins: pluginDirs,
		Refresh:         *refresh,
		Progress:        progress,
	})
	if err != nil {
		return fail(err)
	}
	var sum *automation.Summary
	switch op {
	case "preview":
		sum, err = s.Preview(ctx)
	case "up":
		sum, err = s.Up(ctx)
	case "refresh":
		sum, err = s.Refresh(ctx)
	case "destroy":
		sum, err = s.Destroy(ctx)
	case "drift":
		sum, err = s.Drift(ctx)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(sum); jerr != nil {
			return fail(jerr)
		}
	} else {
		sum.WriteText(stdout)
	}
	if err != nil && !*asJSON {
		fmt.Fprintln(stderr, "tacker-cilium:", op, "failed")
	}
	return automation.ExitCode(sum, err)
}
