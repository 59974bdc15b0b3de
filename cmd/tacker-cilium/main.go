// Command tacker-cilium works with the project's stacks outside the engine.
//
//	tacker-cilium render --stack multinode --out out [--show-secrets]
//
// evaluates a stack's program on mocks (no cloud, no credentials) and writes
// each node's user-data and kubeadm config and the resource tree.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tacker-cilium/tacker-cilium/internal/render"
)

const usage = `usage: tacker-cilium render --stack NAME [--out DIR] [--show-secrets]`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tacker-cilium:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || args[0] != "render" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	stack := fs.String("stack", "", "stack to render (stacks/Pulumi.<stack>.yaml)")
	out := fs.String("out", "out", "directory to write into")
	show := fs.Bool("show-secrets", false, "write secrets in clear instead of [secret]")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *stack == "" {
		return errors.New(usage)
	}
	root, err := projectRoot()
	if err != nil {
		return err
	}
	files, err := render.Write(render.Options{Root: root, Stack: *stack, Out: *out, ShowSecrets: *show})
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Println(f)
	}
	return nil
}

// projectRoot is the nearest directory up from here that holds Pulumi.yaml.
func projectRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Pulumi.yaml here or above: run from the project")
		}
		dir = parent
	}
}
