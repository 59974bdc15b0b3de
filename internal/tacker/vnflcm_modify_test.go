package tacker_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
)

// The auto-heal and auto-scale switches: set in the InstantiateVnfRequest
// as Tacker's functional tests do (sol_v2 test_server_notification.py,
// test_prom_auto_scale_heal.py), changed by a VnfInfoModificationRequest
// merged into the instance.
func TestConfigurablePropertiesAtInstantiateAndModify(t *testing.T) {
	s, c := fastStandin(t, nil)
	ctx := context.Background()
	inst, err := c.CreateVnfInstance(ctx, tacker.CreateVnfRequest{VnfdID: onboarded(t, c, "vnfd-switches")})
	require.NoError(t, err)
	assert.Nil(t, inst.VnfConfigurableProperties, "Tacker takes none from the VNFD")

	_, err = c.InstantiateVnf(ctx, inst.ID, tacker.InstantiateVnfRequest{FlavourID: tackertest.SampleFlavour,
		VnfConfigurableProperties: map[string]any{tacker.AutohealProperty: true, tacker.AutoscaleProperty: false}})
	require.NoError(t, err)
	req := sent(t, s, http.MethodPost, "/vnflcm/v2/vnf_instances/"+inst.ID+"/instantiate")
	require.Len(t, req, 1)
	assert.Equal(t, map[string]any{"flavourId": "simple",
		"vnfConfigurableProperties": map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": false}}, jsonOf(t, req[0].Body))
	inst, err = c.GetVnfInstance(ctx, inst.ID)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": false}, inst.VnfConfigurableProperties)

	s.Reset()
	op, err := c.ModifyVnfInstance(ctx, inst.ID, tacker.VnfInfoModificationRequest{
		VnfConfigurableProperties: map[string]any{tacker.AutoscaleProperty: true}})
	require.NoError(t, err)
	assert.Equal(t, "MODIFY_INFO", op.Operation)
	assert.Equal(t, tacker.OpCompleted, op.OperationState)
	patch := sent(t, s, http.MethodPatch, "/vnflcm/v2/vnf_instances/"+inst.ID)
	require.Len(t, patch, 1)
	assert.Equal(t, "application/merge-patch+json", patch[0].ContentType)
	assert.Equal(t, http.StatusAccepted, patch[0].Status)
	assert.Equal(t, map[string]any{"vnfConfigurableProperties": map[string]any{"isAutoscaleEnabled": true}}, jsonOf(t, patch[0].Body),
		"SOL003 5.5.2.12 VnfInfoModificationRequest")
	assert.NotEmpty(t, sent(t, s, http.MethodGet, "/vnflcm/v2/vnf_lcm_op_occs/"+op.ID), "waited on its op occ")
	inst, err = c.GetVnfInstance(ctx, inst.ID)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"isAutohealEnabled": true, "isAutoscaleEnabled": true}, inst.VnfConfigurableProperties,
		"merged, not replaced")
}

func TestModifyFailureAndRefusal(t *testing.T) {
	s, c := fastStandin(t, func(s *tackertest.Server) {
		s.FailOperation = func(_, op string) *tackertest.ProblemDetails {
			if op == "MODIFY_INFO" {
				return &tackertest.ProblemDetails{Status: 500, Title: "Internal Server Error", Detail: "modify_information_start failed"}
			}
			return nil
		}
	})
	ctx := context.Background()
	inst, err := c.CreateVnfInstance(ctx, tacker.CreateVnfRequest{VnfdID: onboarded(t, c, "vnfd-modfail")})
	require.NoError(t, err)
	_, err = c.ModifyVnfInstance(ctx, inst.ID, tacker.VnfInfoModificationRequest{
		VnfConfigurableProperties: map[string]any{tacker.AutohealProperty: true}})
	var oe *tacker.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "MODIFY_INFO", oe.Operation)
	assert.Equal(t, tacker.OpFailedTemp, oe.State)
	assert.Contains(t, err.Error(), "MODIFY_INFO of VNF instance "+inst.ID+" ended FAILED_TEMP")
	assert.Contains(t, err.Error(), "modify_information_start failed")
	got, _ := s.Instance(inst.ID)
	assert.Nil(t, got.ConfigurableProperties, "a failed modification changes nothing")

	_, err = c.ModifyVnfInstance(ctx, "nope", tacker.VnfInfoModificationRequest{})
	assert.ErrorIs(t, err, tacker.ErrNotFound)
	assert.Contains(t, err.Error(), "modify info VNF instance nope")
	assert.False(t, errors.As(err, new(*tacker.OperationError)))
}
