package tackertest

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Instance is a VNF instance as Tacker holds it.
type Instance struct {
	ID, Name, Description, VnfdID string
	State                         string // NOT_INSTANTIATED, INSTANTIATED
	VimConnectionInfo             map[string]any
	FlavourID                     string
	Levels                        map[string]int // aspect -> scale level
	VNFCs                         []VNFC
	VNFD                          *VNFD
	CreatedAt                     time.Time
	// ConfigurableProperties is the instance's vnfConfigurableProperties:
	// nil until an instantiation or a modification sets some.
	ConfigurableProperties map[string]any
}

// VNFC is one VNFC and the Nova server that Heat made for it; heal and
// scale make new servers, with new ids.
type VNFC struct {
	ServerID, VduID, VimConnectionID string
}

// InfoID is the VNFC's vnfcInfo id, what heal's vnfcInstanceId names.
func (v VNFC) InfoID() string { return v.VduID + "-" + v.ServerID }

// OpOcc is an LCM operation occurrence.
type OpOcc struct {
	ID, InstanceID, Operation, State string
	Params                           map[string]any
	Error                            *ProblemDetails
	StartTime, EnteredTime           time.Time
}

// ProblemDetails is the error body of the SOL APIs, and an operation's
// error.
type ProblemDetails struct {
	Status int    `json:"status"`
	Title  string `json:"title,omitempty"`
	Detail string `json:"detail"`
}

// Instance is a copy of the stored instance.
func (s *Server) Instance(id string) (Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[id]
	if !ok {
		return Instance{}, false
	}
	c := *in
	c.VNFCs = slices.Clone(in.VNFCs)
	c.ConfigurableProperties = maps.Clone(in.ConfigurableProperties)
	return c, true
}

// Instances are copies of every stored instance, oldest first.
func (s *Server) Instances() []Instance {
	s.mu.Lock()
	var ids []string
	for id := range s.instances {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	var out []Instance
	for _, id := range ids {
		if in, ok := s.Instance(id); ok {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// MutateInstance changes a stored instance behind the API, as another
// operator's scale would; its VNFCs follow the new scale levels.
func (s *Server) MutateInstance(id string, f func(*Instance)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[id]
	if ok {
		f(in)
		resize(in)
	}
	return ok
}

// OpOccs are copies of every operation occurrence, oldest first.
func (s *Server) OpOccs() []OpOcc {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []OpOcc
	for _, o := range s.opOccs {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartTime.Before(out[j].StartTime) })
	return out
}

func problem(w http.ResponseWriter, status int, format string, args ...any) {
	writeTyped(w, status, "application/problem+json", ProblemDetails{
		Status: status, Title: http.StatusText(status), Detail: fmt.Sprintf(format, args...),
	})
}

// serveLcm routes vnflcm/v2: vnf_instances[/{id}[/{action}]] and
// vnf_lcm_op_occs/{id}[/fail], every request with Version: 2.0.0.
func (s *Server) serveLcm(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	switch v := r.Header.Get("Version"); {
	case v == "":
		problem(w, http.StatusBadRequest, "'Version' HTTP header missing.")
		return
	case v != "2.0.0":
		problem(w, http.StatusNotAcceptable, "Version %s not supported.", v)
		return
	}
	// The route with the id as a placeholder: vnf_instances/{id}/scale.
	route, id := strings.Join(parts, "/"), ""
	if len(parts) > 1 {
		id = parts[1]
		route = strings.Join(append([]string{parts[0], "{id}"}, parts[2:]...), "/")
	}
	action := func(sh shape, do func(*Instance, map[string]any) (string, *ProblemDetails)) {
		s.operate(w, r, id, body, parts[2], sh, do)
	}
	switch r.Method + " " + route {
	case "POST vnf_instances":
		s.createInstance(w, r, body)
	case "GET vnf_instances":
		listAll(s, w, func() map[string]*Instance { return s.instances }, s.instanceView)
	case "GET vnf_instances/{id}":
		showOne(s, w, func() map[string]*Instance { return s.instances }, id, "VnfInstance", s.instanceView)
	case "DELETE vnf_instances/{id}":
		s.deleteInstance(w, id)
	case "PATCH vnf_instances/{id}":
		s.modifyInstance(w, r, id, body)
	case "POST vnf_instances/{id}/instantiate":
		action(instantiateVnfRequest, s.startInstantiate)
	case "POST vnf_instances/{id}/scale":
		action(scaleVnfRequest, s.startScale)
	case "POST vnf_instances/{id}/heal":
		action(healVnfRequest, s.startHeal)
	case "POST vnf_instances/{id}/terminate":
		action(terminateVnfRequest, s.startTerminate)
	case "GET vnf_lcm_op_occs":
		listAll(s, w, func() map[string]*OpOcc { return s.opOccs }, s.opOccView)
	case "GET vnf_lcm_op_occs/{id}":
		showOne(s, w, func() map[string]*OpOcc { return s.opOccs }, id, "VnfLcmOpOcc", s.opOccView)
	case "POST vnf_lcm_op_occs/{id}/fail":
		s.failOpOcc(w, id)
	default:
		if slices.Contains([]string{"vnf_instances", "vnf_instances/{id}", "vnf_instances/{id}/instantiate",
			"vnf_instances/{id}/scale", "vnf_instances/{id}/heal", "vnf_instances/{id}/terminate",
			"vnf_lcm_op_occs", "vnf_lcm_op_occs/{id}", "vnf_lcm_op_occs/{id}/fail"}, route) {
			problem(w, http.StatusMethodNotAllowed, "Method %s is not supported.", r.Method)
			return
		}
		problem(w, http.StatusNotFound, "The resource could not be found.")
	}
}

// sol decodes a v2 body; Tacker takes application/json or text/plain, and
// for the modification also application/merge-patch+json
// (allowed_content_types of its vnflcm_v2 controller).
func sol(w http.ResponseWriter, r *http.Request, body []byte, sh shape, types ...string) (map[string]any, bool) {
	in, e := decodeBody(r, body, sh, append(types, "application/json", "text/plain")...)
	switch {
	case strings.HasPrefix(e, "Content-Type"):
		problem(w, http.StatusUnsupportedMediaType, "%s", e)
	case e != "":
		problem(w, http.StatusBadRequest, "%s", e)
	}
	return in, e == ""
}

func (s *Server) href(parts ...string) string {
	ep := s.Endpoint
	if ep == "" {
		ep = tackerDefaultEndpoint
	}
	return strings.TrimSuffix(ep, "/") + "/vnflcm/v2/" + strings.Join(parts, "/")
}

func (s *Server) createInstance(w http.ResponseWriter, r *http.Request, body []byte) {
	in, ok := sol(w, r, body, createVnfRequest)
	if !ok {
		return
	}
	vnfdID := in["vnfdId"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	var pkg *Package
	for _, p := range s.packages {
		if p.VNFD != nil && p.VNFD.ID == vnfdID {
			pkg = p
		}
	}
	switch {
	case pkg == nil:
		problem(w, http.StatusUnprocessableEntity, "VnfPackage of vnfdId %s is not found or not operational.", vnfdID)
		return
	case pkg.OperationalState != "ENABLED":
		problem(w, http.StatusUnprocessableEntity, "VnfId %s not ENABLED.", vnfdID)
		return
	}
	inst := &Instance{ID: newID(), VnfdID: vnfdID, State: "NOT_INSTANTIATED", VNFD: pkg.VNFD, CreatedAt: time.Now()}
	inst.Name, _ = in["vnfInstanceName"].(string)
	inst.Description, _ = in["vnfInstanceDescription"].(string)
	if s.instances == nil {
		s.instances = map[string]*Instance{}
	}
	s.instances[inst.ID] = inst
	w.Header().Set("Location", s.href("vnf_instances", inst.ID))
	writeJSON(w, http.StatusCreated, s.instanceView(inst))
}

// busy is Tacker's check_lcmocc_in_progress (an operation left FAILED_TEMP
// blocks the instance until it is rolled back or failed), and its lock of
// the instance while one runs.
func (s *Server) busy(id string) bool {
	for _, o := range s.opOccs {
		if o.InstanceID == id && slices.Contains([]string{"STARTING", "PROCESSING", "ROLLING_BACK", "FAILED_TEMP"}, o.State) {
			return true
		}
	}
	return false
}

func (s *Server) deleteInstance(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, ok := s.instances[id]
	switch {
	case !ok:
		problem(w, http.StatusNotFound, "VnfInstance %s not found.", id)
	case inst.State != "NOT_INSTANTIATED":
		problem(w, http.StatusConflict, "VnfInstance %s is instantiated.", id)
	case s.busy(id):
		problem(w, http.StatusConflict, "Other LCM operation of vnfInstance %s is in progress.", id)
	default:
		delete(s.instances, id)
		w.WriteHeader(http.StatusNoContent)
	}
}

// operate is what the controller does for every LCM operation: check the
// body and the instance's state, record a STARTING operation occurrence,
// answer 202 with its Location, and leave the work to the conductor: the
// occurrence is PROCESSING, then COMPLETED with the instance changed, or
// FAILED_TEMP with an error and the instance as it was.
func (s *Server) operate(w http.ResponseWriter, r *http.Request, id string, body []byte, action string, sh shape,
	start func(*Instance, map[string]any) (string, *ProblemDetails)) {
	in, ok := sol(w, r, body, sh)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, ok := s.instances[id]
	switch {
	case !ok:
		problem(w, http.StatusNotFound, "VnfInstance %s not found.", id)
		return
	case action == "instantiate" && inst.State != "NOT_INSTANTIATED":
		problem(w, http.StatusConflict, "VnfInstance %s is instantiated.", id)
		return
	case action != "instantiate" && inst.State != "INSTANTIATED":
		problem(w, http.StatusConflict, "VnfInstance %s isn't instantiated.", id)
		return
	case s.busy(id):
		problem(w, http.StatusConflict, "Other LCM operation of vnfInstance %s is in progress.", id)
		return
	}
	operation, p := start(inst, in)
	if p != nil {
		problem(w, p.Status, "%s", p.Detail)
		return
	}
	op := s.record(w, id, operation, "STARTING", in)
	half := s.delay(s.OperationDelay) / 2
	// The two timers may fire out of order on a busy machine: an
	// operation already ended stays ended.
	s.later(half, func() {
		if op.State == "STARTING" {
			op.State, op.EnteredTime = "PROCESSING", time.Now()
		}
	})
	s.later(2*half, func() { s.conduct(op) })
}

// record stores a new operation occurrence, under the lock, and answers
// 202 with its Location and no body.
func (s *Server) record(w http.ResponseWriter, id, operation, state string, params map[string]any) *OpOcc {
	now := time.Now()
	op := &OpOcc{ID: newID(), InstanceID: id, Operation: operation, State: state, Params: params, StartTime: now, EnteredTime: now}
	if s.opOccs == nil {
		s.opOccs = map[string]*OpOcc{}
	}
	s.opOccs[op.ID] = op
	w.Header().Set("Location", s.href("vnf_lcm_op_occs", op.ID))
	w.WriteHeader(http.StatusAccepted)
	return op
}

// modifyInstance is PATCH vnf_instances/{id}: Tacker's controller checks
// the body and that no operation runs, records a MODIFY_INFO occurrence
// already PROCESSING (there is no grant to wait for) and leaves the merge
// to the conductor (modify_info_process). An instance need not be
// instantiated.
func (s *Server) modifyInstance(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	in, ok := sol(w, r, body, vnfInfoModificationRequest, "application/merge-patch+json")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch _, ok := s.instances[id]; {
	case !ok:
		problem(w, http.StatusNotFound, "VnfInstance %s not found.", id)
		return
	case s.busy(id):
		problem(w, http.StatusConflict, "Other LCM operation of vnfInstance %s is in progress.", id)
		return
	}
	op := s.record(w, id, "MODIFY_INFO", "PROCESSING", in)
	s.later(s.OperationDelay, func() { s.conduct(op) })
}

// conduct ends an operation, under the lock.
func (s *Server) conduct(op *OpOcc) {
	inst, ok := s.instances[op.InstanceID]
	var p *ProblemDetails
	switch {
	case !ok:
		p = &ProblemDetails{Status: 404, Title: "Not Found", Detail: fmt.Sprintf("VnfInstance %s not found.", op.InstanceID)}
	case s.FailOperation != nil:
		p = s.FailOperation(op.InstanceID, op.Operation)
	}
	if p == nil {
		p = s.finish(inst, op)
	}
	op.EnteredTime = time.Now()
	if p != nil {
		op.State, op.Error = "FAILED_TEMP", p
		return
	}
	op.State = "COMPLETED"
}

// finish changes the instance as the operation asks, or says why the
// conductor could not: what Tacker checks only once the work has begun.
func (s *Server) finish(inst *Instance, op *OpOcc) *ProblemDetails {
	switch op.Operation {
	case "INSTANTIATE":
		flavourID, _ := op.Params["flavourId"].(string)
		f, ok := inst.VNFD.Flavours[flavourID]
		if !ok {
			return &ProblemDetails{Status: 400, Title: "Bad Request", Detail: fmt.Sprintf("FlavourId %s not found in the vnfd.", flavourID)}
		}
		level, _ := op.Params["instantiationLevelId"].(string)
		if level == "" {
			level = f.DefaultLevel
		}
		levels, ok := f.Levels[level]
		if !ok && level != "" {
			return &ProblemDetails{Status: 400, Title: "Bad Request", Detail: fmt.Sprintf("InstantiationLevelId %s not found in the vnfd.", level)}
		}
		inst.Levels = map[string]int{}
		for aspect := range f.Aspects {
			inst.Levels[aspect] = levels[aspect]
		}
		inst.State, inst.FlavourID = "INSTANTIATED", flavourID
		inst.VimConnectionInfo, _ = op.Params["vimConnectionInfo"].(map[string]any)
		mergeProperties(inst, op.Params)
		resize(inst)
	case "SCALE":
		aspect := op.Params["aspectId"].(string)
		inst.Levels[aspect] += scaleSteps(op.Params)
		resize(inst)
	case "HEAL":
		ids := stringsOf(op.Params["vnfcInstanceId"])
		for i, v := range inst.VNFCs {
			if len(ids) == 0 || slices.Contains(ids, v.InfoID()) {
				inst.VNFCs[i].ServerID = newID()
			}
		}
	case "TERMINATE":
		// vnfConfigurableProperties stay: Tacker resets only what was
		// instantiated (terminate_process).
		inst.State, inst.FlavourID, inst.Levels, inst.VNFCs = "NOT_INSTANTIATED", "", nil, nil
	case "MODIFY_INFO":
		if name, ok := op.Params["vnfInstanceName"].(string); ok {
			inst.Name = name
		}
		if desc, ok := op.Params["vnfInstanceDescription"].(string); ok {
			inst.Description = desc
		}
		mergeProperties(inst, op.Params)
	}
	return nil
}

// mergeProperties merges a request's vnfConfigurableProperties into the
// instance's, key by key, as Tacker's _modify_from_req does on
// instantiation and modification.
func mergeProperties(inst *Instance, req map[string]any) {
	props, ok := req["vnfConfigurableProperties"].(map[string]any)
	if !ok {
		return
	}
	if inst.ConfigurableProperties == nil {
		inst.ConfigurableProperties = map[string]any{}
	}
	maps.Copy(inst.ConfigurableProperties, props)
}

// scaleSteps is the signed change of scale level a scale request asks.
func scaleSteps(req map[string]any) int {
	n := 1
	if f, ok := req["numberOfSteps"].(float64); ok {
		n = int(f)
	}
	if req["type"] == "SCALE_IN" {
		n = -n
	}
	return n
}

func (s *Server) startInstantiate(*Instance, map[string]any) (string, *ProblemDetails) {
	return "INSTANTIATE", nil
}

// startScale checks the aspect and the new level against the instance's
// scaleStatus and maxScaleLevels, as the controller does.
func (s *Server) startScale(inst *Instance, req map[string]any) (string, *ProblemDetails) {
	aspect := req["aspectId"].(string)
	level, ok := inst.Levels[aspect]
	if !ok {
		return "", &ProblemDetails{Status: 400, Detail: fmt.Sprintf("Invalid aspectId '%s'.", aspect)}
	}
	next := level + scaleSteps(req)
	if next < 0 || next > inst.VNFD.Flavours[inst.FlavourID].Aspects[aspect].MaxScaleLevel {
		n := scaleSteps(req)
		return "", &ProblemDetails{Status: 400, Detail: fmt.Sprintf("Invalid numberOfSteps '%d'.", max(n, -n))}
	}
	return "SCALE", nil
}

func (s *Server) startHeal(inst *Instance, req map[string]any) (string, *ProblemDetails) {
	for _, id := range stringsOf(req["vnfcInstanceId"]) {
		if !slices.ContainsFunc(inst.VNFCs, func(v VNFC) bool { return v.InfoID() == id }) {
			return "", &ProblemDetails{Status: 400, Detail: fmt.Sprintf("vnfcInstanceId(%s) does not exist.", id)}
		}
	}
	return "HEAL", nil
}

func (s *Server) startTerminate(*Instance, map[string]any) (string, *ProblemDetails) {
	return "TERMINATE", nil
}

// resize makes each VDU's VNFCs as many as its flavour says at the
// instance's scale levels: new servers at the end, the newest removed
// first on scale in, as Tacker's v2 OpenStack driver does.
func resize(inst *Instance) {
	if inst.State != "INSTANTIATED" || inst.VNFD == nil {
		return
	}
	f := inst.VNFD.Flavours[inst.FlavourID]
	vimID := "default"
	if keys := slices.Sorted(maps.Keys(inst.VimConnectionInfo)); len(keys) > 0 {
		vimID = keys[0]
	}
	var out []VNFC
	for _, vdu := range f.VDUs {
		want := f.Count(vdu, inst.Levels)
		for _, v := range inst.VNFCs {
			if v.VduID == vdu && want > 0 {
				out = append(out, v)
				want--
			}
		}
		for ; want > 0; want-- {
			out = append(out, VNFC{ServerID: newID(), VduID: vdu, VimConnectionID: vimID})
		}
	}
	inst.VNFCs = out
}

// instanceView is the VnfInstance Tacker answers with: vimConnectionInfo
// without the passwords (SOL003 4.4.1.6).
func (s *Server) instanceView(inst *Instance) map[string]any {
	out := map[string]any{
		"id": inst.ID, "vnfdId": inst.VnfdID, "vnfProvider": inst.VNFD.Provider, "vnfProductName": inst.VNFD.ProductName,
		"vnfSoftwareVersion": inst.VNFD.SoftwareVersion, "vnfdVersion": inst.VNFD.Version,
		"instantiationState": inst.State,
		"_links":             map[string]any{"self": map[string]any{"href": s.href("vnf_instances", inst.ID)}},
	}
	if inst.Name != "" {
		out["vnfInstanceName"] = inst.Name
	}
	if inst.Description != "" {
		out["vnfInstanceDescription"] = inst.Description
	}
	if inst.ConfigurableProperties != nil {
		out["vnfConfigurableProperties"] = maps.Clone(inst.ConfigurableProperties)
	}
	if len(inst.VimConnectionInfo) > 0 {
		vims := map[string]any{}
		for k, v := range inst.VimConnectionInfo {
			vim := map[string]any{}
			for kk, vv := range mapOf(v) {
				vim[kk] = vv
			}
			if access := mapOf(vim["accessInfo"]); access != nil {
				shown := map[string]any{}
				for kk, vv := range access {
					if kk != "password" {
						shown[kk] = vv
					}
				}
				vim["accessInfo"] = shown
			}
			vims[k] = vim
		}
		out["vimConnectionInfo"] = vims
	}
	if inst.State != "INSTANTIATED" {
		return out
	}
	f := inst.VNFD.Flavours[inst.FlavourID]
	var scale, maxLevels, resources, infos []any
	for _, aspect := range slices.Sorted(maps.Keys(f.Aspects)) {
		scale = append(scale, map[string]any{"aspectId": aspect, "scaleLevel": inst.Levels[aspect]})
		maxLevels = append(maxLevels, map[string]any{"aspectId": aspect, "scaleLevel": f.Aspects[aspect].MaxScaleLevel})
	}
	for _, v := range inst.VNFCs {
		resources = append(resources, map[string]any{
			"id": v.ServerID, "vduId": v.VduID,
			"computeResource": map[string]any{"vimConnectionId": v.VimConnectionID, "resourceId": v.ServerID, "vimLevelResourceType": "OS::Nova::Server"},
		})
		infos = append(infos, map[string]any{"id": v.InfoID(), "vduId": v.VduID, "vnfcResourceInfoId": v.ServerID, "vnfcState": "STARTED"})
	}
	info := map[string]any{"flavourId": inst.FlavourID, "vnfState": "STARTED"}
	if len(scale) > 0 {
		info["scaleStatus"], info["maxScaleLevels"] = scale, maxLevels
	}
	if len(resources) > 0 {
		info["vnfcResourceInfo"], info["vnfcInfo"] = resources, infos
	}
	out["instantiatedVnfInfo"] = info
	return out
}

// failOpOcc is POST .../fail: an operator gives up on a FAILED_TEMP
// operation, which frees the instance for other operations.
func (s *Server) failOpOcc(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op, ok := s.opOccs[id]
	switch {
	case !ok:
		problem(w, http.StatusNotFound, "VnfLcmOpOcc %s not found.", id)
	case op.State != "FAILED_TEMP":
		problem(w, http.StatusConflict, "LCM operation %s not FAILED_TEMP.", id)
	default:
		op.State, op.EnteredTime = "FAILED", time.Now()
		writeJSON(w, http.StatusOK, s.opOccView(op))
	}
}

func (s *Server) opOccView(op *OpOcc) map[string]any {
	out := map[string]any{
		"id": op.ID, "operationState": op.State, "operation": op.Operation, "vnfInstanceId": op.InstanceID,
		"startTime": op.StartTime.UTC().Format(time.RFC3339), "stateEnteredTime": op.EnteredTime.UTC().Format(time.RFC3339),
		"isAutomaticInvocation": false, "isCancelPending": false, "operationParams": op.Params,
		"_links": map[string]any{
			"self":        map[string]any{"href": s.href("vnf_lcm_op_occs", op.ID)},
			"vnfInstance": map[string]any{"href": s.href("vnf_instances", op.InstanceID)},
		},
	}
	if op.Error != nil {
		out["error"] = op.Error
	}
	return out
}

// listAll and showOne answer GET of a vnflcm collection and of one of its
// members, as Tacker does for instances and op occs alike; items is read
// under the server's lock.
func listAll[T any](s *Server, w http.ResponseWriter, items func() map[string]*T, view func(*T) map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	m := items()
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, view(m[id]))
	}
	writeJSON(w, http.StatusOK, out)
}

func showOne[T any](s *Server, w http.ResponseWriter, items func() map[string]*T, id, kind string, view func(*T) map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	item, ok := items()[id]
	if !ok {
		problem(w, http.StatusNotFound, "%s %s not found.", kind, id)
		return
	}
	writeJSON(w, http.StatusOK, view(item))
}
