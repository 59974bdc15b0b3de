package provider_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/provider"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
)

var (
	pkgURN  = resource.NewURN("dev", "tacker-cilium", "", "tacker:index:VnfPackage", "k8s-pkg")
	instURN = resource.NewURN("dev", "tacker-cilium", "", "tacker:index:VnfInstance", "k8s")
)

// vnfHarness is the provider against a stand-in whose background work
// takes milliseconds, polled every few.
func vnfHarness(t *testing.T, tune func(*tackertest.Server)) (integration.Server, *tackertest.Server) {
	t.Helper()
	tk := tackertest.New(token)
	tk.OnboardingDelay, tk.OperationDelay = 10*time.Millisecond, 20*time.Millisecond
	if tune != nil {
		tune(tk)
	}
	require.NoError(t, tk.Start("127.0.0.1:0"))
	t.Cleanup(tk.Close)
	prov, err := provider.New()
	require.NoError(t, err)
	s, err := integration.NewServer(t.Context(), provider.Name, semver.MustParse(provider.Version), integration.WithProvider(prov))
	require.NoError(t, err)
	require.NoError(t, s.Configure(p.ConfigureRequest{Args: property.NewMap(map[string]property.Value{
		"token":        property.New(token).WithSecret(true),
		"endpoint":     property.New(tk.URL),
		"pollInterval": property.New("2ms"),
	})}))
	return s, tk
}

// value turns plain Go values (maps, slices, strings, numbers) into a
// property value.
func value(v any) property.Value {
	return resource.FromResourcePropertyValue(resource.NewPropertyValue(v))
}

// plain is a property value as plain Go values, secrets unwrapped.
func plain(v property.Value) any {
	b, err := json.Marshal(resource.ToResourcePropertyValue(v).MapRepl(nil, func(pv resource.PropertyValue) (any, bool) {
		if pv.IsSecret() {
			return pv.SecretValue().Element.Mappable(), true
		}
		return nil, false
	}))
	if err != nil {
		panic(err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func requestsTo(tk *tackertest.Server, method, path string) []tackertest.Request {
	var out []tackertest.Request
	for _, r := range tk.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func bodyOf(t *testing.T, r tackertest.Request) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "%s", r.Body)
	return m
}

func pkgInputs(csar []byte, over map[string]property.Value) property.Map {
	sum := sha256.Sum256(csar)
	m := map[string]property.Value{
		"content":         property.New(base64.StdEncoding.EncodeToString(csar)),
		"contentHash":     property.New(hex.EncodeToString(sum[:])),
		"userDefinedData": value(map[string]any{"cluster": "k8s"}),
	}
	return overridden(m, over)
}

func checkPkg(t *testing.T, s integration.Server, in property.Map) p.CheckResponse {
	t.Helper()
	return checkAt(t, s, pkgURN, in)
}

func TestVnfPackageCheck(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	csar := tackertest.SampleCSAR("vnfd-check")
	assert.Empty(t, checkPkg(t, s, pkgInputs(csar, nil)).Failures)

	sum := sha256.Sum256(csar)
	for name, c := range map[string]struct {
		over     map[string]property.Value
		property string
		reason   string
	}{
		"hash not hex":   {map[string]property.Value{"contentHash": property.New("sha256:abc")}, "contentHash", `contentHash "sha256:abc" is not a SHA-256: give 64 lowercase hex digits`},
		"hash uppercase": {map[string]property.Value{"contentHash": property.New(strings.ToUpper(hex.EncodeToString(sum[:])))}, "contentHash", "64 lowercase hex digits"},
		"hash of another": {map[string]property.Value{"contentHash": property.New(strings.Repeat("0", 64))}, "contentHash",
			"is not the SHA-256 of content, which is " + hex.EncodeToString(sum[:])},
		"not base64":   {map[string]property.Value{"content": property.New("PK\x03\x04 raw zip")}, "content", "content is not base64"},
		"not a zip":    {map[string]property.Value{"content": property.New(base64.StdEncoding.EncodeToString([]byte("hello")))}, "content", "content is not a zip archive"},
		"empty":        {map[string]property.Value{"content": property.New("")}, "content", "content is empty"},
		"bad data key": {map[string]property.Value{"userDefinedData": value(map[string]any{"a*b": "x"})}, "userDefinedData", `userDefinedData["a*b"]: the key may hold only`},
		"long data":    {map[string]property.Value{"userDefinedData": value(map[string]any{"k": strings.Repeat("v", 300)})}, "userDefinedData", "a string of 300 characters"},
	} {
		t.Run(name, func(t *testing.T) {
			resp := checkPkg(t, s, pkgInputs(csar, c.over))
			require.NotEmpty(t, resp.Failures)
			assert.Equal(t, c.property, resp.Failures[0].Property)
			assert.Contains(t, resp.Failures[0].Reason, c.reason)
		})
	}
	// At preview the CSAR of a package being built is not known yet.
	assert.Empty(t, checkPkg(t, s, pkgInputs(csar, map[string]property.Value{
		"content": property.New(property.Computed), "contentHash": property.New(property.Computed),
	})).Failures)
	assert.Empty(t, tk.Requests(), "Check never calls Tacker")
}

func TestVnfPackageLifecycle(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	csar := tackertest.SampleCSAR("vnfd-pkg")
	in := checkPkg(t, s, pkgInputs(csar, nil)).Inputs

	_, err := s.Create(p.CreateRequest{Urn: pkgURN, Properties: in, DryRun: true})
	require.NoError(t, err)
	assert.Empty(t, tk.Requests(), "a preview sends nothing")

	created, err := s.Create(p.CreateRequest{Urn: pkgURN, Properties: in})
	require.NoError(t, err)
	require.NotEmpty(t, created.ID)
	out := created.Properties
	assert.Equal(t, "vnfd-pkg", out.Get("vnfdId").AsString())
	assert.Equal(t, "ONBOARDED", out.Get("onboardingState").AsString())
	assert.Equal(t, "ENABLED", out.Get("operationalState").AsString())
	assert.Equal(t, tackertest.SampleProduct, out.Get("vnfProductName").AsString())
	assert.Equal(t, tackertest.SampleVersion, out.Get("vnfdVersion").AsString())
	posts := requestsTo(tk, http.MethodPost, "/vnfpkgm/v1/vnf_packages")
	require.Len(t, posts, 1)
	assert.Equal(t, map[string]any{"userDefinedData": map[string]any{"cluster": "k8s"}}, bodyOf(t, posts[0]))
	puts := requestsTo(tk, http.MethodPut, "/vnfpkgm/v1/vnf_packages/"+created.ID+"/package_content")
	require.Len(t, puts, 1)
	assert.Equal(t, csar, puts[0].Body, "the decoded CSAR, as application/zip")
	assert.Equal(t, "application/zip", puts[0].ContentType)

	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: pkgURN, Properties: out, Inputs: in})
	require.NoError(t, err)
	diff, err := s.Diff(p.DiffRequest{ID: created.ID, Urn: pkgURN, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.False(t, diff.HasChanges, "%v", diff.DetailedDiff)

	// New content replaces the package, the old one deleted first.
	changed := checkPkg(t, s, pkgInputs(tackertest.SampleCSAR("vnfd-pkg-2"), nil)).Inputs
	diff, err = s.Diff(p.DiffRequest{ID: created.ID, Urn: pkgURN, State: out, OldInputs: in, Inputs: changed})
	require.NoError(t, err)
	assert.Equal(t, p.UpdateReplace, diff.DetailedDiff["contentHash"].Kind)
	assert.Equal(t, p.UpdateReplace, diff.DetailedDiff["content"].Kind)
	assert.True(t, diff.DeleteBeforeReplace)
	diff, err = s.Diff(p.DiffRequest{ID: created.ID, Urn: pkgURN, State: out, OldInputs: in,
		Inputs: checkPkg(t, s, pkgInputs(csar, map[string]property.Value{"userDefinedData": value(map[string]any{"cluster": "other"})})).Inputs})
	require.NoError(t, err)
	assert.Equal(t, p.UpdateReplace, diff.DetailedDiff["userDefinedData.cluster"].Kind, "Tacker cannot remove user data: a change replaces")

	tk.Reset()
	require.NoError(t, s.Delete(p.DeleteRequest{ID: created.ID, Urn: pkgURN, Properties: out}))
	patches := requestsTo(tk, http.MethodPatch, "/vnfpkgm/v1/vnf_packages/"+created.ID)
	require.Len(t, patches, 1, "disabled first")
	assert.Equal(t, map[string]any{"operationalState": "DISABLED"}, bodyOf(t, patches[0]))
	assert.Len(t, requestsTo(tk, http.MethodDelete, "/vnfpkgm/v1/vnf_packages/"+created.ID), 1)
	assert.Empty(t, tk.Packages())
	require.NoError(t, s.Delete(p.DeleteRequest{ID: created.ID, Urn: pkgURN, Properties: out}), "already gone is deleted")
}

// Tacker's silent refusal reaches `pulumi up` as an error that says where
// the reason is; nothing is left in Tacker or in the state.
func TestVnfPackageRefusedByTacker(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	files := tackertest.SampleFiles("vnfd-refused")
	delete(files, "Definitions/vnfd_types.yaml") // a missing TOSCA import
	in := checkPkg(t, s, pkgInputs(tackertest.Zip(files), nil))
	require.Empty(t, in.Failures, "a zip: Check leaves TOSCA to Tacker")
	resp, err := s.Create(p.CreateRequest{Urn: pkgURN, Properties: in.Inputs})
	require.Error(t, err)
	assert.Empty(t, resp.ID)
	assert.Contains(t, err.Error(), "went back to onboardingState CREATED")
	assert.Contains(t, err.Error(), "tacker-conductor log")
	assert.Empty(t, tk.Packages())
}

func TestVnfPackageRefresh(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	in := checkPkg(t, s, pkgInputs(tackertest.SampleCSAR("vnfd-drift"), nil)).Inputs
	created, err := s.Create(p.CreateRequest{Urn: pkgURN, Properties: in})
	require.NoError(t, err)

	// A package no longer ONBOARDED is onboarded again on the next update.
	tk.MutatePackage(created.ID, func(p *tackertest.Package) { p.OnboardingState = "CREATED" })
	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: pkgURN, Properties: created.Properties, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, "CREATED", read.Properties.Get("onboardingState").AsString())
	diff, err := s.Diff(p.DiffRequest{ID: created.ID, Urn: pkgURN, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, p.UpdateReplace, diff.DetailedDiff["contentHash"].Kind)

	tk.MutatePackage(created.ID, func(p *tackertest.Package) { p.OperationalState = "DISABLED" })
	require.NoError(t, s.Delete(p.DeleteRequest{ID: created.ID, Urn: pkgURN, Properties: created.Properties}))
	read, err = s.Read(p.ReadRequest{ID: created.ID, Urn: pkgURN, Properties: created.Properties, Inputs: in})
	require.NoError(t, err)
	assert.Empty(t, read.ID, "gone from Tacker, gone from the state")
}

// onboardedPackage onboards the sample package through the provider and
// returns its vnfdId.
func onboardedPackage(t *testing.T, s integration.Server, vnfdID string) string {
	t.Helper()
	in := checkPkg(t, s, pkgInputs(tackertest.SampleCSAR(vnfdID), nil)).Inputs
	created, err := s.Create(p.CreateRequest{Urn: pkgURN, Properties: in})
	require.NoError(t, err)
	return created.Properties.Get("vnfdId").AsString()
}

func vim() map[string]any {
	return map[string]any{"vim1": map[string]any{
		"interfaceInfo": map[string]any{"endpoint": "http://192.0.2.5/identity/v3"},
		"accessInfo":    map[string]any{"username": "nfv_user", "password": "vim-secret", "project": "nfv", "region": "RegionOne"},
	}}
}

var lcmParams = map[string]any{"lcm-operation-user-data": "./UserData/k8s.py", "lcm-operation-user-data-class": "K8s"}

func instInputs(vnfdID string, over map[string]property.Value) property.Map {
	m := map[string]property.Value{
		"vnfdId":              property.New(vnfdID),
		"description":         property.New("cluster"),
		"flavourId":           property.New(tackertest.SampleFlavour),
		"vimConnectionInfo":   value(vim()),
		"additionalParams":    value(map[string]any{"lcm-operation-user-data": "./UserData/k8s.py", "k8s": map[string]any{"userData": strings.Repeat("#cloud-config ", 40)}}),
		"lcmAdditionalParams": value(lcmParams),
		"scaleLevels":         value(map[string]any{tackertest.SampleAspect: 2}),
	}
	return overridden(m, over)
}

func checkInst(t *testing.T, s integration.Server, in property.Map) p.CheckResponse {
	t.Helper()
	return checkAt(t, s, instURN, in)
}

func TestVnfInstanceCheck(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	resp := checkInst(t, s, instInputs("vnfd-x", nil))
	require.Empty(t, resp.Failures)
	in := resp.Inputs
	assert.Equal(t, "k8s", in.Get("name").AsString(), "name defaults to the resource's")
	assert.True(t, in.Get("vimConnectionInfo").Secret(), "it holds the VIM password")
	vim1 := plain(in.Get("vimConnectionInfo")).(map[string]any)["vim1"].(map[string]any)
	assert.Equal(t, "ETSINFV.OPENSTACK_KEYSTONE.V_3", vim1["vimType"])
	access := vim1["accessInfo"].(map[string]any)
	assert.Equal(t, "Default", access["projectDomain"])
	assert.Equal(t, "Default", access["userDomain"])
	assert.True(t, in.Get("additionalParams").Secret(), "additionalParams carry user data and keys")
	assert.True(t, in.Get("lcmAdditionalParams").Secret())

	badVim := vim()
	badVim["vim1"].(map[string]any)["vimType"] = "kubernetes"
	noPassword := vim()
	noPassword["vim1"].(map[string]any)["accessInfo"].(map[string]any)["password"] = ""
	missingPassword := vim()
	delete(missingPassword["vim1"].(map[string]any)["accessInfo"].(map[string]any), "password")
	badEndpoint := vim()
	badEndpoint["vim1"].(map[string]any)["interfaceInfo"] = map[string]any{"endpoint": "192.0.2.5:5000"}
	for name, c := range map[string]struct {
		over     map[string]property.Value
		property string
		reason   string
	}{
		"empty flavour":    {map[string]property.Value{"flavourId": property.New("")}, "flavourId", "flavourId is empty"},
		"empty vnfdId":     {map[string]property.Value{"vnfdId": property.New("")}, "vnfdId", "vnfdId is empty"},
		"long name":        {map[string]property.Value{"name": property.New(strings.Repeat("n", 256))}, "name", "at most 255"},
		"negative level":   {map[string]property.Value{"scaleLevels": value(map[string]any{"worker_scale": -1})}, "scaleLevels", `scaleLevels["worker_scale"] is -1: a scale level is 0 or more`},
		"unknown vimType":  {map[string]property.Value{"vimConnectionInfo": value(badVim)}, "vimConnectionInfo", `vimConnectionInfo.vim1.vimType "kubernetes" is not supported: only ETSINFV.OPENSTACK_KEYSTONE.V_3`},
		"no password":      {map[string]property.Value{"vimConnectionInfo": value(noPassword)}, "vimConnectionInfo", "vimConnectionInfo.vim1.accessInfo.password is empty"},
		"missing password": {map[string]property.Value{"vimConnectionInfo": value(missingPassword)}, "vimConnectionInfo[vim1] value", "Missing required field 'password'"},
		"bad endpoint":     {map[string]property.Value{"vimConnectionInfo": value(badEndpoint)}, "vimConnectionInfo", `endpoint "192.0.2.5:5000" is not the URL of a Keystone`},
		"number param":     {map[string]property.Value{"additionalParams": value(map[string]any{"workers": 3})}, "additionalParams", `additionalParams["workers"] is a number`},
		"long param":       {map[string]property.Value{"additionalParams": value(map[string]any{"userData": strings.Repeat("x", 4000)})}, "additionalParams", "a string of 4000 characters where Tacker takes at most 255"},
		"number lcm":       {map[string]property.Value{"lcmAdditionalParams": value(map[string]any{"all": 1})}, "lcmAdditionalParams", `lcmAdditionalParams["all"] is a number`},
		"link sans cps":    {map[string]property.Value{"extVirtualLinks": value([]any{map[string]any{"id": "l", "resourceId": "net"}})}, "extVirtualLinks", "extVirtualLinks[0] has no extCps"},
		"negative heal":    {map[string]property.Value{"healGeneration": property.New(-1.0)}, "healGeneration", "healGeneration is -1"},
		"empty heal id":    {map[string]property.Value{"healVnfcIds": value([]any{""})}, "healVnfcIds", "empty id"},
	} {
		t.Run(name, func(t *testing.T) {
			resp := checkInst(t, s, instInputs("vnfd-x", c.over))
			require.Len(t, resp.Failures, 1, "%v", resp.Failures)
			assert.Equal(t, c.property, resp.Failures[0].Property)
			assert.Contains(t, resp.Failures[0].Reason, c.reason)
			assert.NotContains(t, resp.Failures[0].Reason, "vim-secret")
			assert.NotContains(t, resp.Failures[0].Reason, "xxxxxxxx", "never the value of a secret param")
		})
	}
	assert.Empty(t, checkInst(t, s, instInputs("vnfd-x", map[string]property.Value{
		"vnfdId": property.New(property.Computed), "additionalParams": property.New(property.Computed).WithSecret(true),
	})).Failures, "unknowns wait")
	assert.Empty(t, tk.Requests(), "Check never calls Tacker")
}

func vnfcs(t *testing.T, out property.Map, vdu string) []map[string]any {
	t.Helper()
	var list []map[string]any
	for _, v := range plain(out.Get("vnfcResourceInfo")).([]any) {
		if m := v.(map[string]any); m["vduId"] == vdu {
			list = append(list, m)
		}
	}
	return list
}

func TestVnfInstanceLifecycle(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	vnfdID := onboardedPackage(t, s, "vnfd-inst")
	in := checkInst(t, s, instInputs(vnfdID, nil)).Inputs

	tk.Reset()
	_, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in, DryRun: true})
	require.NoError(t, err)
	assert.Empty(t, tk.Requests())

	created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in})
	require.NoError(t, err)
	id := created.ID
	require.NotEmpty(t, id)
	out := created.Properties
	assert.Equal(t, "INSTANTIATED", out.Get("instantiationState").AsString())
	assert.Equal(t, map[string]any{tackertest.SampleAspect: 2.0}, plain(out.Get("scaleStatus")))
	assert.Len(t, vnfcs(t, out, tackertest.SampleMaster), 1)
	workers := vnfcs(t, out, tackertest.SampleWorker)
	assert.Len(t, workers, 3, "initial delta 1 and two steps of 1")
	assert.Equal(t, workers[0]["id"], workers[0]["computeResourceId"], "Tacker names a VNFC resource by its server")
	assert.True(t, out.Get("vimConnectionInfo").Secret(), "the VIM password stays secret in the state")
	assert.True(t, out.Get("additionalParams").Secret())

	creates := requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances")
	require.Len(t, creates, 1)
	assert.Equal(t, map[string]any{"vnfdId": vnfdID, "vnfInstanceName": "k8s", "vnfInstanceDescription": "cluster"}, bodyOf(t, creates[0]))
	inst := requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+id+"/instantiate")
	require.Len(t, inst, 1)
	body := bodyOf(t, inst[0])
	assert.Equal(t, "simple", body["flavourId"])
	assert.Equal(t, map[string]any{"vim1": map[string]any{
		"vimType":       "ETSINFV.OPENSTACK_KEYSTONE.V_3",
		"interfaceInfo": map[string]any{"endpoint": "http://192.0.2.5/identity/v3"},
		"accessInfo": map[string]any{"username": "nfv_user", "password": "vim-secret", "project": "nfv",
			"projectDomain": "Default", "userDomain": "Default", "region": "RegionOne"},
	}}, body["vimConnectionInfo"])
	assert.Equal(t, "./UserData/k8s.py", body["additionalParams"].(map[string]any)["lcm-operation-user-data"])
	assert.NotContains(t, body, "instantiationLevelId", "empty: Tacker takes the flavour's default")
	scales := requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+id+"/scale")
	require.Len(t, scales, 1, "from the default level 1 to 2")
	assert.Equal(t, map[string]any{"type": "SCALE_OUT", "aspectId": "worker_scale", "numberOfSteps": 1.0, "additionalParams": lcmParams}, bodyOf(t, scales[0]))

	// refresh with nothing changed: no diff
	read, err := s.Read(p.ReadRequest{ID: id, Urn: instURN, Properties: out, Inputs: in})
	require.NoError(t, err)
	diff, err := s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.False(t, diff.HasChanges, "%v", diff.DetailedDiff)

	// scaleLevels change in place; the flavour replaces, the old instance first
	scaledIn := checkInst(t, s, instInputs(vnfdID, map[string]property.Value{"scaleLevels": value(map[string]any{tackertest.SampleAspect: 0})})).Inputs
	diff, err = s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: out, OldInputs: in, Inputs: scaledIn})
	require.NoError(t, err)
	require.Len(t, diff.DetailedDiff, 1, "%v", diff.DetailedDiff)
	assert.Equal(t, p.Update, diff.DetailedDiff["scaleLevels.worker_scale"].Kind)
	assert.False(t, diff.DeleteBeforeReplace)
	diff, err = s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: out, OldInputs: in,
		Inputs: checkInst(t, s, instInputs(vnfdID, map[string]property.Value{"flavourId": property.New("complex")})).Inputs})
	require.NoError(t, err)
	assert.Equal(t, p.UpdateReplace, diff.DetailedDiff["flavourId"].Kind)
	assert.True(t, diff.DeleteBeforeReplace)

	tk.Reset()
	updated, err := s.Update(p.UpdateRequest{ID: id, Urn: instURN, State: out, OldInputs: in, Inputs: scaledIn})
	require.NoError(t, err)
	scales = requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+id+"/scale")
	require.Len(t, scales, 1)
	assert.Equal(t, "SCALE_IN", bodyOf(t, scales[0])["type"])
	assert.Equal(t, 2.0, bodyOf(t, scales[0])["numberOfSteps"])
	assert.Empty(t, requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+id+"/heal"), "healGeneration did not move")
	out, in = updated.Properties, scaledIn
	assert.Equal(t, map[string]any{tackertest.SampleAspect: 0.0}, plain(out.Get("scaleStatus")))
	workers = vnfcs(t, out, tackertest.SampleWorker)
	require.Len(t, workers, 1)

	// heal the worker by its server id: Tacker gets its vnfcInfo id
	healIn := checkInst(t, s, instInputs(vnfdID, map[string]property.Value{
		"scaleLevels": value(map[string]any{tackertest.SampleAspect: 0}), "healGeneration": property.New(1.0),
		"healVnfcIds": value([]any{workers[0]["computeResourceId"]}),
	})).Inputs
	diff, err = s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: out, OldInputs: in, Inputs: healIn})
	require.NoError(t, err)
	assert.Equal(t, p.Update, diff.DetailedDiff["healGeneration"].Kind)
	tk.Reset()
	healed, err := s.Update(p.UpdateRequest{ID: id, Urn: instURN, State: out, OldInputs: in, Inputs: healIn})
	require.NoError(t, err)
	heals := requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+id+"/heal")
	require.Len(t, heals, 1)
	assert.Equal(t, map[string]any{"vnfcInstanceId": []any{tackertest.SampleWorker + "-" + workers[0]["computeResourceId"].(string)}, "additionalParams": lcmParams},
		bodyOf(t, heals[0]))
	assert.NotEqual(t, workers[0]["computeResourceId"], vnfcs(t, healed.Properties, tackertest.SampleWorker)[0]["computeResourceId"], "a new server")
	assert.Equal(t, vnfcs(t, out, tackertest.SampleMaster), vnfcs(t, healed.Properties, tackertest.SampleMaster), "the master untouched")
	out, in = healed.Properties, healIn

	// the same generation with other ids heals nothing; a stale id is refused with the instance's VNFCs
	tk.Reset()
	stale := checkInst(t, s, instInputs(vnfdID, map[string]property.Value{
		"scaleLevels": value(map[string]any{tackertest.SampleAspect: 0}), "healGeneration": property.New(2.0),
		"healVnfcIds": value([]any{workers[0]["computeResourceId"]}),
	})).Inputs
	_, err = s.Update(p.UpdateRequest{ID: id, Urn: instURN, State: out, OldInputs: in, Inputs: stale})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "healVnfcIds: "+workers[0]["computeResourceId"].(string)+" are not VNFCs of instance "+id)
	assert.Contains(t, err.Error(), "masterNode-")
	assert.Empty(t, requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+id+"/heal"))

	// drift: someone scaled by hand; the refresh shows it, the next update undoes it
	tk.MutateInstance(id, func(i *tackertest.Instance) { i.Levels[tackertest.SampleAspect] = 3 })
	read, err = s.Read(p.ReadRequest{ID: id, Urn: instURN, Properties: out, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{tackertest.SampleAspect: 3.0}, plain(read.Inputs.Get("scaleLevels")))
	assert.Len(t, vnfcs(t, read.Properties, tackertest.SampleWorker), 4)
	assert.True(t, read.Inputs.Get("vimConnectionInfo").Secret())
	assert.True(t, read.Inputs.Get("additionalParams").Secret())
	assert.True(t, read.Properties.Get("vimConnectionInfo").Secret())
	assert.Equal(t, "vim-secret", plain(read.Inputs.Get("vimConnectionInfo")).(map[string]any)["vim1"].(map[string]any)["accessInfo"].(map[string]any)["password"],
		"kept: Tacker never shows it")
	diff, err = s.Diff(p.DiffRequest{ID: id, Urn: instURN, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	require.Len(t, diff.DetailedDiff, 1, "%v", diff.DetailedDiff)
	assert.Equal(t, p.Update, diff.DetailedDiff["scaleLevels.worker_scale"].Kind)

	tk.Reset()
	require.NoError(t, s.Delete(p.DeleteRequest{ID: id, Urn: instURN, Properties: out}))
	terms := requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+id+"/terminate")
	require.Len(t, terms, 1)
	assert.Equal(t, map[string]any{"terminationType": "FORCEFUL"}, bodyOf(t, terms[0]))
	assert.Len(t, requestsTo(tk, http.MethodDelete, "/vnflcm/v2/vnf_instances/"+id), 1)
	assert.Empty(t, tk.Instances())
	require.NoError(t, s.Delete(p.DeleteRequest{ID: id, Urn: instURN, Properties: out}), "already gone is deleted")
}

// A failed instantiation keeps the instance in the state with Tacker's
// words; once an operator has cleared the failed operation, the next
// update instantiates it.
func TestVnfInstanceFailedInstantiation(t *testing.T) {
	fail := true
	s, tk := vnfHarness(t, func(tk *tackertest.Server) {
		tk.FailOperation = func(_, op string) *tackertest.ProblemDetails {
			if fail && op == "INSTANTIATE" {
				return &tackertest.ProblemDetails{Status: 422, Title: "Stack operation failed", Detail: "Resource CREATE failed: quota exceeded"}
			}
			return nil
		}
	})
	in := checkInst(t, s, instInputs(onboardedPackage(t, s, "vnfd-failing"), nil)).Inputs
	created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in})
	require.Error(t, err)
	require.NotEmpty(t, created.ID, "Tacker holds the instance: the state must too")
	require.NotNil(t, created.PartialState)
	reasons := strings.Join(created.PartialState.Reasons, "\n")
	assert.Contains(t, reasons, "INSTANTIATE of VNF instance "+created.ID+" ended FAILED_TEMP")
	assert.Contains(t, reasons, "Stack operation failed: Resource CREATE failed: quota exceeded")
	assert.Contains(t, reasons, "openstack vnflcm op rollback|fail")
	assert.NotContains(t, reasons, "vim-secret")
	assert.Equal(t, "NOT_INSTANTIATED", created.Properties.Get("instantiationState").AsString())
	assert.Empty(t, requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+created.ID+"/scale"), "nothing after the failure")

	// blocked until the operator acts: Tacker's refusal is the error
	_, err = s.Update(p.UpdateRequest{ID: created.ID, Urn: instURN, State: created.Properties, OldInputs: in, Inputs: in})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Other LCM operation of vnfInstance "+created.ID+" is in progress")

	ops := tk.OpOccs()
	require.Len(t, ops, 1)
	hr, _ := http.NewRequest(http.MethodPost, tk.URL+"vnflcm/v2/vnf_lcm_op_occs/"+ops[0].ID+"/fail", nil)
	hr.Header.Set("X-Auth-Token", token)
	hr.Header.Set("Version", "2.0.0")
	hresp, err := http.DefaultClient.Do(hr)
	require.NoError(t, err)
	hresp.Body.Close()
	require.Equal(t, http.StatusOK, hresp.StatusCode)

	fail = false
	updated, err := s.Update(p.UpdateRequest{ID: created.ID, Urn: instURN, State: created.Properties, OldInputs: in, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, "INSTANTIATED", updated.Properties.Get("instantiationState").AsString())
	assert.Equal(t, map[string]any{tackertest.SampleAspect: 2.0}, plain(updated.Properties.Get("scaleStatus")))
}

// What the VNFD does not allow is an error that says what it allows.
func TestVnfInstanceScaleOutOfBounds(t *testing.T) {
	s, _ := vnfHarness(t, nil)
	vnfdID := onboardedPackage(t, s, "vnfd-bounds")
	for levels, msg := range map[int]string{
		5: `scaleLevels["worker_scale"] is 5, above the aspect's max_scale_level 3`,
	} {
		in := checkInst(t, s, instInputs(vnfdID, map[string]property.Value{"scaleLevels": value(map[string]any{tackertest.SampleAspect: levels})})).Inputs
		created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in})
		require.Error(t, err)
		require.NotNil(t, created.PartialState)
		assert.Contains(t, strings.Join(created.PartialState.Reasons, "\n"), msg)
		assert.Equal(t, "INSTANTIATED", created.Properties.Get("instantiationState").AsString())
	}
	in := checkInst(t, s, instInputs(vnfdID, map[string]property.Value{"scaleLevels": value(map[string]any{"master_scale": 1})})).Inputs
	created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in})
	require.Error(t, err)
	assert.Contains(t, strings.Join(created.PartialState.Reasons, "\n"), `scaleLevels["master_scale"]: the instance has no such aspect; its aspects are worker_scale`)
}

// An instance terminated behind Pulumi's back is replaced on the next up.
func TestVnfInstanceTerminatedBehindIsReplaced(t *testing.T) {
	s, tk := vnfHarness(t, nil)
	in := checkInst(t, s, instInputs(onboardedPackage(t, s, "vnfd-term"), nil)).Inputs
	created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in})
	require.NoError(t, err)
	tk.MutateInstance(created.ID, func(i *tackertest.Instance) {
		i.State, i.FlavourID, i.Levels, i.VNFCs = "NOT_INSTANTIATED", "", nil, nil
	})
	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: instURN, Properties: created.Properties, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, "NOT_INSTANTIATED", read.Properties.Get("instantiationState").AsString())
	diff, err := s.Diff(p.DiffRequest{ID: created.ID, Urn: instURN, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, p.UpdateReplace, diff.DetailedDiff["flavourId"].Kind)

	require.NoError(t, s.Delete(p.DeleteRequest{ID: created.ID, Urn: instURN, Properties: read.Properties}))
	assert.Empty(t, requestsTo(tk, http.MethodPost, "/vnflcm/v2/vnf_instances/"+created.ID+"/terminate"), "nothing to terminate")
	assert.Empty(t, tk.Instances())
}

// customTimeouts bound the wait on Tacker.
func TestVnfInstanceCustomTimeout(t *testing.T) {
	s, _ := vnfHarness(t, func(tk *tackertest.Server) { tk.OperationDelay = 10 * time.Second })
	in := checkInst(t, s, instInputs(onboardedPackage(t, s, "vnfd-timeout"), nil)).Inputs
	start := time.Now()
	created, err := s.Create(p.CreateRequest{Urn: instURN, Properties: in, Timeout: 1})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "not the 10s of the operation")
	require.NotNil(t, created.PartialState)
	assert.Contains(t, strings.Join(created.PartialState.Reasons, "\n"), "INSTANTIATE of VNF instance "+created.ID+" still")
}

func TestPollingConfigErrors(t *testing.T) {
	prov, err := provider.New()
	require.NoError(t, err)
	s, err := integration.NewServer(t.Context(), provider.Name, semver.MustParse(provider.Version), integration.WithProvider(prov))
	require.NoError(t, err)
	err = s.Configure(p.ConfigureRequest{Args: property.NewMap(map[string]property.Value{
		"token": property.New(token).WithSecret(true), "endpoint": property.New("http://127.0.0.1:9890/"),
		"operationTimeout": property.New("an hour"),
	})})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tacker:operationTimeout "an hour" is not a positive duration: give one such as 500ms, 5s, 10m or 1h`)
}
