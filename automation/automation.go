// Package automation drives the project's stacks through the Pulumi
// Automation API: the CLI's preview, up, refresh, destroy and drift, and the
// same operations for a pipeline's own Go code.
//
//	s, err := automation.Open(ctx, automation.Options{Stack: "multinode", Progress: os.Stderr})
//	sum, err := s.Up(ctx)
//	sum, err = s.Drift(ctx)           // sum.Drifted, sum.Changed
//	os.Exit(automation.ExitCode(sum, err))
//
// The program runs inline (stacks.Program, or Options.Program), so no Go
// language plugin is needed. Project settings come from the project's
// Pulumi.yaml and stack config from stacks/Pulumi.<stack>.yaml; they are
// copied into a workspace folder under .state/ each time, never written
// back. State goes to a file backend in .state/ unless Options.Backend names
// another (s3://, azblob://, gs://, https://api.pulumi.com...). Secrets use
// the stack's secrets provider, by default the passphrase one with
// PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE from the
// environment.
package automation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tacker-cilium/tacker-cilium/stacks"
)

// StateDir is the folder, under the project root, of the default file
// backend and of the workspaces. It is git-ignored.
const StateDir = ".state"

// Options say which stack to drive and how.
type Options struct {
	// Stack is the stack's name: stacks/Pulumi.<Stack>.yaml is its config.
	// With a Pulumi Cloud backend it may be org/project/stack.
	Stack string
	// Root is the project folder (Pulumi.yaml, stacks/). Empty: the nearest
	// folder holding Pulumi.yaml, from the working directory up.
	Root string
	// Program is the Pulumi program. Nil: stacks.Program, what main.go runs.
	Program pulumi.RunFunc
	// Backend is a Pulumi backend URL. Empty: $PULUMI_BACKEND_URL, else
	// file://<Root>/.state.
	Backend string
	// SecretsProvider of a new stack: empty or "passphrase" for the
	// passphrase provider (PULUMI_CONFIG_PASSPHRASE[_FILE] must be set), or
	// a KMS URL such as awskms://..., hashivault://...; "default" for Pulumi
	// Cloud's. An existing stack keeps the one its config or state names.
	SecretsProvider string
	// Config is set on top of the stack file for this run, keyed by full
	// key ("tacker-cilium:workerCount") or short key (the project's own
	// namespace is added).
	Config map[string]auto.ConfigValue
	// ProviderPlugins maps a provider plugin's name to a folder holding its
	// pulumi-resource-<name> binary (Project.Plugins.Providers), such as a
	// locally built Tacker provider.
	ProviderPlugins map[string]string
	// PulumiRoot is a folder whose bin/pulumi is the CLI to run. Empty:
	// <Root>/.tools when it holds bin/pulumi (scripts/tools.sh builds it
	// there), else the pulumi on PATH. Provider binaries beside the CLI
	// (bin/pulumi-resource-kubernetes) are declared as the project's
	// provider plugins, so they are used whatever version the program
	// asks for, and never downloaded.
	PulumiRoot string
	// WorkDir is where the workspace's Pulumi.yaml and Pulumi.<stack>.yaml
	// are written. Empty: workspaces/<stack> in the file backend's folder,
	// or in <Root>/.state with any other backend.
	WorkDir string
	// Env is added to the engine's environment.
	Env map[string]string
	// Refresh makes Preview and Up read the real state of every resource
	// first (pulumi up --refresh), so what was changed or deleted behind
	// Pulumi's back is shown, and repaired by Up.
	Refresh bool
	// Progress receives the engine's progress as it reports it; nil
	// discards it.
	Progress io.Writer
}

// Stack is an opened stack.
type Stack struct {
	auto.Stack
	opts Options
	root string
}

// Open prepares the workspace and selects the stack, creating it in the
// backend when it does not exist yet.
func Open(ctx context.Context, o Options) (*Stack, error) {
	if o.Stack == "" {
		return nil, errors.New("no stack given")
	}
	root := o.Root
	if root == "" {
		var err error
		if root, err = FindRoot(""); err != nil {
			return nil, err
		}
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if o.Program == nil {
		o.Program = stacks.Program
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}

	project, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	backend := o.Backend
	if backend == "" {
		backend = os.Getenv("PULUMI_BACKEND_URL")
	}
	if backend == "" {
		dir := filepath.Join(root, StateDir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		backend = "file://" + filepath.ToSlash(dir)
	}
	// The workspace holds copies: the stack file goes beside Pulumi.yaml.
	project.StackConfigDir = ""
	project.Backend = &workspace.ProjectBackend{URL: backend}
	pulumiRoot := o.PulumiRoot
	if pulumiRoot == "" {
		if st, err := os.Stat(filepath.Join(root, ".tools", "bin", "pulumi")); err == nil && !st.IsDir() {
			pulumiRoot = filepath.Join(root, ".tools")
		}
	}
	if err := setPlugins(project, root, pulumiRoot, o.ProviderPlugins); err != nil {
		return nil, err
	}

	short := o.Stack[strings.LastIndex(o.Stack, "/")+1:]
	stackFile := filepath.Join(root, "stacks", "Pulumi."+short+".yaml")
	if _, err := os.Stat(stackFile); err != nil {
		return nil, fmt.Errorf("stack %q: no %s; stacks are the Pulumi.<stack>.yaml files in stacks/", o.Stack, stackFile)
	}
	settings, err := workspace.LoadProjectStack(nil, project, stackFile)
	if err != nil {
		return nil, err
	}
	workDir := o.WorkDir
	if workDir == "" {
		// Beside a file backend's state, so that one folder holds all of a
		// stack; else in the project's .state/.
		base := filepath.Join(root, StateDir)
		if p, ok := strings.CutPrefix(backend, "file://"); ok && filepath.IsAbs(p) {
			base = p
		}
		workDir = filepath.Join(base, "workspaces", short)
	}
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return nil, err
	}
	// A stack file without secrets settings keeps those the workspace
	// got from the engine last time (its passphrase salt), so that the
	// config secrets set there stay readable.
	if settings.EncryptionSalt == "" && settings.SecretsProvider == "" && settings.EncryptedKey == "" {
		if prev, err := workspace.LoadProjectStack(nil, project, filepath.Join(workDir, "Pulumi."+short+".yaml")); err == nil {
			settings.EncryptionSalt, settings.SecretsProvider, settings.EncryptedKey = prev.EncryptionSalt, prev.SecretsProvider, prev.EncryptedKey
		}
	}

	sp := o.SecretsProvider
	if settings.SecretsProvider != "" {
		sp = settings.SecretsProvider
	}
	// Pulumi Cloud (an http(s) backend) encrypts with its own key by
	// default; every other backend uses the passphrase by default.
	cloud := strings.HasPrefix(backend, "https://") || strings.HasPrefix(backend, "http://")
	if (sp == "passphrase" || sp == "" && !cloud) && os.Getenv("PULUMI_CONFIG_PASSPHRASE") == "" &&
		os.Getenv("PULUMI_CONFIG_PASSPHRASE_FILE") == "" && o.Env["PULUMI_CONFIG_PASSPHRASE"] == "" &&
		o.Env["PULUMI_CONFIG_PASSPHRASE_FILE"] == "" {
		return nil, errors.New("the passphrase secrets provider needs PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE in the environment (or choose another secrets provider)")
	}

	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: pulumiRoot})
	if err != nil {
		return nil, fmt.Errorf("%w (scripts/tools.sh pulumi builds the Pulumi CLI into .tools/bin)", err)
	}

	env := map[string]string{
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		// Plugins come from the project's plugin declarations, the CLI's
		// folder or PATH; a download would fail slowly where there is no
		// network, and would fetch a binary nobody built here.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		// A workspace laid anew still finds the secrets settings of an
		// existing stack in its state.
		"PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER": "true",
	}
	for k, v := range o.Env {
		env[k] = v
	}
	wsOpts := []auto.LocalWorkspaceOption{
		auto.WorkDir(workDir),
		auto.Project(*project),
		auto.Stacks(map[string]workspace.ProjectStack{short: *settings}),
		auto.Pulumi(cmd),
		auto.EnvVars(env),
	}
	if o.SecretsProvider != "" {
		wsOpts = append(wsOpts, auto.SecretsProvider(o.SecretsProvider))
	}
	st, err := auto.UpsertStackInlineSource(ctx, o.Stack, project.Name.String(), o.Program, wsOpts...)
	if err != nil {
		return nil, err
	}
	if len(o.Config) > 0 {
		cfg := auto.ConfigMap{}
		for k, v := range o.Config {
			if !strings.Contains(k, ":") {
				k = project.Name.String() + ":" + k
			}
			cfg[k] = v
		}
		if err := st.SetAllConfig(ctx, cfg); err != nil {
			return nil, err
		}
	}
	return &Stack{Stack: st, opts: o, root: root}, nil
}

// setPlugins makes the project's plugin paths absolute (the workspace is
// elsewhere), declares every pulumi-resource-* beside the CLI as a provider
// plugin (found without the engine's "using ... from $PATH" warning on
// every run), and adds or replaces the ones given.
func setPlugins(project *workspace.Project, root, pulumiRoot string, given map[string]string) error {
	if project.Plugins == nil {
		project.Plugins = &workspace.Plugins{}
	}
	for _, list := range []*[]workspace.PluginOptions{&project.Plugins.Providers, &project.Plugins.Languages, &project.Plugins.Analyzers} {
		for i, p := range *list {
			if p.Path != "" && !filepath.IsAbs(p.Path) {
				(*list)[i].Path = filepath.Join(root, p.Path)
			}
		}
	}
	providers := map[string]string{}
	if pulumiRoot != "" {
		bin, err := filepath.Abs(filepath.Join(pulumiRoot, "bin"))
		if err != nil {
			return err
		}
		found, _ := filepath.Glob(filepath.Join(bin, "pulumi-resource-*"))
		for _, f := range found {
			providers[strings.TrimPrefix(filepath.Base(f), "pulumi-resource-")] = bin
		}
	}
	for _, p := range project.Plugins.Providers {
		delete(providers, p.Name) // the project's own declaration wins over the tools folder
	}
	for name, dir := range given {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		providers[name] = abs
	}
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	kept := project.Plugins.Providers[:0]
	for _, p := range project.Plugins.Providers {
		if _, replaced := given[p.Name]; !replaced {
			kept = append(kept, p)
		}
	}
	project.Plugins.Providers = kept
	for _, n := range names {
		project.Plugins.Providers = append(project.Plugins.Providers, workspace.PluginOptions{Name: n, Path: providers[n]})
	}
	if len(project.Plugins.Providers)+len(project.Plugins.Languages)+len(project.Plugins.Analyzers) == 0 {
		project.Plugins = nil
	}
	return nil
}

// FindRoot is the nearest folder holding Pulumi.yaml from dir up (the
// working directory when dir is empty).
func FindRoot(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Pulumi.yaml here or above: run from the project or give its root")
		}
		dir = parent
	}
}

// Root is the project folder the stack was opened from.
func (s *Stack) Root() string { return s.root }

// Preview shows what Up would change.
func (s *Stack) Preview(ctx context.Context) (*Summary, error) {
	sum, rec := s.begin("preview")
	opts := []optpreview.Option{optpreview.ProgressStreams(s.opts.Progress), optpreview.EventStreams(rec.ch)}
	if s.opts.Refresh {
		opts = append(opts, optpreview.Refresh())
	}
	res, err := s.Stack.Preview(ctx, opts...)
	rec.finish(err == nil)
	sum.fill(rec, res.ChangeSummary, err)
	return sum, err
}

// Up creates or updates the stack's resources and returns its outputs.
func (s *Stack) Up(ctx context.Context) (*Summary, error) {
	sum, rec := s.begin("up")
	opts := []optup.Option{optup.ProgressStreams(s.opts.Progress), optup.EventStreams(rec.ch)}
	if s.opts.Refresh {
		opts = append(opts, optup.Refresh())
	}
	res, err := s.Stack.Up(ctx, opts...)
	rec.finish(err == nil)
	sum.fill(rec, changes(res.Summary.ResourceChanges), err)
	if err == nil {
		sum.Outputs = redact(res.Outputs)
	}
	return sum, err
}

// Refresh reads the real state of every resource into the stack's state.
func (s *Stack) Refresh(ctx context.Context) (*Summary, error) {
	sum, rec := s.begin("refresh")
	res, err := s.Stack.Refresh(ctx, optrefresh.ProgressStreams(s.opts.Progress), optrefresh.EventStreams(rec.ch))
	rec.finish(err == nil)
	sum.fill(rec, changes(res.Summary.ResourceChanges), err)
	if err == nil {
		sum.Outputs = s.outputs(ctx)
	}
	return sum, err
}

// Destroy deletes every resource of the stack (the stack itself and its
// history stay in the backend).
func (s *Stack) Destroy(ctx context.Context) (*Summary, error) {
	sum, rec := s.begin("destroy")
	res, err := s.Stack.Destroy(ctx, optdestroy.ProgressStreams(s.opts.Progress), optdestroy.EventStreams(rec.ch))
	rec.finish(err == nil)
	sum.fill(rec, changes(res.Summary.ResourceChanges), err)
	return sum, err
}

// Drift tells whether the stack still is what its program and config say,
// without changing anything: a refresh in preview mode (what changed or
// vanished behind Pulumi's back), then a preview that expects no changes
// (what the program or config would change). Summary.Drifted and
// Summary.Changed tell what drifted; ExitCode maps it to 0, 2 or 1.
func (s *Stack) Drift(ctx context.Context) (*Summary, error) {
	sum, rec := s.begin("drift")
	refreshed, err := s.Stack.PreviewRefresh(ctx, optrefresh.ProgressStreams(s.opts.Progress), optrefresh.EventStreams(rec.ch))
	rec.finish(err == nil)
	if err != nil {
		sum.fill(rec, refreshed.ChangeSummary, err)
		return sum, err
	}
	rec2 := newRecorder()
	previewed, err := s.Stack.Preview(ctx, optpreview.ProgressStreams(s.opts.Progress), optpreview.EventStreams(rec2.ch))
	rec2.finish(err == nil)
	rec.merge(rec2)
	total := map[apitype.OpType]int{}
	for op, n := range refreshed.ChangeSummary {
		if isChange(string(op)) {
			total[op] += n
		}
	}
	for op, n := range previewed.ChangeSummary {
		total[op] += n
	}
	sum.fill(rec, total, err)
	sum.Drifted = err == nil && len(sum.Changed) > 0
	return sum, err
}

func (s *Stack) begin(op string) (*Summary, *recorder) {
	return &Summary{Operation: op, Stack: s.Name(), start: time.Now()}, newRecorder()
}

func (s *Stack) outputs(ctx context.Context) map[string]any {
	out, err := s.Stack.Outputs(ctx)
	if err != nil {
		return nil
	}
	return redact(out)
}

// ExitCode is what the CLI exits with: 0 when the operation succeeded (and,
// for drift, nothing drifted), 2 when drift was found, 1 on error.
func ExitCode(sum *Summary, err error) int {
	switch {
	case err != nil:
		return 1
	case sum != nil && sum.Drifted:
		return 2
	default:
		return 0
	}
}

// recorder collects what the engine reports about each resource.
type recorder struct {
	ch   chan events.EngineEvent
	done chan struct{}
	mu   sync.Mutex
	ops  map[string]Change // by URN
	diag []string
}

func newRecorder() *recorder {
	r := &recorder{ch: make(chan events.EngineEvent), done: make(chan struct{}), ops: map[string]Change{}}
	go func() {
		defer close(r.done)
		for ev := range r.ch {
			r.record(ev)
		}
	}()
	return r
}

func (r *recorder) record(ev events.EngineEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var md *apitype.StepEventMetadata
	switch {
	case ev.ResourcePreEvent != nil:
		md = &ev.ResourcePreEvent.Metadata
	case ev.ResOutputsEvent != nil:
		md = &ev.ResOutputsEvent.Metadata
	case ev.DiagnosticEvent != nil && ev.DiagnosticEvent.Severity == "error":
		r.diag = append(r.diag, strings.TrimSpace(ev.DiagnosticEvent.Message))
	}
	// A refresh step first reports "refresh", then (in its outputs event)
	// what the refresh found: same, update or delete.
	if md == nil || md.Op == apitype.OpType("refresh") {
		return
	}
	diffs := slices.Clone(md.Diffs)
	for k := range md.DetailedDiff {
		if !slices.Contains(diffs, k) {
			diffs = append(diffs, k)
		}
	}
	if prev, ok := r.ops[md.URN]; ok && len(diffs) == 0 && prev.Op == string(md.Op) {
		diffs = prev.Diffs // the outputs event of a step may not repeat its diff
	}
	sort.Strings(diffs)
	r.ops[md.URN] = Change{URN: md.URN, Type: md.Type, Name: urnName(md.URN), Op: string(md.Op), Diffs: diffs}
}

// finish waits for the last events: the stream ends when the engine closes
// it, which it does not always do when the operation failed.
func (r *recorder) finish(ok bool) {
	wait := 2 * time.Second
	if ok {
		wait = 30 * time.Second
	}
	select {
	case <-r.done:
	case <-time.After(wait):
	}
}

func (r *recorder) merge(o *recorder) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for urn, c := range o.ops {
		if prev, ok := r.ops[urn]; ok && isChange(prev.Op) && !isChange(c.Op) {
			continue // the refresh's finding outranks the preview's "same"
		}
		r.ops[urn] = c
	}
	r.diag = append(r.diag, o.diag...)
}

func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// isChange tells the operations that change something from those that
// do not (same, read, refresh, discard).
func isChange(op string) bool {
	return !slices.Contains([]string{"same", "read", "refresh", "discard", "discard-replaced", ""}, op)
}

func changes(m *map[string]int) map[apitype.OpType]int {
	out := map[apitype.OpType]int{}
	if m != nil {
		for k, v := range *m {
			out[apitype.OpType(k)] = v
		}
	}
	return out
}

func redact(out auto.OutputMap) map[string]any {
	m := map[string]any{}
	for k, v := range out {
		if v.Secret {
			m[k] = "[secret]"
		} else {
			m[k] = v.Value
		}
	}
	return m
}
