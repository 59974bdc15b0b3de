package vnfpackage

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	cpUserData     = "#cloud-config\nhostname: vnf-cp-0\n"
	workerUserData = "#cloud-config\nruncmd: []\n"
)

func testInput() InstantiateInput {
	return InstantiateInput{
		NetworkID: "net-1", SubnetID: "subnet-1", ControlPlanePortID: "port-cp",
		WorkerSecurityGroups: []string{"sg-nodes", "sg-workers"}, PodCIDR: "10.244.0.0/16",
		ControlPlaneUserData: cpUserData, WorkerUserData: workerUserData,
	}
}

// asJSON turns v into the plain JSON values Tacker hands the class.
func asJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func computes(vdu string, n int) []any {
	var out []any
	for i := 0; i < n; i++ {
		out = append(out, map[string]any{"id": vdu + "-res", "type": "COMPUTE", "resourceTemplateId": vdu})
	}
	return out
}

type stackFields struct {
	Template   string
	Parameters map[string]any
	Files      map[string]string
}

// runClass runs the package's UserData class on one operation, as
// Tacker's conductor does.
func runClass(t *testing.T, csarDir string, req, inst, grantReq, grant map[string]any, rollback bool) (stackFields, string, error) {
	t.Helper()
	out, err := python(t, map[string]any{
		"request": req, "vnf_instance": inst, "grant_request": grantReq, "grant_response": grant,
		"tmp_csar_dir": csarDir, "is_rollback": rollback,
	}, "run_userdata.py")
	if err != nil {
		return stackFields{}, out, err
	}
	var f stackFields
	require.NoError(t, json.Unmarshal([]byte(out), &f), out)
	return f, out, nil
}

func instantiateRequest(t *testing.T, c *CSAR, in InstantiateInput) map[string]any {
	t.Helper()
	inst, err := c.Instantiate(in)
	require.NoError(t, err)
	return asJSON(t, inst)
}

// resolve follows a get_param path through the stack's parameters as Heat does.
func resolve(params map[string]any, path []any) (any, bool) {
	var cur any = params
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p.(string)]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, ok := p.(int)
			if !ok || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, cur != nil
}

func TestUserDataInstantiate(t *testing.T) {
	c := build(t, testSpec())
	dir := extract(t, c.Zip)
	req := instantiateRequest(t, c, testInput())
	grantReq := map[string]any{"operation": "INSTANTIATE", "addResources": append(computes(ControlPlaneVDU, 1), computes(WorkerVDU, 2)...)}
	f, out, err := runClass(t, dir, req, map[string]any{"vnfdId": c.VnfdID}, grantReq, map[string]any{}, false)
	require.NoError(t, err, out)

	files := entries(t, c.Zip)
	assert.Equal(t, string(files["BaseHOT/simple/cluster_hot_top.yaml"]), f.Template)
	assert.Equal(t, map[string]string{
		"controlplane.yaml": string(files["BaseHOT/simple/nested/controlplane.yaml"]),
		"worker.yaml":       string(files["BaseHOT/simple/nested/worker.yaml"]),
	}, f.Files)
	assert.Equal(t, cpUserData, f.Parameters[controlPlaneUD])
	assert.Equal(t, workerUserData, f.Parameters[workerUD])
	assert.Equal(t, map[string]any{
		"VDU": map[string]any{
			ControlPlaneVDU: map[string]any{"computeFlavourId": "m1.medium", "vcImageId": "ubuntu-24.04"},
			WorkerVDU:       map[string]any{"computeFlavourId": "m1.large", "vcImageId": "ubuntu-24.04", "desired_capacity": float64(2)},
		},
		"CP": map[string]any{
			ControlPlaneCP: map[string]any{"port": "port-cp"},
			WorkerCP: map[string]any{
				"network": "net-1", "fixed_ips": []any{map[string]any{"subnet": "subnet-1"}},
				"security_groups":       []any{"sg-nodes", "sg-workers"},
				"allowed_address_pairs": []any{map[string]any{"ip_address": "10.244.0.0/16"}},
			},
		},
	}, f.Parameters["nfv"])

	// Every get_param of the templates Heat gets resolves to a value.
	for _, in := range intrinsics(yamlMap(t, []byte(f.Template))["resources"]) {
		if in.fn != "get_param" {
			continue
		}
		path, ok := in.arg.([]any)
		if !ok {
			path = []any{in.arg}
		}
		_, ok = resolve(f.Parameters, path)
		assert.True(t, ok, "get_param %v has no value", in.arg)
	}
}

// The NFVO's grant (vimAssets) wins over the VNFD's flavour and image.
func TestUserDataPrefersTheGrant(t *testing.T) {
	c := build(t, testSpec())
	grant := map[string]any{"vimAssets": map[string]any{
		"computeResourceFlavours": []any{map[string]any{"vnfdVirtualComputeDescId": WorkerVDU, "vimFlavourId": "flavor-uuid"}},
		"softwareImages":          []any{map[string]any{"vnfdSoftwareImageId": ControlPlaneVDU, "vimSoftwareImageId": "image-uuid"}},
	}}
	f, out, err := runClass(t, extract(t, c.Zip), instantiateRequest(t, c, testInput()), map[string]any{},
		map[string]any{"operation": "INSTANTIATE", "addResources": computes(ControlPlaneVDU, 1)}, grant, false)
	require.NoError(t, err, out)
	vdu := f.Parameters["nfv"].(map[string]any)["VDU"].(map[string]any)
	assert.Equal(t, "flavor-uuid", vdu[WorkerVDU].(map[string]any)["computeFlavourId"])
	assert.Equal(t, "image-uuid", vdu[ControlPlaneVDU].(map[string]any)["vcImageId"])
	assert.Equal(t, float64(0), vdu[WorkerVDU].(map[string]any)["desired_capacity"])
}

func TestUserDataRefusesAnIncompleteRequest(t *testing.T) {
	c := build(t, testSpec())
	dir := extract(t, c.Zip)
	grantReq := map[string]any{"operation": "INSTANTIATE", "addResources": computes(ControlPlaneVDU, 1)}
	for want, edit := range map[string]func(req map[string]any){
		"additionalParams.heat_parameters.worker_user_data: missing": func(req map[string]any) {
			delete(req["additionalParams"].(map[string]any)[HeatParameters].(map[string]any), workerUD)
		},
		"nfv.CP.worker_CP1.security_groups: nothing in the request fills it": func(req map[string]any) {
			delete(req["additionalParams"].(map[string]any), "nfv")
		},
		"names linkPortId 'controlplane-port', which is not in that link's extLinkPorts": func(req map[string]any) {
			delete(req["extVirtualLinks"].([]any)[0].(map[string]any), "extLinkPorts")
		},
		"nfv.CP.controlplane_CP1.port: nothing in the request fills it": func(req map[string]any) {
			vl := req["extVirtualLinks"].([]any)[0].(map[string]any)
			vl["extCps"] = vl["extCps"].([]any)[1:]
		},
		"flavourId 'large': want one template": func(req map[string]any) { req["flavourId"] = "large" },
	} {
		req := instantiateRequest(t, c, testInput())
		edit(req)
		_, out, err := runClass(t, dir, req, map[string]any{}, grantReq, map[string]any{}, false)
		require.Error(t, err, want)
		assert.Contains(t, out, want)
	}
}

// Scale and heal requests carry LCMParams only: the stack keeps the
// hidden parameters, and the class returns the new capacity.
func TestUserDataScaleAndHeal(t *testing.T) {
	c := build(t, testSpec())
	dir := extract(t, c.Zip)
	vnfcs := []any{map[string]any{"vduId": ControlPlaneVDU}, map[string]any{"vduId": WorkerVDU}, map[string]any{"vduId": WorkerVDU}}
	inst := map[string]any{"vnfdId": c.VnfdID, "instantiatedVnfInfo": map[string]any{"flavourId": "simple", "vnfcResourceInfo": vnfcs}}
	scale := func(typ string) map[string]any {
		return map[string]any{"type": typ, "aspectId": AspectID, "numberOfSteps": 1, "additionalParams": c.LCMParams()}
	}
	capacity := func(f stackFields) any {
		return f.Parameters["nfv"].(map[string]any)["VDU"].(map[string]any)[WorkerVDU].(map[string]any)["desired_capacity"]
	}

	f, out, err := runClass(t, dir, scale("SCALE_OUT"), inst, map[string]any{"operation": "SCALE", "addResources": computes(WorkerVDU, 2)}, map[string]any{}, false)
	require.NoError(t, err, out)
	assert.Equal(t, float64(4), capacity(f))
	assert.Empty(t, f.Template, "scale keeps the stack's template")
	assert.Equal(t, []string{"nfv"}, keys(f.Parameters))

	f, out, err = runClass(t, dir, scale("SCALE_IN"), inst, map[string]any{"operation": "SCALE", "removeResources": computes(WorkerVDU, 1)}, map[string]any{}, false)
	require.NoError(t, err, out)
	assert.Equal(t, float64(1), capacity(f))

	f, out, err = runClass(t, dir, scale("SCALE_OUT"), inst, map[string]any{"operation": "SCALE", "addResources": computes(WorkerVDU, 2)}, map[string]any{}, true)
	require.NoError(t, err, out)
	assert.Equal(t, float64(2), capacity(f), "rollback puts the capacity back")

	heal := map[string]any{"vnfcInstanceId": []any{"vnfc-1"}, "additionalParams": c.LCMParams()}
	f, out, err = runClass(t, dir, heal, inst, map[string]any{"operation": "HEAL"}, map[string]any{}, false)
	require.NoError(t, err, out)
	assert.Equal(t, map[string]any{"nfv": map[string]any{}}, f.Parameters)

	// Healing everything recreates the stack: the user data must come along.
	all := c.LCMParams()
	all["all"] = true
	_, out, err = runClass(t, dir, map[string]any{"additionalParams": all}, inst, map[string]any{"operation": "HEAL"}, map[string]any{}, false)
	require.Error(t, err)
	assert.Contains(t, out, "additionalParams.heat_parameters.controlplane_user_data: missing")
	all[HeatParameters] = map[string]any{controlPlaneUD: cpUserData, workerUD: workerUserData}
	f, out, err = runClass(t, dir, map[string]any{"additionalParams": all}, inst, map[string]any{"operation": "HEAL"}, map[string]any{}, false)
	require.NoError(t, err, out)
	assert.Equal(t, cpUserData, f.Parameters[controlPlaneUD])
}

func TestUserDataChangeExtConn(t *testing.T) {
	c := build(t, testSpec())
	in := testInput()
	in.NetworkID, in.SubnetID = "net-2", "subnet-2"
	req := instantiateRequest(t, c, in)
	inst := map[string]any{"instantiatedVnfInfo": map[string]any{"flavourId": "simple"}}
	f, out, err := runClass(t, extract(t, c.Zip), map[string]any{"extVirtualLinks": req["extVirtualLinks"], "additionalParams": c.LCMParams()},
		inst, map[string]any{"operation": "CHANGE_EXT_CONN"}, map[string]any{}, false)
	require.NoError(t, err, out)
	assert.Equal(t, map[string]any{"CP": map[string]any{
		ControlPlaneCP: map[string]any{"port": "port-cp"},
		WorkerCP:       map[string]any{"network": "net-2", "fixed_ips": []any{map[string]any{"subnet": "subnet-2"}}},
	}}, f.Parameters["nfv"])
}
