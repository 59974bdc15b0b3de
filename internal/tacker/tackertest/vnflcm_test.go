package tackertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func patch(id, ct, body string) req {
	return req{method: "PATCH", path: "/vnflcm/v2/vnf_instances/" + id, ct: ct, version: "2.0.0", body: jsonBody(body)}
}

// PATCH vnf_instances/{id} as Tacker's controller serves it: 202, no body,
// the Location of a MODIFY_INFO occurrence that starts PROCESSING; the
// conductor merges vnfConfigurableProperties into the instance's.
func TestModifyInstance(t *testing.T) {
	// slow enough to see the first operation running on a busy machine
	s := New(tok)
	s.OnboardingDelay, s.OperationDelay = 10*time.Millisecond, 300*time.Millisecond
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
	id := instance(t, s)

	// allowed before instantiation
	r := send(t, s, patch(id, "application/merge-patch+json", `{"vnfConfigurableProperties": {"isAutoscaleEnabled": false}, "vnfInstanceName": "renamed"}`))
	require.Equal(t, 202, r.status, "%v", r.body)
	assert.Nil(t, r.body)
	prefix := "http://127.0.0.1:9890/vnflcm/v2/vnf_lcm_op_occs/"
	require.Contains(t, r.location, prefix)
	op := r.location[len(prefix):]
	view := send(t, s, v2("GET", "/vnflcm/v2/vnf_lcm_op_occs/"+op, "")).obj()
	assert.Equal(t, "PROCESSING", view["operationState"], "no grant: the controller records it PROCESSING")
	assert.Equal(t, "MODIFY_INFO", view["operation"])
	assert.Equal(t, map[string]any{"vnfConfigurableProperties": map[string]any{"isAutoscaleEnabled": false}, "vnfInstanceName": "renamed"},
		view["operationParams"])
	busy := send(t, s, patch(id, "application/merge-patch+json", `{}`))
	assert.Equal(t, 409, busy.status, "one operation at a time")
	assert.Contains(t, busy.obj()["detail"], "Other LCM operation of vnfInstance "+id+" is in progress")
	assert.Equal(t, "COMPLETED", finished(t, s, op)["operationState"])
	inst := info(t, s, id)
	assert.Equal(t, "renamed", inst["vnfInstanceName"])
	assert.Equal(t, map[string]any{"isAutoscaleEnabled": false}, inst["vnfConfigurableProperties"])

	// instantiation merges its own; a later patch merges key by key
	assert.Equal(t, "COMPLETED", finished(t, s, begin(t, s, id, "instantiate",
		`{"flavourId": "simple", "vnfConfigurableProperties": {"isAutohealEnabled": true}}`))["operationState"])
	assert.Equal(t, map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": false}, info(t, s, id)["vnfConfigurableProperties"])
	r = send(t, s, patch(id, "application/json", `{"vnfConfigurableProperties": {"isAutoscaleEnabled": true}}`))
	require.Equal(t, 202, r.status, "Tacker takes application/json too: %v", r.body)
	assert.Equal(t, "COMPLETED", finished(t, s, r.location[len(prefix):])["operationState"])
	assert.Equal(t, map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": true}, info(t, s, id)["vnfConfigurableProperties"])

	// terminate resets what was instantiated, not the properties
	assert.Equal(t, "COMPLETED", finished(t, s, begin(t, s, id, "terminate", `{"terminationType": "FORCEFUL"}`))["operationState"])
	assert.Equal(t, map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": true}, info(t, s, id)["vnfConfigurableProperties"])
	kept, _ := s.Instance(id)
	assert.Equal(t, map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": true}, kept.ConfigurableProperties)
}

func TestModifyRefusals(t *testing.T) {
	s := fast(t)
	id := instance(t, s)
	noVersion := patch(id, "application/merge-patch+json", `{}`)
	noVersion.version = ""
	for _, c := range []struct {
		name   string
		q      req
		status int
		detail string
	}{
		{"no Version", noVersion, 400, "'Version' HTTP header missing."},
		{"form", patch(id, "application/x-www-form-urlencoded", `{}`), 415, "Content-Type"},
		{"json patch", patch(id, "application/json-patch+json", `[]`), 415, "Content-Type"},
		{"not an object", patch(id, "application/merge-patch+json", `[]`), 400, "is not of type 'object'"},
		{"misspelt property", patch(id, "application/merge-patch+json", `{"vnfConfigurableProperties": {"isAutoHealEnabled": true}}`),
			400, "unknown property 'isAutoHealEnabled'"},
		{"string for a boolean", patch(id, "application/merge-patch+json", `{"vnfConfigurableProperties": {"isAutohealEnabled": "true"}}`),
			400, "is not of type 'boolean'"},
		{"not carried out", patch(id, "application/merge-patch+json", `{"vnfdId": "vnfd-lcm"}`), 400, "unknown property 'vnfdId'"},
		{"unknown instance", patch("nope", "application/merge-patch+json", `{}`), 404, "VnfInstance nope not found."},
		{"instantiate misspelt", v2("POST", "/vnflcm/v2/vnf_instances/"+id+"/instantiate",
			`{"flavourId": "simple", "vnfConfigurableProperties": {"isAutoscaleEnable": true}}`), 400, "unknown property 'isAutoscaleEnable'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, s, c.q)
			assert.Equal(t, c.status, r.status, "%v", r.body)
			assert.Equal(t, "application/problem+json", r.ct)
			assert.Contains(t, r.obj()["detail"], c.detail)
		})
	}
	assert.Empty(t, s.OpOccs(), "nothing refused started an operation")
}
