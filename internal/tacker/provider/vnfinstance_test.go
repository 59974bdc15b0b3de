package provider_test

import (
	"net/http"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
)

// changesTo are the requests that changed the instance, in order, as
// "METHOD path-suffix body".
func changesTo(t *testing.T, tk *tackertest.Server, id string) []string {
	t.Helper()
	var out []string
	for _, r := range tk.Requests() {
		if r.Method == http.MethodGet || !strings.HasPrefix(r.Path, "/vnflcm/v2/vnf_instances/"+id) {
			continue
		}
		if r.Method == http.MethodPatch {
			assert.Equal(t, "application/merge-patch+json", r.ContentType)
		}
		out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, "/vnflcm/v2/vnf_instances/"+id)+" "+string(r.Body))
	}
	return out
}

func switches(heal, scale any) map[string]property.Value {
	m := map[string]property.Value{}
	for k, v := range map[string]any{"autoHeal": heal, "autoScale": scale} {
		if v != nil {
			m[k] = property.New(v.(bool))
		} else {
			m[k] = property.Value{}
		}
	}
	return m
}

func TestVnfInstanceAutoHealAndScale(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	vnfdID := onboardedPackage(t, s, "vnfd-switches")
	in := checkInst(t, s, instInputs(vnfdID, switches(true, false))).Inputs

	tk.Reset()
	created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in})
	require.NoError(t, err)
	id, out := created.ID, created.Properties
	inst := requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+id+"/instantiate")
	require.Len(t, inst, 1)
	assert.Equal(t, map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": false}, bodyOf(t, inst[0])["vnfConfigurableProperties"],
		"taken at instantiation (InstantiateVnfRequest.vnfConfigurableProperties)")
	assert.Empty(t, requestsTo(tk, http.MethodPatch, "/vnflcm/v2/vnf_instances/"+id), "nothing left to modify")
	assert.True(t, out.Get("autoHeal").AsBool())
	assert.False(t, out.Get("autoScale").AsBool())
	held, _ := tk.Instance(id)
	assert.Equal(t, map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": false}, held.ConfigurableProperties)

	read, err := s.Read(p.ReadRequest{ID: id, Urn: instURN, Properties: out, Inputs: in})
	require.NoError(t, err)
	diff, err := s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.False(t, diff.HasChanges, "%v", diff.DetailedDiff)

	// a switch changes in place
	over := switches(false, true)
	over["scaleLevels"] = value(map[string]any{tackertest.SampleAspect: 3})
	flipped := checkInst(t, s, instInputs(vnfdID, over)).Inputs
	diff, err = s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: out, OldInputs: in, Inputs: flipped})
	require.NoError(t, err)
	assert.Equal(t, map[string]p.PropertyDiff{
		"autoHeal": {Kind: p.Update}, "autoScale": {Kind: p.Update}, "scaleLevels.worker_scale": {Kind: p.Update},
	}, diff.DetailedDiff)
	assert.False(t, diff.DeleteBeforeReplace)

	// off before Tacker's own scale could collide with ours, on after it
	tk.Reset()
	updated, err := s.Update(p.UpdateRequest{ID: id, Urn: instURN, State: out, OldInputs: in, Inputs: flipped})
	require.NoError(t, err)
	assert.Equal(t, []string{
		`PATCH  {"vnfConfigurableProperties":{"isAutohealEnabled":false}}`,
		`POST /scale {"type":"SCALE_OUT","aspectId":"worker_scale","numberOfSteps":1,"additionalParams":` +
			`{"lcm-operation-user-data":"./UserData/k8s.py","lcm-operation-user-data-class":"K8s"}}`,
		`PATCH  {"vnfConfigurableProperties":{"isAutoscaleEnabled":true}}`,
	}, changesTo(t, tk, id))
	var modified int
	for _, op := range tk.OpOccs() {
		if op.Operation == "MODIFY_INFO" {
			assert.Equal(t, "COMPLETED", op.State)
			modified++
		}
	}
	assert.Equal(t, 2, modified, "each waited on")
	held, _ = tk.Instance(id)
	assert.Equal(t, map[string]any{"isAutohealEnabled": false, "isAutoscaleEnabled": true}, held.ConfigurableProperties)
	out, in = updated.Properties, flipped
	assert.False(t, out.Get("autoHeal").AsBool())
	assert.True(t, out.Get("autoScale").AsBool())

	// drift: someone turned auto-scale off with openstack vnflcm update; the
	// refresh shows it, the next update turns it on again
	tk.MutateInstance(id, func(i *tackertest.Instance) { i.ConfigurableProperties["isAutoscaleEnabled"] = false })
	read, err = s.Read(p.ReadRequest{ID: id, Urn: instURN, Properties: out, Inputs: in})
	require.NoError(t, err)
	assert.False(t, read.Inputs.Get("autoScale").AsBool())
	assert.False(t, read.Properties.Get("autoScale").AsBool())
	diff, err = s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, map[string]p.PropertyDiff{"autoScale": {Kind: p.Update}}, diff.DetailedDiff)
	tk.Reset()
	updated, err = s.Update(p.UpdateRequest{ID: id, Urn: instURN, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, []string{`PATCH  {"vnfConfigurableProperties":{"isAutoscaleEnabled":true}}`}, changesTo(t, tk, id))
	out = updated.Properties

	// left out: nothing sent, Tacker's value stays and is not read back
	over = switches(nil, true)
	over["scaleLevels"] = value(map[string]any{tackertest.SampleAspect: 3})
	unset := checkInst(t, s, instInputs(vnfdID, over)).Inputs
	tk.Reset()
	updated, err = s.Update(p.UpdateRequest{ID: id, Urn: instURN, State: out, OldInputs: in, Inputs: unset})
	require.NoError(t, err)
	assert.Empty(t, changesTo(t, tk, id))
	held, _ = tk.Instance(id)
	assert.Equal(t, false, held.ConfigurableProperties["isAutohealEnabled"])
	read, err = s.Read(p.ReadRequest{ID: id, Urn: instURN, Properties: updated.Properties, Inputs: unset})
	require.NoError(t, err)
	_, ok := read.Inputs.GetOk("autoHeal")
	assert.False(t, ok, "not the program's to manage")
	diff, err = s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: read.Properties, OldInputs: read.Inputs, Inputs: unset})
	require.NoError(t, err)
	assert.False(t, diff.HasChanges, "%v", diff.DetailedDiff)
}

// Without the inputs the InstantiateVnfRequest carries no
// vnfConfigurableProperties and nothing is modified.
func TestVnfInstanceWithoutSwitches(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	in := checkInst(t, s, instInputs(onboardedPackage(t, s, "vnfd-noswitch"), nil)).Inputs
	created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in})
	require.NoError(t, err)
	inst := requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+created.ID+"/instantiate")
	require.Len(t, inst, 1)
	assert.NotContains(t, bodyOf(t, inst[0]), "vnfConfigurableProperties")
	assert.Empty(t, requestsTo(tk, http.MethodPatch, "/vnflcm/v2/vnf_instances/"+created.ID))
	_, ok := created.Properties.GetOk("autoHeal")
	assert.False(t, ok)
	held, _ := tk.Instance(created.ID)
	assert.Nil(t, held.ConfigurableProperties)
}

// A modification that fails is an error in Tacker's words; Pulumi keeps
// the old state, so the next update tries again.
func TestVnfInstanceModifyFails(t *testing.T) {
	fail := true
	s, tk := vnfHarness(t, func(tk *tackertest.Server) {
		tk.FailOperation = func(_, op string) *tackertest.ProblemDetails {
			if fail && op == "MODIFY_INFO" {
				return &tackertest.ProblemDetails{Status: 500, Title: "Internal Server Error", Detail: "modify_information_end failed"}
			}
			return nil
		}
	})
	vnfdID := onboardedPackage(t, s, "vnfd-modfail")
	in := checkInst(t, s, instInputs(vnfdID, switches(false, nil))).Inputs
	created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in})
	require.NoError(t, err, "instantiation took the switch: no modification")

	on := checkInst(t, s, instInputs(vnfdID, switches(true, nil))).Inputs
	_, err = s.Update(p.UpdateRequest{ID: created.ID, Urn: instURN, State: created.Properties, OldInputs: in, Inputs: on})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MODIFY_INFO of VNF instance "+created.ID+" ended FAILED_TEMP")
	assert.Contains(t, err.Error(), "modify_information_end failed")
	assert.Contains(t, err.Error(), "openstack vnflcm op rollback|fail")

	var failed string
	for _, op := range tk.OpOccs() {
		if op.State == "FAILED_TEMP" {
			failed = op.ID
		}
	}
	require.NotEmpty(t, failed)
	hr, _ := http.NewRequest(http.MethodPost, tk.URL+"vnflcm/v2/vnf_lcm_op_occs/"+failed+"/fail", nil)
	hr.Header.Set("X-Auth-Token", token)
	hr.Header.Set("Version", "2.0.0")
	hresp, err := http.DefaultClient.Do(hr)
	require.NoError(t, err)
	hresp.Body.Close()
	fail = false
	updated, err := s.Update(p.UpdateRequest{ID: created.ID, Urn: instURN, State: created.Properties, OldInputs: in, Inputs: on})
	require.NoError(t, err)
	assert.True(t, updated.Properties.Get("autoHeal").AsBool())
	held, _ := tk.Instance(created.ID)
	assert.Equal(t, map[string]any{"isAutohealEnabled": true}, held.ConfigurableProperties)
}
