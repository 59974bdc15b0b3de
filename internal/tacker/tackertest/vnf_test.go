package tackertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// req is one raw request; the zero Version sends none.
type req struct {
	method, path, ct, version string
	body                      []byte
	noToken                   bool
}

type resp struct {
	status   int
	location string
	ct       string
	body     any
}

func (r resp) obj() map[string]any { m, _ := r.body.(map[string]any); return m }

func send(t *testing.T, s *Server, q req) resp {
	t.Helper()
	hr, err := http.NewRequest(q.method, strings.TrimSuffix(s.URL, "/")+q.path, bytes.NewReader(q.body))
	require.NoError(t, err)
	if !q.noToken {
		hr.Header.Set("X-Auth-Token", tok)
	}
	if q.ct != "" {
		hr.Header.Set("Content-Type", q.ct)
	}
	if q.version != "" {
		hr.Header.Set("Version", q.version)
	}
	hresp, err := http.DefaultClient.Do(hr)
	require.NoError(t, err)
	defer hresp.Body.Close()
	b, _ := io.ReadAll(hresp.Body)
	out := resp{status: hresp.StatusCode, location: hresp.Header.Get("Location"), ct: hresp.Header.Get("Content-Type")}
	if len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, &out.body), "%s", b)
	}
	return out
}

func jsonBody(s string) []byte { return []byte(s) }

func v2(method, path, body string) req {
	return req{method: method, path: path, ct: "application/json", version: "2.0.0", body: jsonBody(body)}
}

// fast is a stand-in whose background work takes a few milliseconds.
func fast(t *testing.T) *Server {
	t.Helper()
	s := New(tok)
	s.OnboardingDelay, s.OperationDelay = 10*time.Millisecond, 20*time.Millisecond
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
	return s
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond)
}

// onboard creates and uploads a package, and waits for the conductor.
func onboard(t *testing.T, s *Server, csar []byte) Package {
	t.Helper()
	r := send(t, s, req{method: "POST", path: "/vnfpkgm/v1/vnf_packages", ct: "application/json", body: jsonBody(`{}`)})
	require.Equal(t, 201, r.status, "%v", r.body)
	id := r.obj()["id"].(string)
	assert.Equal(t, "/vnfpkgm/v1/vnf_packages/"+id, r.location)
	assert.Equal(t, "CREATED", r.obj()["onboardingState"])
	assert.Equal(t, "DISABLED", r.obj()["operationalState"])
	assert.Equal(t, "NOT_IN_USE", r.obj()["usageState"])

	r = send(t, s, req{method: "PUT", path: "/vnfpkgm/v1/vnf_packages/" + id + "/package_content", ct: "application/zip", body: csar})
	require.Equal(t, 202, r.status, "%v", r.body)
	assert.Nil(t, r.body, "202 has no body")
	p, _ := s.Package(id)
	assert.Equal(t, "UPLOADING", p.OnboardingState, "the controller marks it before it answers")
	eventually(t, func() bool {
		p, _ = s.Package(id)
		return p.OnboardingState == "ONBOARDED" || p.OnboardingState == "CREATED"
	})
	return p
}

func TestPackageOnboarding(t *testing.T) {
	s := fast(t)
	p := onboard(t, s, SampleCSAR("vnfd-1"))
	require.Equal(t, "ONBOARDED", p.OnboardingState, p.Refusal)
	assert.Equal(t, "ENABLED", p.OperationalState)
	r := send(t, s, req{method: "GET", path: "/vnfpkgm/v1/vnf_packages/" + p.ID})
	require.Equal(t, 200, r.status)
	assert.Equal(t, "vnfd-1", r.obj()["vnfdId"])
	assert.Equal(t, SampleProduct, r.obj()["vnfProductName"])
	assert.Equal(t, SampleVersion, r.obj()["vnfdVersion"], "descriptor_version")
	assert.Equal(t, "tacker-cilium", r.obj()["vnfProvider"])

	f := p.VNFD.Flavours[SampleFlavour]
	require.NotNil(t, f)
	assert.Equal(t, []string{SampleMaster, SampleWorker}, f.VDUs)
	assert.Equal(t, SampleMaxLevel, f.Aspects[SampleAspect].MaxScaleLevel)
	assert.Equal(t, 1, f.Count(SampleMaster, map[string]int{SampleAspect: 3}), "the aspect leaves the master alone")
	assert.Equal(t, 4, f.Count(SampleWorker, map[string]int{SampleAspect: 3}))
	assert.Equal(t, map[string]int{SampleAspect: 1}, f.Levels[f.DefaultLevel])
}

// Tacker answers 202 to every upload and falls back to CREATED when its
// conductor refuses the package; only its log says why.
func TestPackageRefusedFallsBackToCreated(t *testing.T) {
	without := func(name string) map[string]string {
		f := SampleFiles("vnfd-x")
		delete(f, name)
		return f
	}
	with := func(name, content string) map[string]string {
		f := SampleFiles("vnfd-x")
		f[name] = content
		return f
	}
	for name, c := range map[string]struct {
		csar   []byte
		reason string
	}{
		"not a zip":          {[]byte("PK? no"), "not a zip"},
		"no TOSCA.meta":      {Zip(without("TOSCA-Metadata/TOSCA.meta")), "TOSCA-Metadata/TOSCA.meta is not in the package"},
		"no entry":           {Zip(without("Definitions/vnfd_top.yaml")), "Definitions/vnfd_top.yaml is not in the package"},
		"missing import":     {Zip(without("Definitions/vnfd_types.yaml")), "imports vnfd_types.yaml"},
		"wrong hash":         {Zip(with("Scripts/install.sh", "#!/bin/sh\nrm -rf /\n")), "Hash of Scripts/install.sh does not match"},
		"listed but missing": {Zip(without("Scripts/install.sh")), "TOSCA.meta lists Scripts/install.sh"},
		"no descriptor_id": {Zip(with("Definitions/vnfd_types.yaml", strings.Replace(SampleFiles("x")["Definitions/vnfd_types.yaml"],
			"derived_from: tosca.nodes.nfv.VNF", "derived_from: tosca.nodes.Root", 1))), "no descriptor_id"},
	} {
		t.Run(name, func(t *testing.T) {
			s := fast(t)
			p := onboard(t, s, c.csar)
			assert.Equal(t, "CREATED", p.OnboardingState)
			assert.Equal(t, "DISABLED", p.OperationalState)
			assert.Contains(t, p.Refusal, c.reason)
		})
	}

	t.Run("duplicate vnfdId", func(t *testing.T) {
		s := fast(t)
		require.Equal(t, "ONBOARDED", onboard(t, s, SampleCSAR("vnfd-dup")).OnboardingState)
		p := onboard(t, s, SampleCSAR("vnfd-dup"))
		assert.Equal(t, "CREATED", p.OnboardingState)
		assert.Contains(t, p.Refusal, "Duplicate entry 'vnfd-dup'")
	})
}

func TestPackageRefusals(t *testing.T) {
	s := fast(t)
	pkgs := "/vnfpkgm/v1/vnf_packages"
	created := send(t, s, req{method: "POST", path: pkgs, ct: "application/json", body: jsonBody(`{"userDefinedData": {"k": "v"}}`)})
	require.Equal(t, 201, created.status)
	id := created.obj()["id"].(string)

	for _, c := range []struct {
		name   string
		q      req
		status int
		fault  string // the webob fault's name, or "" for a ProblemDetails
		msg    string
	}{
		{"no token", req{method: "GET", path: pkgs + "/" + id, noToken: true}, 401, "", ""},
		{"unknown key", req{method: "POST", path: pkgs, ct: "application/json", body: jsonBody(`{"name": "x"}`)}, 400, "badRequest", "unknown property 'name'"},
		{"number in userDefinedData", req{method: "POST", path: pkgs, ct: "application/json", body: jsonBody(`{"userDefinedData": {"n": 1}}`)}, 400, "badRequest", "body.userDefinedData.n"},
		{"bad key in userDefinedData", req{method: "POST", path: pkgs, ct: "application/json", body: jsonBody(`{"userDefinedData": {"a*b": "v"}}`)}, 400, "badRequest", "'a*b'"},
		{"not json", req{method: "POST", path: pkgs, ct: "application/xml", body: jsonBody(`{}`)}, 415, "badMediaType", "Content-Type"},
		{"malformed", req{method: "POST", path: pkgs, ct: "application/json", body: jsonBody(`{`)}, 400, "badRequest", "Malformed"},
		{"unknown id", req{method: "GET", path: pkgs + "/6f1ae5bd-4a3e-4b7f-9d0c-2e8a1b3c5d7e"}, 404, "itemNotFound", "Can not find requested vnf package"},
		{"not a uuid", req{method: "GET", path: pkgs + "/nope"}, 404, "itemNotFound", "nope"},
		{"wrong method", req{method: "POST", path: pkgs + "/" + id}, 405, "badMethod", "POST"},
		{"unknown sub-resource", req{method: "GET", path: pkgs + "/" + id + "/vnfd_zip"}, 404, "itemNotFound", "could not be found"},
		{"upload as json", req{method: "PUT", path: pkgs + "/" + id + "/package_content", ct: "application/json", body: SampleCSAR("v")}, 415, "badMediaType", "application/zip"},
		{"upload to unknown", req{method: "PUT", path: pkgs + "/6f1ae5bd-4a3e-4b7f-9d0c-2e8a1b3c5d7e/package_content", ct: "application/zip", body: SampleCSAR("v")}, 404, "", "Can not find"},
		{"enable before onboarding", req{method: "PATCH", path: pkgs + "/" + id, ct: "application/json", body: jsonBody(`{"operationalState": "ENABLED"}`)}, 400, "badRequest", "not allowed"},
		{"patch nothing", req{method: "PATCH", path: pkgs + "/" + id, ct: "application/json", body: jsonBody(`{}`)}, 400, "badRequest", "operationalState or userDefinedData"},
		{"patch unknown state", req{method: "PATCH", path: pkgs + "/" + id, ct: "application/json", body: jsonBody(`{"operationalState": "OFF"}`)}, 400, "badRequest", "not one of"},
		{"patch same data", req{method: "PATCH", path: pkgs + "/" + id, ct: "application/json", body: jsonBody(`{"userDefinedData": {"k": "v"}}`)}, 409, "conflictingRequest", "Nothing to update"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, s, c.q)
			assert.Equal(t, c.status, r.status, "%v", r.body)
			switch {
			case c.status == 401:
				assert.Contains(t, r.obj()["error"].(map[string]any)["message"], "requires authentication")
			case c.fault == "":
				assert.Equal(t, "application/problem+json", r.ct)
				assert.Contains(t, r.obj()["detail"], c.msg)
			default:
				f, ok := r.obj()[c.fault].(map[string]any)
				require.True(t, ok, "a %s fault: %v", c.fault, r.body)
				assert.Equal(t, float64(c.status), f["code"])
				assert.Contains(t, f["message"], c.msg)
			}
		})
	}

	// An upload is accepted once: the state is no longer CREATED.
	up := req{method: "PUT", path: pkgs + "/" + id + "/package_content", ct: "application/zip", body: SampleCSAR("vnfd-r")}
	require.Equal(t, 202, send(t, s, up).status)
	r := send(t, s, up)
	assert.Equal(t, 409, r.status)
	assert.Contains(t, r.obj()["detail"], "onboarding state is not CREATED")

	eventually(t, func() bool { p, _ := s.Package(id); return p.OnboardingState == "ONBOARDED" })
	r = send(t, s, req{method: "DELETE", path: pkgs + "/" + id})
	assert.Equal(t, 409, r.status, "an ENABLED package is not deleted")
	assert.Contains(t, r.obj()["conflictingRequest"].(map[string]any)["message"], "operational state is ENABLED")
	disable := req{method: "PATCH", path: pkgs + "/" + id, ct: "application/json", body: jsonBody(`{"operationalState": "DISABLED"}`)}
	r = send(t, s, disable)
	require.Equal(t, 200, r.status)
	assert.Equal(t, map[string]any{"operationalState": "DISABLED"}, r.body, "PATCH answers with what changed")
	assert.Equal(t, 409, send(t, s, disable).status, "already DISABLED")
	assert.Equal(t, 204, send(t, s, req{method: "DELETE", path: pkgs + "/" + id}).status)
	assert.Equal(t, 404, send(t, s, req{method: "GET", path: pkgs + "/" + id}).status)
}

const vim1 = `{"vim1": {"vimType": "ETSINFV.OPENSTACK_KEYSTONE.V_3",
 "interfaceInfo": {"endpoint": "http://192.0.2.5/identity/v3"},
 "accessInfo": {"username": "nfv_user", "password": "devstack", "project": "nfv", "projectDomain": "Default", "userDomain": "Default", "region": "RegionOne"}}}`

// instance onboards the sample package and creates an instance of it.
func instance(t *testing.T, s *Server) string {
	t.Helper()
	require.Equal(t, "ONBOARDED", onboard(t, s, SampleCSAR("vnfd-lcm")).OnboardingState)
	r := send(t, s, v2("POST", "/vnflcm/v2/vnf_instances", `{"vnfdId": "vnfd-lcm", "vnfInstanceName": "k8s", "vnfInstanceDescription": "cluster"}`))
	require.Equal(t, 201, r.status, "%v", r.body)
	assert.Equal(t, "NOT_INSTANTIATED", r.obj()["instantiationState"])
	id := r.obj()["id"].(string)
	assert.Equal(t, "http://127.0.0.1:9890/vnflcm/v2/vnf_instances/"+id, r.location, "Tacker's default [v2_vnfm] endpoint")
	return id
}

// begin sends an LCM request and returns its operation occurrence's id.
func begin(t *testing.T, s *Server, id, action, body string) string {
	t.Helper()
	r := send(t, s, v2("POST", "/vnflcm/v2/vnf_instances/"+id+"/"+action, body))
	require.Equal(t, 202, r.status, "%v", r.body)
	assert.Nil(t, r.body)
	prefix := "http://127.0.0.1:9890/vnflcm/v2/vnf_lcm_op_occs/"
	require.True(t, strings.HasPrefix(r.location, prefix), r.location)
	return strings.TrimPrefix(r.location, prefix)
}

// finished waits for the operation to end and returns its view.
func finished(t *testing.T, s *Server, op string) map[string]any {
	t.Helper()
	var view map[string]any
	eventually(t, func() bool {
		r := send(t, s, v2("GET", "/vnflcm/v2/vnf_lcm_op_occs/"+op, ""))
		require.Equal(t, 200, r.status)
		view = r.obj()
		st := view["operationState"]
		return st != "STARTING" && st != "PROCESSING"
	})
	return view
}

func info(t *testing.T, s *Server, id string) map[string]any {
	t.Helper()
	r := send(t, s, v2("GET", "/vnflcm/v2/vnf_instances/"+id, ""))
	require.Equal(t, 200, r.status)
	return r.obj()
}

func vnfcs(inst map[string]any, vdu string) []string {
	var ids []string
	iv, _ := inst["instantiatedVnfInfo"].(map[string]any)
	list, _ := iv["vnfcResourceInfo"].([]any)
	for _, v := range list {
		m := v.(map[string]any)
		if m["vduId"] == vdu {
			ids = append(ids, m["computeResource"].(map[string]any)["resourceId"].(string))
		}
	}
	return ids
}

func TestLcmLifecycle(t *testing.T) {
	s := fast(t)
	id := instance(t, s)

	op := begin(t, s, id, "instantiate", `{"flavourId": "simple", "vimConnectionInfo": `+vim1+`,
	  "additionalParams": {"lcm-operation-user-data": "./UserData/k8s.py", "nfv": {"VDU": {}}}}`)
	r := send(t, s, v2("GET", "/vnflcm/v2/vnf_lcm_op_occs/"+op, ""))
	assert.Contains(t, []any{"STARTING", "PROCESSING"}, r.obj()["operationState"])
	assert.Equal(t, "INSTANTIATE", r.obj()["operation"])
	busy := send(t, s, v2("POST", "/vnflcm/v2/vnf_instances/"+id+"/scale", `{"type": "SCALE_OUT", "aspectId": "worker_scale"}`))
	assert.Equal(t, 409, busy.status, "an operation is running")
	assert.Equal(t, "COMPLETED", finished(t, s, op)["operationState"])

	inst := info(t, s, id)
	assert.Equal(t, "INSTANTIATED", inst["instantiationState"])
	iv := inst["instantiatedVnfInfo"].(map[string]any)
	assert.Equal(t, "simple", iv["flavourId"])
	assert.Equal(t, []any{map[string]any{"aspectId": SampleAspect, "scaleLevel": float64(1)}}, iv["scaleStatus"], "the default instantiation level")
	assert.Equal(t, []any{map[string]any{"aspectId": SampleAspect, "scaleLevel": float64(SampleMaxLevel)}}, iv["maxScaleLevels"])
	assert.Len(t, vnfcs(inst, SampleMaster), 1)
	workers := vnfcs(inst, SampleWorker)
	assert.Len(t, workers, 2)
	access := inst["vimConnectionInfo"].(map[string]any)["vim1"].(map[string]any)["accessInfo"].(map[string]any)
	assert.Equal(t, "nfv_user", access["username"])
	assert.NotContains(t, access, "password", "Tacker never shows the VIM password")
	assert.Equal(t, "IN_USE", send(t, s, req{method: "GET", path: "/vnfpkgm/v1/vnf_packages/" + s.Packages()[0].ID}).obj()["usageState"])

	// scale: out two steps, then in three; the oldest worker stays
	assert.Equal(t, "COMPLETED", finished(t, s, begin(t, s, id, "scale", `{"type": "SCALE_OUT", "aspectId": "worker_scale", "numberOfSteps": 2}`))["operationState"])
	inst = info(t, s, id)
	assert.Len(t, vnfcs(inst, SampleWorker), 4)
	assert.Equal(t, workers, vnfcs(inst, SampleWorker)[:2], "scale out adds servers")
	r = send(t, s, v2("POST", "/vnflcm/v2/vnf_instances/"+id+"/scale", `{"type": "SCALE_OUT", "aspectId": "worker_scale"}`))
	assert.Equal(t, 400, r.status, "past maxScaleLevel")
	assert.Contains(t, r.obj()["detail"], "Invalid numberOfSteps '1'")
	r = send(t, s, v2("POST", "/vnflcm/v2/vnf_instances/"+id+"/scale", `{"type": "SCALE_OUT", "aspectId": "master_scale"}`))
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.obj()["detail"], "Invalid aspectId 'master_scale'")
	assert.Equal(t, "COMPLETED", finished(t, s, begin(t, s, id, "scale", `{"type": "SCALE_IN", "aspectId": "worker_scale", "numberOfSteps": 3}`))["operationState"])
	inst = info(t, s, id)
	assert.Equal(t, workers[:1], vnfcs(inst, SampleWorker), "scale in removes the newest first")

	// heal one VNFC by its vnfcInfo id: only its server is replaced
	master := vnfcs(inst, SampleMaster)[0]
	r = send(t, s, v2("POST", "/vnflcm/v2/vnf_instances/"+id+"/heal", `{"vnfcInstanceId": ["workerNode-nope"]}`))
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.obj()["detail"], "vnfcInstanceId(workerNode-nope) does not exist")
	assert.Equal(t, "COMPLETED", finished(t, s, begin(t, s, id, "heal", `{"vnfcInstanceId": ["workerNode-`+workers[0]+`"], "cause": "node down"}`))["operationState"])
	inst = info(t, s, id)
	assert.Equal(t, []string{master}, vnfcs(inst, SampleMaster))
	require.Len(t, vnfcs(inst, SampleWorker), 1)
	assert.NotEqual(t, workers[0], vnfcs(inst, SampleWorker)[0], "a new server")
	// heal without VNFCs heals the whole VNF
	assert.Equal(t, "COMPLETED", finished(t, s, begin(t, s, id, "heal", `{}`))["operationState"])
	assert.NotEqual(t, []string{master}, vnfcs(info(t, s, id), SampleMaster))

	r = send(t, s, v2("DELETE", "/vnflcm/v2/vnf_instances/"+id, ""))
	assert.Equal(t, 409, r.status, "an instantiated VNF is terminated first")
	assert.Contains(t, r.obj()["detail"], "is instantiated")
	assert.Equal(t, "COMPLETED", finished(t, s, begin(t, s, id, "terminate", `{"terminationType": "FORCEFUL"}`))["operationState"])
	assert.Equal(t, "NOT_INSTANTIATED", info(t, s, id)["instantiationState"])
	assert.NotContains(t, info(t, s, id), "instantiatedVnfInfo")
	assert.Equal(t, 204, send(t, s, v2("DELETE", "/vnflcm/v2/vnf_instances/"+id, "")).status)
	assert.Equal(t, 404, send(t, s, v2("GET", "/vnflcm/v2/vnf_instances/"+id, "")).status)
	assert.Equal(t, "NOT_IN_USE", send(t, s, req{method: "GET", path: "/vnfpkgm/v1/vnf_packages/" + s.Packages()[0].ID}).obj()["usageState"])
}

// A FAILED_TEMP operation keeps its error and blocks the instance, even
// its deletion, until an operator marks it failed (or rolls it back).
func TestLcmFailure(t *testing.T) {
	s := fast(t)
	id := instance(t, s)
	stackFailed := &ProblemDetails{Status: 422, Title: "Stack operation failed", Detail: "Resource CREATE failed: workerNode: quota exceeded"}
	s.FailOperation = func(inst, op string) *ProblemDetails {
		if inst == id && op == "INSTANTIATE" {
			return stackFailed
		}
		return nil
	}
	op := finished(t, s, begin(t, s, id, "instantiate", `{"flavourId": "simple"}`))
	assert.Equal(t, "FAILED_TEMP", op["operationState"])
	assert.Equal(t, map[string]any{"status": float64(422), "title": "Stack operation failed", "detail": stackFailed.Detail}, op["error"])
	assert.Equal(t, "NOT_INSTANTIATED", info(t, s, id)["instantiationState"])

	r := send(t, s, v2("DELETE", "/vnflcm/v2/vnf_instances/"+id, ""))
	assert.Equal(t, 409, r.status)
	assert.Contains(t, r.obj()["detail"], "Other LCM operation of vnfInstance "+id+" is in progress")
	assert.Equal(t, 409, send(t, s, v2("POST", "/vnflcm/v2/vnf_instances/"+id+"/instantiate", `{"flavourId": "simple"}`)).status)

	r = send(t, s, v2("POST", "/vnflcm/v2/vnf_lcm_op_occs/"+op["id"].(string)+"/fail", ""))
	require.Equal(t, 200, r.status, "%v", r.body)
	assert.Equal(t, "FAILED", r.obj()["operationState"])
	assert.Equal(t, 409, send(t, s, v2("POST", "/vnflcm/v2/vnf_lcm_op_occs/"+op["id"].(string)+"/fail", "")).status, "only FAILED_TEMP")

	// What the conductor finds wrong fails the operation, not the request.
	s.FailOperation = nil
	op = finished(t, s, begin(t, s, id, "instantiate", `{"flavourId": "complex"}`))
	assert.Equal(t, "FAILED_TEMP", op["operationState"])
	assert.Contains(t, op["error"].(map[string]any)["detail"], "FlavourId complex not found in the vnfd")
	require.Equal(t, 200, send(t, s, v2("POST", "/vnflcm/v2/vnf_lcm_op_occs/"+op["id"].(string)+"/fail", "")).status)
	op = finished(t, s, begin(t, s, id, "instantiate", `{"flavourId": "simple", "instantiationLevelId": "huge"}`))
	assert.Contains(t, op["error"].(map[string]any)["detail"], "InstantiationLevelId huge not found")
	require.Equal(t, 200, send(t, s, v2("POST", "/vnflcm/v2/vnf_lcm_op_occs/"+op["id"].(string)+"/fail", "")).status)

	assert.Equal(t, "COMPLETED", finished(t, s, begin(t, s, id, "instantiate", `{"flavourId": "simple", "instantiationLevelId": "`+SampleLevelBig+`"}`))["operationState"])
	assert.Len(t, vnfcs(info(t, s, id), SampleWorker), 4, "the level puts the aspect at 3")
}

func TestLcmRefusals(t *testing.T) {
	s := fast(t)
	id := instance(t, s)
	base := "/vnflcm/v2/vnf_instances/"
	noVersion := v2("GET", base+id, "")
	noVersion.version = ""
	oldVersion := v2("GET", base+id, "")
	oldVersion.version = "1.3.0"
	xml := v2("POST", base, `{"vnfdId": "vnfd-lcm"}`)
	xml.ct = "application/xml"
	for _, c := range []struct {
		name   string
		q      req
		status int
		detail string
	}{
		{"no Version", noVersion, 400, "'Version' HTTP header missing."},
		{"old Version", oldVersion, 406, "Version 1.3.0 not supported."},
		{"xml", xml, 415, "Content-Type"},
		{"no vnfdId", v2("POST", base, `{"vnfInstanceName": "x"}`), 400, "'vnfdId' is a required property"},
		{"unknown vnfdId", v2("POST", base, `{"vnfdId": "nope"}`), 422, "VnfPackage of vnfdId nope is not found"},
		{"unknown key", v2("POST", base, `{"vnfdId": "vnfd-lcm", "name": "x"}`), 400, "unknown property 'name'"},
		{"long name", v2("POST", base, `{"vnfdId": "vnfd-lcm", "vnfInstanceName": "`+strings.Repeat("n", 256)+`"}`), 400, "too long"},
		{"unknown instance", v2("GET", base+"nope", ""), 404, "VnfInstance nope not found."},
		{"no flavourId", v2("POST", base+id+"/instantiate", `{}`), 400, "'flavourId' is a required property"},
		{"empty flavourId", v2("POST", base+id+"/instantiate", `{"flavourId": ""}`), 400, "too short"},
		{"number in additionalParams", v2("POST", base+id+"/instantiate", `{"flavourId": "simple", "additionalParams": {"workers": 3}}`), 400, "additionalParams.workers: 3 is not valid"},
		{"vim without vimType", v2("POST", base+id+"/instantiate", `{"flavourId": "simple", "vimConnectionInfo": {"vim1": {"accessInfo": {}}}}`), 400, "'vimType' is a required property"},
		{"ext link without extCps", v2("POST", base+id+"/instantiate", `{"flavourId": "simple", "extVirtualLinks": [{"id": "l", "resourceId": "net"}]}`), 400, "'extCps' is a required property"},
		{"ext link misspelt", v2("POST", base+id+"/instantiate", `{"flavourId": "simple", "extVirtualLinks": [{"id": "l", "resourceId": "net", "extCps": [{"cpdId": "CP1", "cpConfig": {"c": {"cpProtocolData": [{"layerProtocol": "IP_OVER_ETHERNET", "ipOverEthernet": {"ipAdresses": []}}]}}}]}]}`), 400, "unknown property 'ipAdresses'"},
		{"scale before instantiate", v2("POST", base+id+"/scale", `{"type": "SCALE_OUT", "aspectId": "worker_scale"}`), 409, "isn't instantiated"},
		{"scale sideways", v2("POST", base+id+"/scale", `{"type": "SCALE_UP", "aspectId": "worker_scale"}`), 400, "not one of"},
		{"zero steps", v2("POST", base+id+"/scale", `{"type": "SCALE_OUT", "aspectId": "worker_scale", "numberOfSteps": 0}`), 400, "less than the minimum of 1"},
		{"terminate without type", v2("POST", base+id+"/terminate", `{}`), 400, "'terminationType' is a required property"},
		{"heal ids not a list", v2("POST", base+id+"/heal", `{"vnfcInstanceId": "VDU1-x"}`), 400, "is not of type 'array'"},
		{"unknown action", v2("POST", base+id+"/reboot", `{}`), 404, "could not be found"},
		{"wrong method", v2("PUT", base+id, `{}`), 405, "PUT"},
		{"unknown operation", v2("GET", "/vnflcm/v2/vnf_lcm_op_occs/nope", ""), 404, "VnfLcmOpOcc nope not found."},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, s, c.q)
			assert.Equal(t, c.status, r.status, "%v", r.body)
			assert.Equal(t, "application/problem+json", r.ct)
			assert.Equal(t, float64(c.status), r.obj()["status"])
			assert.Contains(t, r.obj()["detail"], c.detail)
		})
	}
	assert.Empty(t, s.OpOccs(), "nothing refused started an operation")

	// A disabled package takes no new instance.
	pkg := s.Packages()[0].ID
	require.Equal(t, 200, send(t, s, req{method: "PATCH", path: "/vnfpkgm/v1/vnf_packages/" + pkg, ct: "application/json",
		body: jsonBody(`{"operationalState": "DISABLED"}`)}).status)
	r := send(t, s, v2("POST", base, `{"vnfdId": "vnfd-lcm"}`))
	assert.Equal(t, 422, r.status)
	assert.Contains(t, r.obj()["detail"], "VnfId vnfd-lcm not ENABLED.")
	r = send(t, s, req{method: "DELETE", path: "/vnfpkgm/v1/vnf_packages/" + pkg})
	assert.Equal(t, 409, r.status, "in use by the instance")
	assert.Contains(t, r.obj()["conflictingRequest"].(map[string]any)["message"], "usage state is IN_USE")
}

// Where Tacker's [v2_vnfm] endpoint is set, Location follows it.
func TestLocationFollowsTheConfiguredEndpoint(t *testing.T) {
	s := New(tok)
	s.Endpoint = "https://tacker.example:9890/"
	s.OnboardingDelay = time.Millisecond
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
	require.Equal(t, "ONBOARDED", onboard(t, s, SampleCSAR("vnfd-ep")).OnboardingState)
	r := send(t, s, v2("POST", "/vnflcm/v2/vnf_instances", `{"vnfdId": "vnfd-ep"}`))
	require.Equal(t, 201, r.status)
	assert.Equal(t, "https://tacker.example:9890/vnflcm/v2/vnf_instances/"+r.obj()["id"].(string), r.location)
}
