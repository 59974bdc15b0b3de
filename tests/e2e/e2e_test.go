// Package e2e drives a whole stack the way a user does: the tacker-cilium
// command, built here, runs the stack program on the real Pulumi engine
// with the real Kubernetes provider and the project's Tacker provider
// plugin, against a real kube-apiserver on loopback and the Tacker
// stand-in (Tacker itself cannot run here). The stack is the shipped
// bring-your-own-cluster one, stacks/Pulumi.existing.yaml.
package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/internal/kubetest"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// Built once by TestMain: the CLI, and a folder holding the Tacker
// provider plugin (pulumi-resource-tacker).
var cli, pluginDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "tacker-cilium-e2e")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		cli = filepath.Join(dir, "tacker-cilium")
		pluginDir = filepath.Join(dir, "plugins")
		for out, pkg := range map[string]string{cli: "./cmd/tacker-cilium", filepath.Join(pluginDir, "pulumi-resource-tacker"): "./cmd/pulumi-resource-tacker"} {
			build := exec.Command("go", "build", "-o", out, pkg)
			build.Dir = "../.."
			build.Stdout, build.Stderr = os.Stderr, os.Stderr
			if err := build.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "go build %s: %v\n", pkg, err)
				return 1
			}
		}
		return m.Run()
	}())
}

// summary is the CLI's --json output, as docs/ci.md documents it.
type summary struct {
	Operation     string                    `json:"operation"`
	Result        string                    `json:"result"`
	Changes       map[string]int            `json:"changes"`
	ChangesByType map[string]map[string]int `json:"changesByType"`
	Changed       []struct {
		Type, Name, Op string
		Diffs          []string
	} `json:"changed"`
	Drifted bool           `json:"drifted"`
	Outputs map[string]any `json:"outputs"`
	Error   string         `json:"error"`
}

// stack is one bring-your-own-cluster stack under test.
type stack struct {
	t       *testing.T
	root    string // the repository
	backend string // file backend folder
	args    []string
	env     []string
}

// run runs `tacker-cilium OP` on the stack and returns its exit code and
// JSON summary; the engine's progress (stderr) is logged when the test fails.
func (s *stack) run(op string, wantExit int) (summary, time.Duration) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, append([]string{op}, s.args...)...)
	cmd.Dir = s.root
	cmd.Env = s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	code := 0
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		s.t.Fatalf("%s: %v", op, err)
	}
	var sum summary
	if jerr := json.Unmarshal(stdout.Bytes(), &sum); jerr != nil {
		s.t.Fatalf("%s: exit %d, stdout is not the JSON summary (%v):\n%s\nstderr:\n%s", op, code, jerr, stdout.String(), stderr.String())
	}
	if code != wantExit {
		s.t.Fatalf("%s: exit %d, want %d; result %q, error:\n%s\nengine output:\n%s", op, code, wantExit, sum.Result, sum.Error, stderr.String())
	}
	if sum.Operation != op {
		s.t.Errorf("%s: summary of operation %q", op, sum.Operation)
	}
	return sum, took
}

// The shipped existing-cluster stack through its whole life on the real
// engine: up installs Cilium from the local chart and registers the VIM
// with the service account's real token; a second preview changes
// nothing; a VIM deleted in Tacker is drift (exit 2, named) that up
// repairs; destroy leaves nothing behind; no secret is in clear in the
// state file.
func TestE2EExistingCluster(t *testing.T) {
	root, err := filepath.Abs("../..")
	must(t, err)
	pulumiBin := tooltest.Path(t, "pulumi")
	tooltest.Path(t, "pulumi-resource-kubernetes")
	chart := tooltest.Chart(t, "cilium-chart")
	stackCfg := stackFile(t, filepath.Join(root, "stacks", "Pulumi.existing.yaml"))
	cluster := kubetest.Start(t)

	const tackerToken = "e2e-tacker-token"
	tacker := tackertest.New(tackerToken)
	// What Tacker does on registration: call the cluster's API with the
	// VIM's token, trusting the VIM's CA, and list the namespaces.
	tacker.Cluster = listNamespaces
	must(t, tacker.Start("127.0.0.1:0"))
	t.Cleanup(tacker.Close)

	backend := t.TempDir()
	s := &stack{t: t, root: root, backend: backend,
		args: []string{
			"--stack", "existing", "--root", root, "--json",
			"--backend", "file://" + backend,
			"--plugin", "tacker=" + pluginDir,
			"--secret", "kubeconfig=@" + cluster.KubeconfigPath,
			"--config", "ciliumChartPath=" + chart,
			"--config", "ciliumWait=false", // no nodes: nothing of the DaemonSet can run
			"--config", "tackerEndpoint=" + tacker.URL,
		},
		env: engineEnv(t, pulumiBin, map[string]string{
			"PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
			"PULUMI_HOME":              t.TempDir(),
			"OS_TOKEN":                 tackerToken,
		}),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	get := func(path string, into any) int {
		t.Helper()
		code, data, err := cluster.Do(ctx, http.MethodGet, path, nil)
		must(t, err)
		if code == http.StatusOK && into != nil {
			must(t, json.Unmarshal(data, into))
		}
		return code
	}

	// up
	sum, took := s.run("up", 0)
	t.Logf("bench: e2e up (existing cluster: Cilium release from the local chart, Tacker VIM) %.2fs", took.Seconds())
	if sum.Result != "succeeded" || sum.ChangesByType["kubernetes:helm.sh/v3:Release"]["create"] != 1 || sum.ChangesByType["tacker:index:Vim"]["create"] != 1 {
		t.Errorf("up: result %q, changes by type %v", sum.Result, sum.ChangesByType)
	}
	if sum.Outputs["apiEndpoint"] != cluster.Server || sum.Outputs["kubeconfig"] != "[secret]" {
		t.Errorf("up: outputs %v: want apiEndpoint %s and kubeconfig [secret]", sum.Outputs, cluster.Server)
	}

	// Tacker holds one VIM, with the cluster's server, its CA and a token
	// the cluster accepts (the stand-in listed the namespaces with it).
	vims := tacker.Vims()
	if len(vims) != 1 {
		t.Fatalf("up: %d VIMs in Tacker, want 1", len(vims))
	}
	vim := vims[0]
	if sum.Outputs["vimId"] != vim.ID {
		t.Errorf("output vimId %v, Tacker's VIM %s", sum.Outputs["vimId"], vim.ID)
	}
	if vim.Name != stackCfg.ClusterName || vim.Type != "kubernetes" || vim.AuthURL != cluster.Server {
		t.Errorf("VIM %q type %q auth_url %q: want %q, kubernetes, %q", vim.Name, vim.Type, vim.AuthURL, stackCfg.ClusterName, cluster.Server)
	}
	if ca, _ := vim.AuthCred["ssl_ca_cert"].(string); strings.TrimSpace(ca) != strings.TrimSpace(string(cluster.CACert)) {
		t.Errorf("VIM ssl_ca_cert is not the cluster CA:\n%s", ca)
	}
	if !contains(vim.Regions, "kube-system") || !contains(vim.Regions, "default") {
		t.Errorf("VIM regions %v: not the cluster's namespaces", vim.Regions)
	}
	token, _ := vim.AuthCred["bearer_token"].(string)

	// The token is a service account's, bound to the stack's cluster role,
	// and it is the one of that account's token Secret.
	account := whoIs(t, cluster.Server, cluster.CACert, token)
	ns, name, ok := strings.Cut(strings.TrimPrefix(account, "system:serviceaccount:"), ":")
	if !ok || !strings.HasPrefix(account, "system:serviceaccount:") {
		t.Fatalf("the VIM's token authenticates %q, not a service account", account)
	}
	if code := get("/api/v1/namespaces/"+ns+"/serviceaccounts/"+name, nil); code != http.StatusOK {
		t.Errorf("service account %s/%s: %d", ns, name, code)
	}
	var secrets struct {
		Items []struct {
			Metadata struct {
				Name        string
				Annotations map[string]string
				Labels      map[string]string
			}
			Type string
			Data map[string]string
		}
	}
	get("/api/v1/namespaces/"+ns+"/secrets", &secrets)
	tokenSecret := ""
	for _, sec := range secrets.Items {
		if sec.Type == "kubernetes.io/service-account-token" && sec.Metadata.Annotations["kubernetes.io/service-account.name"] == name {
			if b, _ := base64.StdEncoding.DecodeString(sec.Data["token"]); string(b) == token {
				tokenSecret = sec.Metadata.Name
			}
		}
	}
	if tokenSecret == "" {
		t.Errorf("no service-account-token Secret of %s/%s holds the VIM's token", ns, name)
	}
	var bindings struct {
		Items []struct {
			Metadata struct{ Name string }
			RoleRef  struct{ Kind, Name string } `json:"roleRef"`
			Subjects []struct{ Kind, Name, Namespace string }
		}
	}
	get("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", &bindings)
	binding := ""
	for _, b := range bindings.Items {
		for _, sub := range b.Subjects {
			if sub.Kind == "ServiceAccount" && sub.Namespace == ns && sub.Name == name && b.RoleRef.Kind == "ClusterRole" && b.RoleRef.Name == stackCfg.VimClusterRole {
				binding = b.Metadata.Name
			}
		}
	}
	if binding == "" {
		t.Errorf("no ClusterRoleBinding of %s/%s to %s", ns, name, stackCfg.VimClusterRole)
	}

	// The Helm release: its release Secret, the agent's DaemonSet and the
	// agent's configuration with the stack's cluster identity and datapath.
	if n := helmReleases(t, get); n != 1 {
		t.Errorf("%d deployed Helm releases named cilium in kube-system, want 1", n)
	}
	if code := get("/apis/apps/v1/namespaces/kube-system/daemonsets/cilium", nil); code != http.StatusOK {
		t.Errorf("DaemonSet kube-system/cilium: %d", code)
	}
	var ciliumConfig struct{ Data map[string]string }
	if code := get("/api/v1/namespaces/kube-system/configmaps/cilium-config", &ciliumConfig); code != http.StatusOK {
		t.Fatalf("ConfigMap kube-system/cilium-config: %d", code)
	}
	for key, want := range map[string]string{
		"cluster-name":    stackCfg.ClusterName,
		"cluster-id":      fmt.Sprint(stackCfg.ClusterID),
		"routing-mode":    stackCfg.RoutingMode,
		"tunnel-protocol": stackCfg.TunnelProtocol,
	} {
		if got := ciliumConfig.Data[key]; got != want {
			t.Errorf("cilium-config %s = %q, want %q (the stack file's)", key, got, want)
		}
	}

	// A second run changes nothing.
	sum, took = s.run("preview", 0)
	t.Logf("bench: e2e preview (existing cluster, no changes) %.2fs", took.Seconds())
	if len(sum.Changed) != 0 {
		t.Errorf("second preview would change %+v", sum.Changed)
	}
	sum, _ = s.run("drift", 0)
	if sum.Result != "no-drift" {
		t.Errorf("drift right after up: %q", sum.Result)
	}

	// The VIM deleted in Tacker behind Pulumi's back.
	if !tacker.Remove(vim.ID) {
		t.Fatal("stand-in: no VIM to remove")
	}
	sum, took = s.run("drift", 2)
	t.Logf("bench: e2e drift (refresh preview and preview) %.2fs", took.Seconds())
	if len(sum.Changed) != 1 || sum.Changed[0].Type != "tacker:index:Vim" || sum.Changed[0].Op != "delete" || !sum.Drifted || sum.Result != "drifted" {
		t.Errorf("drift: result %q, changed %+v: want the Vim deleted", sum.Result, sum.Changed)
	}

	// up repairs it.
	sum, took = s.run("up", 0)
	t.Logf("bench: e2e up repairing the VIM (with refresh) %.2fs", took.Seconds())
	if vims = tacker.Vims(); len(vims) != 1 || vims[0].ID == vim.ID || vims[0].AuthCred["bearer_token"] != token {
		t.Errorf("after repair: VIMs %+v, want one new VIM with the same token", vims)
	} else if sum.Outputs["vimId"] != vims[0].ID {
		t.Errorf("after repair: output vimId %v, Tacker's VIM %s", sum.Outputs["vimId"], vims[0].ID)
	}
	s.run("drift", 0)

	// No credential is in clear in the state: the kubeconfig's client key,
	// and whatever any Secret of kube-system holds (the VIM's token,
	// the keys Cilium's chart generated).
	state := readState(t, backend)
	var clientKey struct {
		Users []struct {
			User struct {
				Key string `yaml:"client-key-data"`
			}
		}
	}
	must(t, yaml.Unmarshal([]byte(cluster.Kubeconfig), &clientKey))
	if len(clientKey.Users) != 1 || clientKey.Users[0].User.Key == "" {
		t.Fatal("the test kubeconfig has no client key")
	}
	secretValues := map[string]string{"the kubeconfig's client-key-data": clientKey.Users[0].User.Key, "the VIM's token": token}
	get("/api/v1/namespaces/kube-system/secrets", &secrets)
	for _, sec := range secrets.Items {
		for k, v := range sec.Data {
			// Certificates are public (the CA is an output); short values
			// (a namespace's name) are no credentials.
			raw, _ := base64.StdEncoding.DecodeString(v)
			if len(raw) >= 16 && !strings.HasPrefix(string(raw), "-----BEGIN CERTIFICATE-----") {
				secretValues["Secret kube-system/"+sec.Metadata.Name+" "+k] = v
			}
		}
	}
	// Cilium's chart generates its CA (hubble's TLS) into cilium-ca.
	if secretValues["Secret kube-system/cilium-ca ca.key"] == "" {
		t.Error("no Secret kube-system/cilium-ca with a ca.key: the CA key was not checked")
	}
	for what, v := range secretValues {
		for _, clear := range needles(v) {
			if strings.Contains(state, clear) {
				t.Errorf("%s is in clear in the state file", what)
			}
		}
	}
	if !strings.Contains(state, "4dabf18193072939515e22adb298388d") { // the engine's secret signature
		t.Error("no secret value in the state file at all")
	}
	// The control: the cluster CA's certificate, public and in the state
	// (output caCertPem, the VIM's sslCaCert), is found by the same search.
	found := false
	for _, clear := range needles(base64.StdEncoding.EncodeToString(cluster.CACert))[2:] {
		found = found || strings.Contains(state, clear)
	}
	if !found {
		t.Error("the search does not find the CA certificate in the state: it would miss a key in clear too")
	}

	// destroy
	sum, took = s.run("destroy", 0)
	t.Logf("bench: e2e destroy %.2fs", took.Seconds())
	if sum.Changes["delete"] < 6 {
		t.Errorf("destroy: changes %v", sum.Changes)
	}
	if n := len(tacker.Vims()); n != 0 {
		t.Errorf("destroy left %d VIMs in Tacker", n)
	}
	for _, path := range []string{
		"/api/v1/namespaces/" + ns + "/serviceaccounts/" + name,
		"/api/v1/namespaces/" + ns + "/secrets/" + tokenSecret,
		"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/" + binding,
		"/apis/apps/v1/namespaces/kube-system/daemonsets/cilium",
		"/api/v1/namespaces/kube-system/configmaps/cilium-config",
	} {
		if code := get(path, nil); code != http.StatusNotFound {
			t.Errorf("destroy left %s (%d)", path, code)
		}
	}
	if n := helmReleases(t, get); n != 0 {
		t.Errorf("destroy left %d Helm releases of cilium", n)
	}
}

// The shipped stack file cannot be rendered as it is: its kubeconfig is
// a secret that only the engine reads. render says which key and how.
func TestExistingStackRenderNamesKubeconfig(t *testing.T) {
	cmd := exec.Command(cli, "render", "--stack", "existing", "--out", t.TempDir())
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("render of the existing stack without a kubeconfig succeeded:\n%s", out)
	}
	for _, want := range []string{"tacker-cilium:kubeconfig", "--secret", "kubeconfig=@"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("render's error does not say %q:\n%s", want, out)
		}
	}
}

// stackConfig is what the test checks of the stack file.
type stackConfig struct {
	ClusterName, RoutingMode, TunnelProtocol, VimClusterRole string
	ClusterID                                                int
}

func stackFile(t *testing.T, path string) stackConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	var f struct {
		Config map[string]any `yaml:"config"`
	}
	must(t, yaml.Unmarshal(data, &f))
	str := func(k string) string {
		v, ok := f.Config["tacker-cilium:"+k].(string)
		if !ok || v == "" {
			t.Fatalf("%s does not set tacker-cilium:%s", path, k)
		}
		return v
	}
	id, ok := f.Config["tacker-cilium:clusterId"].(int)
	if !ok {
		t.Fatalf("%s does not set tacker-cilium:clusterId", path)
	}
	if f.Config["tacker-cilium:useCase"] != "existing" {
		t.Fatalf("%s: useCase %v", path, f.Config["tacker-cilium:useCase"])
	}
	return stackConfig{ClusterName: str("clusterName"), RoutingMode: str("routingMode"),
		TunnelProtocol: str("tunnelProtocol"), VimClusterRole: str("vimClusterRole"), ClusterID: id}
}

// engineEnv is the test's environment without any Pulumi or OpenStack
// setting of the machine's, with the CLI found first on PATH, plus set.
func engineEnv(t *testing.T, pulumiBin string, set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PULUMI_") && !strings.HasPrefix(kv, "OS_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+filepath.Dir(pulumiBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// listNamespaces is Tacker's registration check: the namespaces, listed
// with the bearer token over TLS verified with the VIM's CA.
func listNamespaces(authURL, token, caCert string) ([]string, error) {
	client, err := clientFor(caCert)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(authURL, "/")+"/api/v1/namespaces", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("(%d) %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var list struct {
		Items []struct{ Metadata struct{ Name string } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	var names []string
	for _, i := range list.Items {
		names = append(names, i.Metadata.Name)
	}
	return names, nil
}

// whoIs is the user a bearer token authenticates as (SelfSubjectReview).
func whoIs(t *testing.T, server string, ca []byte, token string) string {
	t.Helper()
	client, err := clientFor(string(ca))
	must(t, err)
	req, err := http.NewRequest(http.MethodPost, server+"/apis/authentication.k8s.io/v1/selfsubjectreviews",
		strings.NewReader(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`))
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var review struct {
		Status struct {
			UserInfo struct{ Username string } `json:"userInfo"`
		}
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("SelfSubjectReview with the VIM's token: %s", resp.Status)
	}
	must(t, json.NewDecoder(resp.Body).Decode(&review))
	return review.Status.UserInfo.Username
}

func clientFor(caPEM string) (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return nil, errors.New("ssl_ca_cert holds no PEM certificate")
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}, nil
}

// helmReleases counts the deployed revisions of the release cilium, from
// the release Secrets Helm keeps in kube-system.
func helmReleases(t *testing.T, get func(string, any) int) int {
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct{ Labels map[string]string }
		}
	}
	sel := url.QueryEscape("owner=helm,name=cilium")
	if code := get("/api/v1/namespaces/kube-system/secrets?labelSelector="+sel, &list); code != http.StatusOK {
		t.Fatalf("list Helm release Secrets: %d", code)
	}
	n := 0
	for _, i := range list.Items {
		if i.Metadata.Labels["status"] == "deployed" {
			n++
		}
	}
	return n
}

// needles are the forms a base64 Secret value could take in a JSON state
// file: as it is, decoded, and each long line of a decoded PEM (JSON
// escapes the newlines between them).
func needles(b64 string) []string {
	out := []string{b64}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) < 16 {
		return out
	}
	out = append(out, string(raw))
	for _, line := range strings.Split(string(raw), "\n") {
		if len(line) >= 40 {
			out = append(out, line)
		}
	}
	return out
}

func readState(t *testing.T, backend string) string {
	t.Helper()
	var found []string
	must(t, filepath.WalkDir(filepath.Join(backend, ".pulumi", "stacks"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			found = append(found, p)
		}
		return err
	}))
	if len(found) != 1 {
		t.Fatalf("want one state file in the backend, found %v", found)
	}
	data, err := os.ReadFile(found[0])
	must(t, err)
	return string(data)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
