package tacker_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
)

// fastStandin is a stand-in whose background work takes milliseconds, and
// a client that polls it every few.
func fastStandin(t *testing.T, tune func(*tackertest.Server)) (*tackertest.Server, *tacker.Client) {
	t.Helper()
	s := tackertest.New(token)
	s.OnboardingDelay, s.OperationDelay = 10*time.Millisecond, 20*time.Millisecond
	if tune != nil {
		tune(s)
	}
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
	c, err := tacker.Connect(context.Background(), tacker.Auth{Token: token, Endpoint: s.URL})
	require.NoError(t, err)
	c.SetPolling(tacker.Polling{Interval: 2 * time.Millisecond, Onboarding: 5 * time.Second, Operation: 5 * time.Second})
	return s, c
}

// sent are the requests of one method and path, each checked for the
// token and, on the v2 API, the Version header.
func sent(t *testing.T, s *tackertest.Server, method, path string) []tackertest.Request {
	t.Helper()
	var out []tackertest.Request
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			assert.Equal(t, token, r.Token, "X-Auth-Token of %s %s", method, path)
			if strings.HasPrefix(path, "/vnflcm/v2/") {
				assert.Equal(t, "2.0.0", r.Version, "Version of %s %s", method, path)
			}
			out = append(out, r)
		}
	}
	return out
}

func TestOnboardVnfPackage(t *testing.T) {
	s, c := fastStandin(t, nil)
	ctx := context.Background()
	csar := tackertest.SampleCSAR("vnfd-k8s")
	pkg, err := c.OnboardVnfPackage(ctx, map[string]string{"cluster": "k8s"}, csar)
	require.NoError(t, err)
	assert.Equal(t, tacker.OnboardingOnboarded, pkg.OnboardingState)
	assert.Equal(t, tacker.OperationalEnabled, pkg.OperationalState)
	assert.Equal(t, "vnfd-k8s", pkg.VnfdID)
	assert.Equal(t, tackertest.SampleProduct, pkg.VnfProductName)
	assert.Equal(t, tackertest.SampleVersion, pkg.VnfdVersion)
	assert.Equal(t, map[string]any{"cluster": "k8s"}, pkg.UserDefinedData)

	created := sent(t, s, http.MethodPost, "/vnfpkgm/v1/vnf_packages")
	require.Len(t, created, 1)
	assert.Equal(t, "application/json", created[0].ContentType)
	assert.Equal(t, map[string]any{"userDefinedData": map[string]any{"cluster": "k8s"}}, jsonOf(t, created[0].Body))
	up := sent(t, s, http.MethodPut, "/vnfpkgm/v1/vnf_packages/"+pkg.ID+"/package_content")
	require.Len(t, up, 1)
	assert.Equal(t, "application/zip", up[0].ContentType)
	assert.Equal(t, csar, up[0].Body, "the CSAR as given")
	assert.Equal(t, http.StatusAccepted, up[0].Status)
	assert.NotEmpty(t, sent(t, s, http.MethodGet, "/vnfpkgm/v1/vnf_packages/"+pkg.ID), "polled")

	// no user data: the body is an empty object, which the schema allows
	_, err = c.CreateVnfPackage(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{}, jsonOf(t, sent(t, s, http.MethodPost, "/vnfpkgm/v1/vnf_packages")[1].Body))

	// remove: disable, then delete; a second time it is gone
	s.Reset()
	require.NoError(t, c.RemoveVnfPackage(ctx, pkg.ID))
	patch := sent(t, s, http.MethodPatch, "/vnfpkgm/v1/vnf_packages/"+pkg.ID)
	require.Len(t, patch, 1)
	assert.Equal(t, map[string]any{"operationalState": "DISABLED"}, jsonOf(t, patch[0].Body))
	require.Len(t, sent(t, s, http.MethodDelete, "/vnfpkgm/v1/vnf_packages/"+pkg.ID), 1)
	_, ok := s.Package(pkg.ID)
	assert.False(t, ok)
	assert.ErrorIs(t, c.RemoveVnfPackage(ctx, pkg.ID), tacker.ErrNotFound)
	_, err = c.GetVnfPackage(ctx, pkg.ID)
	var te *tacker.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "itemNotFound", te.Type, "the webob fault's name")
	assert.Contains(t, te.Message, "Can not find requested vnf package")
}

// Tacker's silent refusal: the upload is accepted, the package goes back
// to CREATED. The client says so, points at the conductor's log, and
// deletes the package so that a corrected one can take its vnfdId.
func TestOnboardingFallbackToCreatedIsAnError(t *testing.T) {
	s, c := fastStandin(t, nil)
	files := tackertest.SampleFiles("vnfd-bad")
	files["Scripts/install.sh"] = "#!/bin/sh\necho changed after hashing\n"
	_, err := c.OnboardVnfPackage(context.Background(), nil, tackertest.Zip(files))
	var oe *tacker.OnboardingError
	require.ErrorAs(t, err, &oe)
	assert.Zero(t, oe.After)
	assert.Contains(t, err.Error(), "went back to onboardingState CREATED")
	assert.Contains(t, err.Error(), "tacker-conductor log")
	assert.Empty(t, s.Packages(), "the refused package is deleted")

	pkg, err := c.OnboardVnfPackage(context.Background(), nil, tackertest.SampleCSAR("vnfd-bad"))
	require.NoError(t, err, "the vnfdId is free again")
	assert.Equal(t, "vnfd-bad", pkg.VnfdID)

	_, err = c.OnboardVnfPackage(context.Background(), nil, tackertest.SampleCSAR("vnfd-bad"))
	require.ErrorAs(t, err, &oe, "a second package of the same vnfdId stays CREATED")
	assert.Len(t, s.Packages(), 1)
}

func TestOnboardingTimeout(t *testing.T) {
	s, c := fastStandin(t, func(s *tackertest.Server) { s.OnboardingDelay = 5 * time.Second })
	c.SetPolling(tacker.Polling{Interval: 5 * time.Millisecond, Onboarding: 50 * time.Millisecond})
	_, err := c.OnboardVnfPackage(context.Background(), nil, tackertest.SampleCSAR("vnfd-slow"))
	var oe *tacker.OnboardingError
	require.ErrorAs(t, err, &oe)
	assert.Positive(t, oe.After)
	assert.Equal(t, tacker.OnboardingUploading, oe.State)
	assert.Contains(t, err.Error(), "still UPLOADING after")
	assert.Contains(t, err.Error(), "tacker-conductor log")
	assert.Empty(t, s.Packages(), "Tacker lets a package being processed go")
}

func vimInfo() map[string]tacker.VimConnectionInfo {
	return map[string]tacker.VimConnectionInfo{"vim1": {
		VimType:       tacker.VimTypeOpenStack,
		InterfaceInfo: tacker.InterfaceInfo{Endpoint: "http://192.0.2.5/identity/v3"},
		AccessInfo: tacker.AccessInfo{Username: "nfv_user", Password: "vim-secret", Project: "nfv",
			ProjectDomain: "Default", UserDomain: "Default", Region: "RegionOne"},
	}}
}

// onboarded is an ONBOARDED sample package's vnfdId.
func onboarded(t *testing.T, c *tacker.Client, vnfdID string) string {
	t.Helper()
	pkg, err := c.OnboardVnfPackage(context.Background(), nil, tackertest.SampleCSAR(vnfdID))
	require.NoError(t, err)
	return pkg.VnfdID
}

func TestVnfLifecycle(t *testing.T) {
	s, c := fastStandin(t, nil)
	ctx := context.Background()
	vnfdID := onboarded(t, c, "vnfd-life")

	inst, err := c.CreateVnfInstance(ctx, tacker.CreateVnfRequest{VnfdID: vnfdID, VnfInstanceName: "k8s", VnfInstanceDescription: "cluster"})
	require.NoError(t, err)
	assert.Equal(t, tacker.NotInstantiated, inst.InstantiationState)
	assert.Equal(t, tackertest.SampleProduct, inst.VnfProductName)
	req := sent(t, s, http.MethodPost, "/vnflcm/v2/vnf_instances")
	require.Len(t, req, 1)
	assert.Equal(t, map[string]any{"vnfdId": vnfdID, "vnfInstanceName": "k8s", "vnfInstanceDescription": "cluster"}, jsonOf(t, req[0].Body))

	extVL := map[string]any{"id": "ext-net", "resourceId": "net-uuid", "extCps": []any{map[string]any{
		"cpdId": "CP1", "cpConfig": map[string]any{"CP1": map[string]any{"cpProtocolData": []any{map[string]any{
			"layerProtocol": "IP_OVER_ETHERNET", "ipOverEthernet": map[string]any{"ipAddresses": []any{
				map[string]any{"type": "IPV4", "numDynamicAddresses": float64(1)}}}}}}}}}}
	op, err := c.InstantiateVnf(ctx, inst.ID, tacker.InstantiateVnfRequest{
		FlavourID: tackertest.SampleFlavour, InstantiationLevelID: "instantiation_level_1",
		VimConnectionInfo: vimInfo(), ExtVirtualLinks: []map[string]any{extVL},
		AdditionalParams: map[string]any{"lcm-operation-user-data": "./UserData/k8s.py", "lcm-operation-user-data-class": "K8s"},
	})
	require.NoError(t, err)
	assert.Equal(t, tacker.OpCompleted, op.OperationState)
	assert.Equal(t, "INSTANTIATE", op.Operation)
	req = sent(t, s, http.MethodPost, "/vnflcm/v2/vnf_instances/"+inst.ID+"/instantiate")
	require.Len(t, req, 1)
	assert.Equal(t, map[string]any{
		"flavourId": "simple", "instantiationLevelId": "instantiation_level_1",
		"vimConnectionInfo": map[string]any{"vim1": map[string]any{
			"vimType":       "ETSINFV.OPENSTACK_KEYSTONE.V_3",
			"interfaceInfo": map[string]any{"endpoint": "http://192.0.2.5/identity/v3"},
			"accessInfo": map[string]any{"username": "nfv_user", "password": "vim-secret", "project": "nfv",
				"projectDomain": "Default", "userDomain": "Default", "region": "RegionOne"},
		}},
		"extVirtualLinks":  []any{extVL},
		"additionalParams": map[string]any{"lcm-operation-user-data": "./UserData/k8s.py", "lcm-operation-user-data-class": "K8s"},
	}, jsonOf(t, req[0].Body), "the documented InstantiateVnfRequest (paramgen.py's instantiate_vnf_max)")
	assert.NotEmpty(t, sent(t, s, http.MethodGet, "/vnflcm/v2/vnf_lcm_op_occs/"+op.ID),
		"polled where the client reaches Tacker, not at the Location's 127.0.0.1:9890")

	inst, err = c.GetVnfInstance(ctx, inst.ID)
	require.NoError(t, err)
	assert.Equal(t, tacker.Instantiated, inst.InstantiationState)
	require.NotNil(t, inst.InstantiatedVnfInfo)
	assert.Equal(t, map[string]int{tackertest.SampleAspect: 1}, inst.ScaleLevels())
	assert.Len(t, inst.InstantiatedVnfInfo.VnfcResourceInfo, 3)
	assert.Empty(t, inst.VimConnectionInfo["vim1"].AccessInfo.Password, "Tacker never shows it")
	assert.Equal(t, "nfv_user", inst.VimConnectionInfo["vim1"].AccessInfo.Username)

	_, err = c.ScaleVnf(ctx, inst.ID, tacker.ScaleVnfRequest{Type: tacker.ScaleOut, AspectID: tackertest.SampleAspect, NumberOfSteps: 2})
	require.NoError(t, err)
	req = sent(t, s, http.MethodPost, "/vnflcm/v2/vnf_instances/"+inst.ID+"/scale")
	assert.Equal(t, map[string]any{"type": "SCALE_OUT", "aspectId": "worker_scale", "numberOfSteps": float64(2)}, jsonOf(t, req[0].Body))
	inst, _ = c.GetVnfInstance(ctx, inst.ID)
	assert.Equal(t, map[string]int{tackertest.SampleAspect: 3}, inst.ScaleLevels())

	vnfc := inst.InstantiatedVnfInfo.VnfcInfo[0]
	_, err = c.HealVnf(ctx, inst.ID, tacker.HealVnfRequest{VnfcInstanceID: []string{vnfc.ID}})
	require.NoError(t, err)
	req = sent(t, s, http.MethodPost, "/vnflcm/v2/vnf_instances/"+inst.ID+"/heal")
	assert.Equal(t, map[string]any{"vnfcInstanceId": []any{vnfc.ID}}, jsonOf(t, req[0].Body))
	healed, _ := c.GetVnfInstance(ctx, inst.ID)
	assert.NotEqual(t, vnfc.VnfcResourceInfoID, healed.InstantiatedVnfInfo.VnfcResourceInfo[0].ComputeResource.ResourceID, "a new server")

	_, err = c.TerminateVnf(ctx, inst.ID)
	require.NoError(t, err)
	req = sent(t, s, http.MethodPost, "/vnflcm/v2/vnf_instances/"+inst.ID+"/terminate")
	assert.Equal(t, map[string]any{"terminationType": "FORCEFUL"}, jsonOf(t, req[0].Body))
	require.NoError(t, c.DeleteVnfInstance(ctx, inst.ID))
	require.Len(t, sent(t, s, http.MethodDelete, "/vnflcm/v2/vnf_instances/"+inst.ID), 1)
	_, err = c.GetVnfInstance(ctx, inst.ID)
	assert.ErrorIs(t, err, tacker.ErrNotFound)
	assert.ErrorIs(t, c.DeleteVnfInstance(ctx, inst.ID), tacker.ErrNotFound)
}

// A failed operation is an error in Tacker's words (its ProblemDetails),
// with what the operator must do before Tacker takes another; never with
// the VIM password the request carried.
func TestOperationFailureCarriesTackersProblem(t *testing.T) {
	s, c := fastStandin(t, func(s *tackertest.Server) {
		s.FailOperation = func(_, op string) *tackertest.ProblemDetails {
			if op == "INSTANTIATE" {
				return &tackertest.ProblemDetails{Status: 422, Title: "Stack operation failed",
					Detail: "Resource CREATE failed: Forbidden: Quota exceeded for cores"}
			}
			return nil
		}
	})
	ctx := context.Background()
	inst, err := c.CreateVnfInstance(ctx, tacker.CreateVnfRequest{VnfdID: onboarded(t, c, "vnfd-fail")})
	require.NoError(t, err)
	_, err = c.InstantiateVnf(ctx, inst.ID, tacker.InstantiateVnfRequest{FlavourID: "simple", VimConnectionInfo: vimInfo()})
	var oe *tacker.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, tacker.OpFailedTemp, oe.State)
	assert.Equal(t, "INSTANTIATE", oe.Operation)
	assert.Equal(t, inst.ID, oe.InstanceID)
	require.NotNil(t, oe.Problem)
	assert.Equal(t, 422, oe.Problem.Status)
	msg := err.Error()
	assert.Contains(t, msg, "Stack operation failed: Resource CREATE failed: Forbidden: Quota exceeded for cores")
	assert.Contains(t, msg, "openstack vnflcm op rollback|fail "+oe.OpOccID)
	assert.NotContains(t, msg, "vim-secret")

	// Tacker now refuses the instance's deletion, in its words.
	err = c.DeleteVnfInstance(ctx, inst.ID)
	var te *tacker.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, http.StatusConflict, te.Status)
	assert.Contains(t, te.Message, "Other LCM operation of vnfInstance "+inst.ID+" is in progress.")
	assert.Len(t, s.OpOccs(), 1)
}

func TestOperationTimeout(t *testing.T) {
	_, c := fastStandin(t, func(s *tackertest.Server) { s.OperationDelay = 5 * time.Second })
	ctx := context.Background()
	inst, err := c.CreateVnfInstance(ctx, tacker.CreateVnfRequest{VnfdID: onboarded(t, c, "vnfd-slow")})
	require.NoError(t, err)
	c.SetPolling(tacker.Polling{Interval: 5 * time.Millisecond, Operation: 50 * time.Millisecond})
	_, err = c.InstantiateVnf(ctx, inst.ID, tacker.InstantiateVnfRequest{FlavourID: "simple"})
	var oe *tacker.OperationError
	require.ErrorAs(t, err, &oe)
	assert.Positive(t, oe.After)
	assert.Contains(t, err.Error(), "still STARTING after")
	assert.Contains(t, err.Error(), "openstack vnflcm op show "+oe.OpOccID)
}

// Tacker's refusals of the request itself are *tacker.Error with its
// ProblemDetails' detail.
func TestLcmRefusalIsTackersMessage(t *testing.T) {
	_, c := fastStandin(t, nil)
	_, err := c.CreateVnfInstance(context.Background(), tacker.CreateVnfRequest{VnfdID: "never-onboarded"})
	var te *tacker.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, http.StatusUnprocessableEntity, te.Status)
	assert.Equal(t, "Unprocessable Entity", te.Type)
	assert.Contains(t, err.Error(), `create VNF instance of vnfdId "never-onboarded"`)
	assert.Contains(t, err.Error(), "VnfPackage of vnfdId never-onboarded is not found or not operational.")

	_, err = c.ScaleVnf(context.Background(), "nope", tacker.ScaleVnfRequest{Type: tacker.ScaleOut, AspectID: "a", NumberOfSteps: 1})
	assert.ErrorIs(t, err, tacker.ErrNotFound)
	assert.False(t, errors.As(err, new(*tacker.OperationError)))
}
