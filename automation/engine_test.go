package automation_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/tacker-cilium/tacker-cilium/automation"
	"github.com/tacker-cilium/tacker-cilium/internal/kubetest"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// smokeProgram is the smallest program that needs the real engine, the
// real Kubernetes provider and a secret config value: one Namespace on the
// cluster whose kubeconfig is the secret config "kubeconfig".
func smokeProgram(ctx *pulumi.Context) error {
	kubeconfig := config.RequireSecret(ctx, "kubeconfig")
	k8s, err := kubernetes.NewProvider(ctx, "loopback", &kubernetes.ProviderArgs{Kubeconfig: kubeconfig})
	if err != nil {
		return err
	}
	labels := pulumi.StringMap{}
	if team := config.Get(ctx, "team"); team != "" {
		labels["team"] = pulumi.String(team)
	}
	ns, err := corev1.NewNamespace(ctx, "smoke", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("smoke"), Labels: labels},
	}, pulumi.Provider(k8s))
	if err != nil {
		return err
	}
	ctx.Export("namespace", ns.Metadata.Name())
	ctx.Export("kubeconfig", kubeconfig)
	return nil
}

// smokeProject is a project folder as Open expects one: Pulumi.yaml and
// stacks/Pulumi.<stack>.yaml.
func smokeProject(t *testing.T) string {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "Pulumi.yaml"), []byte("name: smoke\nruntime: go\nstackConfigDir: stacks\n"), 0o600))
	must(t, os.MkdirAll(filepath.Join(root, "stacks"), 0o700))
	must(t, os.WriteFile(filepath.Join(root, "stacks", "Pulumi.dev.yaml"), []byte("config: {}\n"), 0o600))
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The driver on the real engine: up creates, a second preview sees no
// change, an object deleted behind Pulumi's back is drift (named), up
// repairs it, destroy leaves nothing, and the secret config is nowhere in
// the state file in clear.
func TestEngineLifecycle(t *testing.T) {
	pulumiBin := tooltest.Path(t, "pulumi")
	tooltest.Path(t, "pulumi-resource-kubernetes")
	cluster := kubetest.Start(t)
	root := smokeProject(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var progress strings.Builder
	defer func() {
		if t.Failed() {
			t.Log(progress.String())
		}
	}()
	open := func(refresh bool, extra ...string) *automation.Stack {
		t.Helper()
		cfg := map[string]auto.ConfigValue{"kubeconfig": {Value: cluster.Kubeconfig, Secret: true}}
		for i := 0; i+1 < len(extra); i += 2 {
			cfg[extra[i]] = auto.ConfigValue{Value: extra[i+1]}
		}
		s, err := automation.Open(ctx, automation.Options{
			Stack:      "dev",
			Root:       root,
			Program:    smokeProgram,
			PulumiRoot: filepath.Dir(filepath.Dir(pulumiBin)),
			Config:     cfg,
			Env: map[string]string{
				"PULUMI_CONFIG_PASSPHRASE": "smoke-test-passphrase",
				"PULUMI_HOME":              filepath.Join(root, ".pulumi-home"),
			},
			Refresh:  refresh,
			Progress: &progress,
		})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	}
	step := func(name string, sum *automation.Summary, err error, wantExit int) *automation.Summary {
		t.Helper()
		if code := automation.ExitCode(sum, err); code != wantExit {
			t.Fatalf("%s: exit %d, want %d: %v\nsummary: %+v\nengine output:\n%s", name, code, wantExit, err, sum, progress.String())
		}
		return sum
	}
	namespace := func() int {
		code, _, err := cluster.Do(ctx, http.MethodGet, "/api/v1/namespaces/smoke", nil)
		must(t, err)
		return code
	}

	s := open(true)
	sum, err := s.Up(ctx)
	step("up", sum, err, 0)
	t.Logf("bench: engine smoke up (1 namespace, with refresh) %.2fs", sum.DurationSeconds)
	if sum.Changes["create"] < 2 || sum.ChangesByType["kubernetes:core/v1:Namespace"]["create"] != 1 {
		t.Errorf("up: changes %v by type %v", sum.Changes, sum.ChangesByType)
	}
	if sum.Outputs["namespace"] != "smoke" || sum.Outputs["kubeconfig"] != "[secret]" {
		t.Errorf("up: outputs %v: want namespace smoke and kubeconfig [secret]", sum.Outputs)
	}
	if namespace() != http.StatusOK {
		t.Fatal("up: namespace smoke not on the cluster")
	}
	if !strings.Contains(progress.String(), "smoke") {
		t.Errorf("no engine progress streamed:\n%s", progress.String())
	}
	// The provider beside the CLI is declared as a project plugin: found
	// without a PATH lookup, so without the engine's warning.
	if strings.Contains(progress.String(), "from $PATH") {
		t.Errorf("the kubernetes provider was found on PATH, not as a project plugin:\n%s", progress.String())
	}

	sum, err = open(false).Preview(ctx)
	step("second preview", sum, err, 0)
	t.Logf("bench: engine smoke preview %.2fs", sum.DurationSeconds)
	if len(sum.Changed) != 0 {
		t.Errorf("second preview would change %+v", sum.Changed)
	}
	sum, err = s.Drift(ctx)
	step("drift before any change", sum, err, 0)

	// The namespace deleted behind Pulumi's back.
	if code, data, err := cluster.Do(ctx, http.MethodDelete, "/api/v1/namespaces/smoke", nil); err != nil || code != http.StatusOK {
		t.Fatalf("delete behind Pulumi's back: %d %v %s", code, err, data)
	}
	for namespace() != http.StatusNotFound {
		time.Sleep(200 * time.Millisecond)
	}
	sum, err = s.Drift(ctx)
	step("drift after deletion", sum, err, 2)
	t.Logf("bench: engine smoke drift %.2fs", sum.DurationSeconds)
	if len(sum.Changed) != 1 || sum.Changed[0].Name != "smoke" || sum.Changed[0].Type != "kubernetes:core/v1:Namespace" || sum.Changed[0].Op != "delete" {
		t.Errorf("drift names %+v, want the namespace smoke deleted", sum.Changed)
	}
	var text strings.Builder
	sum.WriteText(&text)
	if !strings.Contains(text.String(), "kubernetes:core/v1:Namespace smoke") {
		t.Errorf("drift text does not name the namespace:\n%s", text.String())
	}

	sum, err = s.Up(ctx)
	step("up repairing", sum, err, 0)
	if namespace() != http.StatusOK {
		t.Fatal("up did not recreate the namespace")
	}
	sum, err = s.Drift(ctx)
	step("drift after repair", sum, err, 0)

	// Config that changed but was not applied is drift too (the preview
	// half of drift), named with the property it would change.
	sum, err = open(false, "team", "blue").Drift(ctx)
	step("drift after a config change", sum, err, 2)
	if len(sum.Changed) != 1 || sum.Changed[0].Name != "smoke" || sum.Changed[0].Op != "update" ||
		!strings.Contains(strings.Join(sum.Changed[0].Diffs, " "), "metadata") {
		t.Errorf("config drift names %+v, want an update of the namespace's metadata", sum.Changed)
	}
	s = open(true) // the stack file's config again

	// Secrets are encrypted in the state file.
	state := readState(t, root)
	for _, clear := range []string{cluster.Kubeconfig, base64.StdEncoding.EncodeToString([]byte(cluster.Kubeconfig)), clientKeyData(cluster.Kubeconfig)} {
		if strings.Contains(state, clear) {
			t.Fatalf("the kubeconfig secret is in clear in the state file")
		}
	}
	if !strings.Contains(state, "4dabf18193072939515e22adb298388d") { // the engine's secret signature
		t.Errorf("no secret value in the state file: was the kubeconfig stored at all?")
	}

	sum, err = s.Destroy(ctx)
	step("destroy", sum, err, 0)
	if sum.Changes["delete"] < 2 {
		t.Errorf("destroy: changes %v", sum.Changes)
	}
	if code := namespace(); code != http.StatusNotFound {
		t.Errorf("destroy left the namespace (%d)", code)
	}
	if state := readState(t, root); strings.Contains(state, "kubernetes:core/v1:Namespace") {
		t.Errorf("destroy left resources in the state:\n%s", state)
	}
}

func readState(t *testing.T, root string) string {
	t.Helper()
	var found []string
	must(t, filepath.WalkDir(filepath.Join(root, automation.StateDir, ".pulumi", "stacks"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			found = append(found, p)
		}
		return err
	}))
	if len(found) != 1 {
		t.Fatalf("want one state file under .state, found %v", found)
	}
	data, err := os.ReadFile(found[0])
	must(t, err)
	return string(data)
}

func clientKeyData(kubeconfig string) string {
	for _, line := range strings.Split(kubeconfig, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "client-key-data: "); ok {
			return v
		}
	}
	return "no client key in the kubeconfig"
}

// A cluster made anew behind the same endpoint (a new first control plane)
// makes the objects installed on it again through their replacement
// trigger, as components/cilium and components/tackervim set it. They have
// fixed names, so they are deleted before they are made again
// (DeleteBeforeReplace): the new object is not deleted after it was made,
// and the names do not collide.
func TestProviderReplacementRemakesFixedNames(t *testing.T) {
	pulumiBin := tooltest.Path(t, "pulumi")
	tooltest.Path(t, "pulumi-resource-kubernetes")
	cluster := kubetest.Start(t)
	root := smokeProject(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	program := func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "cluster", &kubernetes.ProviderArgs{Kubeconfig: config.RequireSecret(ctx, "kubeconfig")})
		if err != nil {
			return err
		}
		_, err = corev1.NewNamespace(ctx, "fixed", &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("fixed")},
		}, pulumi.Provider(k8s), pulumi.DeleteBeforeReplace(true),
			pulumi.ReplacementTrigger(pulumi.String(config.Require(ctx, "generation"))))
		return err
	}
	var progress strings.Builder
	up := func(generation string) {
		t.Helper()
		s, err := automation.Open(ctx, automation.Options{
			Stack: "dev", Root: root, Program: program,
			PulumiRoot: filepath.Dir(filepath.Dir(pulumiBin)),
			Config: map[string]auto.ConfigValue{
				"kubeconfig": {Value: cluster.Kubeconfig, Secret: true},
				"generation": {Value: generation},
			},
			Env: map[string]string{
				"PULUMI_CONFIG_PASSPHRASE": "smoke-test-passphrase",
				"PULUMI_HOME":              filepath.Join(root, ".pulumi-home"),
			},
			Progress: &progress,
		})
		must(t, err)
		if _, err := s.Up(ctx); err != nil {
			t.Fatalf("up generation %s: %v\n%s", generation, err, progress.String())
		}
	}
	uid := func() string {
		t.Helper()
		code, body, err := cluster.Do(ctx, http.MethodGet, "/api/v1/namespaces/fixed", nil)
		must(t, err)
		if code != http.StatusOK {
			t.Fatalf("namespace fixed: %d %s\n%s", code, body, progress.String())
		}
		var ns struct {
			Metadata struct {
				UID string `json:"uid"`
			} `json:"metadata"`
		}
		must(t, json.Unmarshal(body, &ns))
		return ns.Metadata.UID
	}

	up("1")
	first := uid()
	up("2")
	// The old namespace may still be finalizing: the new one is made once it is gone.
	if second := uid(); second == first {
		t.Fatalf("a new provider did not make the namespace again (uid %s both times)\n%s", first, progress.String())
	}
	if !strings.Contains(progress.String(), "replaced") && !strings.Contains(progress.String(), "replace") {
		t.Errorf("no replacement reported:\n%s", progress.String())
	}
}
