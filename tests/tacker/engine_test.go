package tacker

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
	"github.com/tacker-cilium/tacker-cilium/sdk/go/tacker"
)

// VnfPackage and VnfInstance on the real engine (the Pulumi CLI built from
// the module proxy, an inline program, a file backend) with the provider
// plugin built from cmd/pulumi-resource-tacker, against the stand-in: what
// only the engine decides, such as replacing the instance with its
// package, the old ones deleted first, and calling Update after a failed
// initialisation.

// pluginDir builds pulumi-resource-tacker into a folder of the test's
// (go build's cache makes the second build a link).
func pluginDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "pulumi-resource-tacker"), "./cmd/pulumi-resource-tacker")
	build.Dir = tooltest.Root(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/pulumi-resource-tacker:\n%s", out)
	return dir
}

// cluster is what the program declares.
type cluster struct {
	csar           []byte
	scale, heal    int
	healVnfcIDs    []string
	tacker, secret string // the stand-in's URL, the VIM password
}

func (c cluster) program(ctx *pulumi.Context) error {
	prov, err := tacker.NewProvider(ctx, "standin", &tacker.ProviderArgs{
		Endpoint: pulumi.StringPtr(c.tacker), Token: pulumi.StringPtr(standinToken), PollInterval: pulumi.StringPtr("20ms"),
	})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(c.csar)
	pkg, err := tacker.NewVnfPackage(ctx, "k8s", &tacker.VnfPackageArgs{
		Content: pulumi.String(base64.StdEncoding.EncodeToString(c.csar)), ContentHash: pulumi.String(hex.EncodeToString(sum[:])),
	}, pulumi.Provider(prov))
	if err != nil {
		return err
	}
	inst, err := tacker.NewVnfInstance(ctx, "k8s", &tacker.VnfInstanceArgs{
		VnfdId:    pkg.VnfdId,
		FlavourId: pulumi.String(tackertest.SampleFlavour),
		VimConnectionInfo: tacker.VimConnectionInfoMap{"vim1": tacker.VimConnectionInfoArgs{
			InterfaceInfo: tacker.VimInterfaceInfoArgs{Endpoint: pulumi.String("http://192.0.2.5/identity/v3")},
			AccessInfo: tacker.VimAccessInfoArgs{Username: pulumi.String("nfv_user"), Password: pulumi.String(c.secret),
				Project: pulumi.String("nfv")},
		}},
		AdditionalParams:    pulumi.Map{"k8s": pulumi.Map{"userData": pulumi.String("#cloud-config " + c.secret)}},
		LcmAdditionalParams: pulumi.Map{"lcm-operation-user-data": pulumi.String("./UserData/k8s.py")},
		ScaleLevels:         pulumi.IntMap{tackertest.SampleAspect: pulumi.Int(c.scale)},
		HealGeneration:      pulumi.Int(c.heal),
		HealVnfcIds:         pulumi.ToStringArray(c.healVnfcIDs),
	}, pulumi.Provider(prov))
	if err != nil {
		return err
	}
	ctx.Export("vnfdId", pkg.VnfdId)
	ctx.Export("instance", inst.ID())
	ctx.Export("scaleStatus", inst.ScaleStatus)
	return nil
}

type engine struct {
	t        *testing.T
	ctx      context.Context
	backend  string
	plugins  string
	progress strings.Builder
	cluster  cluster
}

func newEngine(t *testing.T, c cluster) *engine {
	tooltest.Path(t, "pulumi")
	e := &engine{t: t, backend: t.TempDir(), plugins: pluginDir(t), cluster: c}
	require.NoError(t, os.MkdirAll(filepath.Join(e.backend, "work"), 0o700))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	e.ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(e.progress.String())
		}
	})
	return e
}

func (e *engine) stack() *auto.Stack {
	e.t.Helper()
	pulumiBin := tooltest.Path(e.t, "pulumi")
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(filepath.Dir(pulumiBin))})
	require.NoError(e.t, err)
	project := workspace.Project{
		Name: tokens.PackageName("vnf-engine"), Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Backend: &workspace.ProjectBackend{URL: "file://" + e.backend},
		Plugins: &workspace.Plugins{Providers: []workspace.PluginOptions{{Name: "tacker", Path: e.plugins}}},
	}
	st, err := auto.UpsertStackInlineSource(e.ctx, "dev", "vnf-engine", e.cluster.program,
		auto.Project(project), auto.Pulumi(cmd), auto.WorkDir(filepath.Join(e.backend, "work")),
		auto.EnvVars(map[string]string{
			"PULUMI_CONFIG_PASSPHRASE": "engine-test", "PULUMI_HOME": filepath.Join(e.backend, "home"),
			"PULUMI_SKIP_UPDATE_CHECK": "true",
		}))
	require.NoError(e.t, err)
	return &st
}

// stateFile is the stack's state as the file backend stores it.
func (e *engine) stateFile() string {
	e.t.Helper()
	found, err := filepath.Glob(filepath.Join(e.backend, ".pulumi", "stacks", "*", "*.json"))
	require.NoError(e.t, err)
	require.Len(e.t, found, 1, "one state file")
	b, err := os.ReadFile(found[0])
	require.NoError(e.t, err)
	return string(b)
}

func (e *engine) up() (auto.UpResult, error) {
	return e.stack().Up(e.ctx, optup.ProgressStreams(&e.progress), optup.SuppressProgress())
}

func (e *engine) mustUp(what string) auto.UpResult {
	e.t.Helper()
	res, err := e.up()
	require.NoError(e.t, err, "%s: %s", what, e.progress.String())
	return res
}

// changes of one resource type in an update, by operation.
func changesOf(t *testing.T, res auto.UpResult) map[string]int {
	t.Helper()
	require.NotNil(t, res.Summary.ResourceChanges)
	return *res.Summary.ResourceChanges
}

func TestVnfOnTheEngine(t *testing.T) {
	tk := vnfStandin(t)
	e := newEngine(t, cluster{csar: tackertest.SampleCSAR("vnfd-engine"), scale: 2, tacker: tk.URL, secret: "vim-secret-123"})

	res := e.mustUp("up")
	assert.Equal(t, "vnfd-engine", res.Outputs["vnfdId"].Value)
	assert.Equal(t, map[string]any{tackertest.SampleAspect: 2.0}, res.Outputs["scaleStatus"].Value)
	first := res.Outputs["instance"].Value.(string)
	inst, ok := tk.Instance(first)
	require.True(t, ok)
	assert.Equal(t, "INSTANTIATED", inst.State)
	assert.Len(t, tk.Packages(), 1)

	pre, err := e.stack().Preview(e.ctx, optpreview.ExpectNoChanges(), optpreview.ProgressStreams(&e.progress))
	require.NoError(t, err, "a second preview changes nothing")
	assert.Zero(t, pre.ChangeSummary["update"]+pre.ChangeSummary["replace"]+pre.ChangeSummary["create"])

	// scale and heal are updates of the same instance
	e.cluster.scale = 3
	res = e.mustUp("scale")
	assert.Equal(t, 1, changesOf(t, res)["update"])
	inst, _ = tk.Instance(first)
	assert.Equal(t, 3, inst.Levels[tackertest.SampleAspect])
	var worker tackertest.VNFC
	for _, v := range inst.VNFCs {
		if v.VduID == tackertest.SampleWorker {
			worker = v
			break
		}
	}
	e.cluster.heal, e.cluster.healVnfcIDs = 1, []string{worker.ServerID}
	tk.Reset()
	res = e.mustUp("heal")
	assert.Equal(t, 1, changesOf(t, res)["update"])
	heals := 0
	for _, r := range tk.Requests() {
		if r.Method == http.MethodPost && r.Path == "/vnflcm/v2/vnf_instances/"+first+"/heal" {
			heals++
			assert.Contains(t, string(r.Body), worker.InfoID())
		}
	}
	assert.Equal(t, 1, heals)

	// new package content: the package is replaced, and with it the
	// instance, each deleted before its replacement is made
	e.cluster.csar = tackertest.SampleCSAR("vnfd-engine-2")
	tk.Reset()
	res = e.mustUp("new package")
	assert.Equal(t, 2, changesOf(t, res)["replace"], "%v", changesOf(t, res))
	assert.Equal(t, "vnfd-engine-2", res.Outputs["vnfdId"].Value)
	second := res.Outputs["instance"].Value.(string)
	assert.NotEqual(t, first, second)
	var order []string
	for _, r := range tk.Requests() {
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/terminate"):
			order = append(order, "terminate instance")
		case r.Method == http.MethodDelete && strings.HasPrefix(r.Path, "/vnflcm/"):
			order = append(order, "delete instance")
		case r.Method == http.MethodDelete && strings.HasPrefix(r.Path, "/vnfpkgm/"):
			order = append(order, "delete package")
		case r.Method == http.MethodPost && r.Path == "/vnfpkgm/v1/vnf_packages":
			order = append(order, "create package")
		case r.Method == http.MethodPost && r.Path == "/vnflcm/v2/vnf_instances":
			order = append(order, "create instance")
		}
	}
	assert.Equal(t, []string{"terminate instance", "delete instance", "delete package", "create package", "create instance"}, order)
	assert.Len(t, tk.Packages(), 1)
	assert.Len(t, tk.Instances(), 1)

	state := e.stateFile()
	assert.Contains(t, state, "vnfd-engine-2")
	assert.NotContains(t, state, "vim-secret-123", "the VIM password and the user data are secrets in the state")

	_, err = e.stack().Destroy(e.ctx)
	require.NoError(t, err, e.progress.String())
	assert.Empty(t, tk.Instances())
	assert.Empty(t, tk.Packages())
}

// A failed instantiation fails `pulumi up` with Tacker's words and keeps
// the instance in the state; once the operator has cleared the operation,
// the next `pulumi up` instantiates that same instance.
func TestVnfInitFailureOnTheEngine(t *testing.T) {
	tk := vnfStandin(t)
	var mu sync.Mutex
	failing := true
	tk.FailOperation = func(_, op string) *tackertest.ProblemDetails {
		mu.Lock()
		defer mu.Unlock()
		if failing && op == "INSTANTIATE" {
			return &tackertest.ProblemDetails{Status: 422, Title: "Stack operation failed", Detail: "Resource CREATE failed: out of cores"}
		}
		return nil
	}
	e := newEngine(t, cluster{csar: tackertest.SampleCSAR("vnfd-engine-fail"), scale: 1, tacker: tk.URL, secret: "vim-secret-456"})
	_, err := e.up()
	require.Error(t, err)
	assert.Contains(t, e.progress.String(), "Resource CREATE failed: out of cores")
	assert.Contains(t, e.progress.String(), "openstack vnflcm op rollback|fail")
	insts := tk.Instances()
	require.Len(t, insts, 1)

	ops := tk.OpOccs()
	require.Len(t, ops, 1)
	hr, _ := http.NewRequest(http.MethodPost, tk.URL+"vnflcm/v2/vnf_lcm_op_occs/"+ops[0].ID+"/fail", nil)
	hr.Header.Set("X-Auth-Token", standinToken)
	hr.Header.Set("Version", "2.0.0")
	resp, err := http.DefaultClient.Do(hr)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	mu.Lock()
	failing = false
	mu.Unlock()

	res := e.mustUp("after the operator")
	assert.Equal(t, insts[0].ID, res.Outputs["instance"].Value, "the same instance, not a new one")
	inst, _ := tk.Instance(insts[0].ID)
	assert.Equal(t, "INSTANTIATED", inst.State)
	assert.Len(t, tk.Instances(), 1)
}
