package tacker

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// The VNF package and VNF lifecycle requests of the provider are those of
// python-tackerclient (`openstack vnf package ...`, `openstack vnflcm ...
// --os-tacker-api-version 2`) doing the same, request by request: method,
// path, Version header, content type and body. Both talk to a stand-in of
// their own; tackerclient uses a token without Keystone (admin_token).

const standinToken = "contract-token"

func vnfStandin(t *testing.T) *tackertest.Server {
	t.Helper()
	tk := tackertest.New(standinToken)
	tk.OnboardingDelay, tk.OperationDelay = 20*time.Millisecond, 40*time.Millisecond
	require.NoError(t, tk.Start("127.0.0.1:0"))
	t.Cleanup(tk.Close)
	return tk
}

// tackerclient runs Debian's openstack CLI with its tackerclient plugin.
func tackerclient(t *testing.T, tk *tackertest.Server, args ...string) string {
	t.Helper()
	base := []string{"--os-auth-type", "admin_token", "--os-endpoint", tk.URL, "--os-token", standinToken}
	cmd := exec.Command(tooltest.Path(t, "openstack"), append(base, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "openstack %s:\n%s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// call is one request that changed something, with the ids of the run
// replaced by placeholders so that two runs compare.
type call struct {
	Method, Path, Version, ContentType string
	Body                               any
}

func changes(t *testing.T, tk *tackertest.Server, ids map[string]string) []call {
	t.Helper()
	var out []call
	for _, r := range tk.Requests() {
		if r.Method == http.MethodGet {
			continue
		}
		require.Less(t, r.Status, 300, "%s %s answered %d", r.Method, r.Path, r.Status)
		c := call{Method: r.Method, Path: r.Path, Version: r.Version, ContentType: r.ContentType}
		body := string(r.Body)
		for id, placeholder := range ids {
			c.Path = strings.ReplaceAll(c.Path, id, placeholder)
			body = strings.ReplaceAll(body, id, placeholder)
		}
		switch {
		case r.ContentType == "application/zip":
			sum := sha256.Sum256(r.Body)
			c.Body = "zip " + hex.EncodeToString(sum[:])
		case body != "":
			require.NoError(t, json.Unmarshal([]byte(body), &c.Body), "%s", body)
		}
		out = append(out, c)
	}
	return out
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 10*time.Millisecond)
}

func idle(tk *tackertest.Server) bool {
	for _, op := range tk.OpOccs() {
		if op.State == "STARTING" || op.State == "PROCESSING" {
			return false
		}
	}
	return true
}

func vnfProvider(t *testing.T, tk *tackertest.Server) integration.Server {
	t.Helper()
	clearOS(t)
	return providerServer(t, map[string]property.Value{
		"token":        property.New(standinToken).WithSecret(true),
		"endpoint":     property.New(tk.URL),
		"pollInterval": property.New("10ms"),
	})
}

func TestVnfPackageRequestsMatchTackerclient(t *testing.T) {
	csar := tackertest.SampleCSAR("vnfd-contract")
	zipPath := filepath.Join(t.TempDir(), "k8s.zip")
	require.NoError(t, os.WriteFile(zipPath, csar, 0o600))

	cli := vnfStandin(t)
	id := tackerclient(t, cli, "vnf", "package", "create", "--user-data", "cluster=k8s", "-f", "value", "-c", "ID")
	tackerclient(t, cli, "vnf", "package", "upload", "--path", zipPath, id)
	waitFor(t, func() bool { p, _ := cli.Package(id); return p.OnboardingState == "ONBOARDED" })
	tackerclient(t, cli, "vnf", "package", "update", "--operational-state", "DISABLED", id)
	tackerclient(t, cli, "vnf", "package", "delete", id)
	want := changes(t, cli, map[string]string{id: "{id}"})

	tk := vnfStandin(t)
	prov := vnfProvider(t, tk)
	urn := resource.NewURN("dev", "tacker-cilium", "", "tacker:index:VnfPackage", "k8s")
	sum := sha256.Sum256(csar)
	checked, err := prov.Check(p.CheckRequest{Urn: urn, Inputs: property.NewMap(map[string]property.Value{
		"content":         property.New(base64.StdEncoding.EncodeToString(csar)),
		"contentHash":     property.New(hex.EncodeToString(sum[:])),
		"userDefinedData": property.New(map[string]property.Value{"cluster": property.New("k8s")}),
	})})
	require.NoError(t, err)
	require.Empty(t, checked.Failures)
	created, err := prov.Create(p.CreateRequest{Urn: urn, Properties: checked.Inputs})
	require.NoError(t, err)
	require.NoError(t, prov.Delete(p.DeleteRequest{ID: created.ID, Urn: urn, Properties: created.Properties}))
	got := changes(t, tk, map[string]string{created.ID: "{id}"})

	t.Logf("python-tackerclient: %+v", want)
	assert.Equal(t, want, got)
	assert.Len(t, got, 4, "create, upload, disable, delete")
}

func TestVnfLcmRequestsMatchTackerclient(t *testing.T) {
	vim := map[string]any{"vim1": map[string]any{
		"vimType":       "ETSINFV.OPENSTACK_KEYSTONE.V_3",
		"interfaceInfo": map[string]any{"endpoint": "http://192.0.2.5/identity/v3"},
		"accessInfo": map[string]any{"username": "nfv_user", "password": "devstack", "project": "nfv",
			"projectDomain": "Default", "userDomain": "Default", "region": "RegionOne"},
	}}
	extVL := map[string]any{"id": "ext-net", "resourceId": "net-uuid", "extCps": []any{map[string]any{
		"cpdId": "CP1", "cpConfig": map[string]any{"CP1": map[string]any{"cpProtocolData": []any{map[string]any{
			"layerProtocol": "IP_OVER_ETHERNET", "ipOverEthernet": map[string]any{"ipAddresses": []any{
				map[string]any{"type": "IPV4", "numDynamicAddresses": 1.0, "subnetId": "subnet-uuid"}}}}}}}}}}
	params := map[string]any{"lcm-operation-user-data": "./UserData/k8s.py", "lcm-operation-user-data-class": "K8s",
		"k8s": map[string]any{"userData": "#cloud-config\n"}}
	lcm := map[string]any{"lcm-operation-user-data": "./UserData/k8s.py", "lcm-operation-user-data-class": "K8s"}
	switches := map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": false}
	file := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "params.json")
		require.NoError(t, os.WriteFile(path, b, 0o600))
		return path
	}
	// the vnfcInfo id of the first worker, which both heal
	worker := func(tk *tackertest.Server, id string) string {
		inst, _ := tk.Instance(id)
		for _, v := range inst.VNFCs {
			if v.VduID == tackertest.SampleWorker {
				return v.InfoID()
			}
		}
		t.Fatal("no worker")
		return ""
	}
	onboard := func(tk *tackertest.Server) {
		vnfStandinPackage(t, tk)
		tk.Reset()
	}

	cli := vnfStandin(t)
	onboard(cli)
	v2 := "--os-tacker-api-version"
	id := tackerclient(t, cli, v2, "2", "vnflcm", "create", "vnfd-lcm-contract", "--name", "k8s", "--description", "cluster", "-f", "value", "-c", "ID")
	tackerclient(t, cli, v2, "2", "vnflcm", "instantiate", id, file(map[string]any{
		"flavourId": "simple", "vimConnectionInfo": vim, "extVirtualLinks": []any{extVL}, "additionalParams": params,
		"vnfConfigurableProperties": switches}))
	waitFor(t, func() bool { return idle(cli) })
	tackerclient(t, cli, v2, "2", "vnflcm", "scale", "--type", "SCALE_OUT", "--aspect-id", tackertest.SampleAspect,
		"--number-of-steps", "1", "--additional-param-file", file(map[string]any{"additionalParams": lcm}), id)
	waitFor(t, func() bool { return idle(cli) })
	cliWorker := worker(cli, id)
	tackerclient(t, cli, v2, "2", "vnflcm", "heal", "--vnfc-instance", cliWorker, "--additional-param-file", file(map[string]any{"additionalParams": lcm}), "--", id)
	waitFor(t, func() bool { return idle(cli) })
	tackerclient(t, cli, v2, "2", "vnflcm", "update", id, "--I", file(map[string]any{"vnfConfigurableProperties": map[string]any{"isAutoscaleEnabled": true}}))
	waitFor(t, func() bool { return idle(cli) })
	tackerclient(t, cli, v2, "2", "vnflcm", "terminate", "--termination-type", "FORCEFUL", id)
	waitFor(t, func() bool { return idle(cli) })
	tackerclient(t, cli, v2, "2", "vnflcm", "delete", id)
	want := changes(t, cli, map[string]string{id: "{id}", cliWorker: "{vnfc}"})

	tk := vnfStandin(t)
	onboard(tk)
	prov := vnfProvider(t, tk)
	urn := resource.NewURN("dev", "tacker-cilium", "", "tacker:index:VnfInstance", "k8s")
	inputs := func(over map[string]any) property.Map {
		m := map[string]any{
			"vnfdId": "vnfd-lcm-contract", "name": "k8s", "description": "cluster", "flavourId": "simple",
			"vimConnectionInfo": vim, "extVirtualLinks": []any{extVL}, "additionalParams": params,
			"lcmAdditionalParams": lcm, "scaleLevels": map[string]any{tackertest.SampleAspect: 2},
			"autoHeal": true, "autoScale": false,
		}
		for k, v := range over {
			m[k] = v
		}
		checked, err := prov.Check(p.CheckRequest{Urn: urn, Inputs: resource.FromResourcePropertyValue(resource.NewPropertyValue(m)).AsMap()})
		require.NoError(t, err)
		require.Empty(t, checked.Failures)
		return checked.Inputs
	}
	in := inputs(nil)
	created, err := prov.Create(p.CreateRequest{Urn: urn, Properties: in})
	require.NoError(t, err)
	ourWorker := worker(tk, created.ID)
	healed := inputs(map[string]any{"healGeneration": 1, "healVnfcIds": []any{ourWorker}, "autoScale": true})
	updated, err := prov.Update(p.UpdateRequest{ID: created.ID, Urn: urn, State: created.Properties, OldInputs: in, Inputs: healed})
	require.NoError(t, err)
	require.NoError(t, prov.Delete(p.DeleteRequest{ID: created.ID, Urn: urn, Properties: updated.Properties}))
	got := changes(t, tk, map[string]string{created.ID: "{id}", ourWorker: "{vnfc}"})

	t.Logf("python-tackerclient: %+v", want)
	// The modification's content type is the one difference: tackerclient
	// sends application/json, the provider application/merge-patch+json as
	// the SOL APIs name it; Tacker's controller takes both for this PATCH.
	for i := range want {
		if want[i].Method == http.MethodPatch && i < len(got) {
			assert.Equal(t, "application/json", want[i].ContentType)
			assert.Equal(t, "application/merge-patch+json", got[i].ContentType)
			want[i].ContentType = got[i].ContentType
		}
	}
	assert.Equal(t, want, got)
	require.Len(t, got, 7, "create, instantiate, scale, heal, modify, terminate, delete")
	for _, c := range got[1:] {
		assert.Equal(t, "2.0.0", c.Version, "%s %s", c.Method, c.Path)
	}
}

// vnfStandinPackage onboards the sample package for the LCM contract.
func vnfStandinPackage(t *testing.T, tk *tackertest.Server) {
	t.Helper()
	zipPath := filepath.Join(t.TempDir(), "k8s.zip")
	require.NoError(t, os.WriteFile(zipPath, tackertest.SampleCSAR("vnfd-lcm-contract"), 0o600))
	id := tackerclient(t, tk, "vnf", "package", "create", "-f", "value", "-c", "ID")
	tackerclient(t, tk, "vnf", "package", "upload", "--path", zipPath, id)
	waitFor(t, func() bool { p, _ := tk.Package(id); return p.OnboardingState == "ONBOARDED" })
}
