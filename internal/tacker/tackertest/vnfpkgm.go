package tackertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Package is a VNF package as Tacker holds it.
type Package struct {
	ID               string
	OnboardingState  string // CREATED, UPLOADING, PROCESSING, ONBOARDED
	OperationalState string // DISABLED, ENABLED
	UserDefinedData  map[string]any
	Content          []byte // the uploaded CSAR
	VNFD             *VNFD  // once ONBOARDED
	// Refusal is why the conductor put an upload back to CREATED: what
	// Tacker writes only to its log.
	Refusal   string
	CreatedAt time.Time
}

// Package is a copy of the stored package.
func (s *Server) Package(id string) (Package, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.packages[id]
	if !ok {
		return Package{}, false
	}
	return *p, true
}

// Packages are copies of every stored package, oldest first.
func (s *Server) Packages() []Package {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Package
	for _, p := range s.packages {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// MutatePackage changes a stored package behind the API, as another
// operator would: drift for a refresh to find.
func (s *Server) MutatePackage(id string, f func(*Package)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.packages[id]
	if ok {
		f(p)
	}
	return ok
}

// pkgFault is the body tacker/wsgi.py's Fault makes of the vnfpkgm API's
// webob exceptions: {"itemNotFound": {"code": 404, "message": ...}}.
func pkgFault(w http.ResponseWriter, status int, format string, args ...any) {
	name := map[int]string{
		http.StatusBadRequest: "badRequest", http.StatusNotFound: "itemNotFound",
		http.StatusMethodNotAllowed: "badMethod", http.StatusConflict: "conflictingRequest",
		http.StatusUnsupportedMediaType: "badMediaType",
	}[status]
	writeJSON(w, status, map[string]any{name: map[string]any{"code": status, "message": fmt.Sprintf(format, args...)}})
}

// uploadProblem is how the upload of package content refuses: a
// ProblemDetails of its own making (_make_problem_detail).
func uploadProblem(w http.ResponseWriter, status int, title, format string, args ...any) {
	writeTyped(w, status, "application/problem+json", map[string]any{"title": title, "status": status, "detail": fmt.Sprintf(format, args...)})
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// servePackages routes vnfpkgm/v1/vnf_packages[/{id}[/package_content]].
func (s *Server) servePackages(w http.ResponseWriter, r *http.Request, parts []string, body []byte) {
	if len(parts) == 0 || parts[0] != "vnf_packages" || len(parts) > 3 || (len(parts) == 3 && parts[2] != "package_content") {
		pkgFault(w, http.StatusNotFound, "The resource could not be found.")
		return
	}
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		s.listPackages(w)
	case len(parts) == 1 && r.Method == http.MethodPost:
		s.createPackage(w, r, body)
	case len(parts) == 2 && r.Method == http.MethodGet:
		s.showPackage(w, parts[1])
	case len(parts) == 2 && r.Method == http.MethodPatch:
		s.patchPackage(w, r, parts[1], body)
	case len(parts) == 2 && r.Method == http.MethodDelete:
		s.deletePackage(w, parts[1])
	case len(parts) == 3 && r.Method == http.MethodPut:
		s.uploadPackage(w, r, parts[1], body)
	default:
		pkgFault(w, http.StatusMethodNotAllowed, "The method %s is not allowed for this resource.", r.Method)
	}
}

// decodeBody checks the content type and the body against its schema.
func decodeBody(r *http.Request, body []byte, sh shape, types ...string) (map[string]any, string) {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if !slices.Contains(types, strings.TrimSpace(ct)) {
		return nil, fmt.Sprintf("Content-Type %q is not one of %s", ct, strings.Join(types, ", "))
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&v); err != nil {
		return nil, "Malformed request body: " + err.Error()
	}
	if e := sh.check("body", v); e != "" {
		return nil, e
	}
	return v.(map[string]any), ""
}

func (s *Server) createPackage(w http.ResponseWriter, r *http.Request, body []byte) {
	in, e := decodeBody(r, body, createPackageRequest, "application/json")
	if e != "" {
		status := http.StatusBadRequest
		if strings.HasPrefix(e, "Content-Type") {
			status = http.StatusUnsupportedMediaType
		}
		pkgFault(w, status, "%s", e)
		return
	}
	p := &Package{ID: newID(), OnboardingState: "CREATED", OperationalState: "DISABLED", UserDefinedData: map[string]any{}, CreatedAt: time.Now()}
	if ud, ok := in["userDefinedData"].(map[string]any); ok {
		p.UserDefinedData = ud
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packages == nil {
		s.packages = map[string]*Package{}
	}
	s.packages[p.ID] = p
	w.Header().Set("Location", "/vnfpkgm/v1/vnf_packages/"+p.ID)
	writeJSON(w, http.StatusCreated, s.packageView(p))
}

// listPackages is GET vnf_packages without filters, as `openstack vnf
// package list` asks it (Tacker's default excludes no field it shows).
func (s *Server) listPackages(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, id := range slices.Sorted(maps.Keys(s.packages)) {
		out = append(out, s.packageView(s.packages[id]))
	}
	writeJSON(w, http.StatusOK, out)
}

// lookupPackage is the package of a path id; Tacker answers 404 alike for
// an id that is not a UUID and for one it does not hold.
func (s *Server) lookupPackage(id string) (*Package, bool) {
	p, ok := s.packages[id]
	return p, ok && uuidRE.MatchString(id)
}

// packageOr404 is lookupPackage for the vnfpkgm API, answering its 404
// when there is no such package.
func (s *Server) packageOr404(w http.ResponseWriter, id string) (*Package, bool) {
	p, ok := s.lookupPackage(id)
	if !ok {
		pkgFault(w, http.StatusNotFound, "Can not find requested vnf package: %s", id)
	}
	return p, ok
}

func (s *Server) showPackage(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.packageOr404(w, id)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, s.packageView(p))
}

// patchPackage follows VnfPkgmController.patch: operationalState only of
// an ONBOARDED package and only to the other state, userDefinedData
// merged key by key.
func (s *Server) patchPackage(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	in, e := decodeBody(r, body, patchPackageRequest, "application/json")
	if e == "" && in["operationalState"] == nil && in["userDefinedData"] == nil {
		e = "body: {} is not valid under any of the given schemas (operationalState or userDefinedData is required)"
	}
	if e != "" {
		pkgFault(w, http.StatusBadRequest, "%s", e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.packageOr404(w, id)
	if !ok {
		return
	}
	out := map[string]any{}
	ud, _ := in["userDefinedData"].(map[string]any)
	if st, ok := in["operationalState"].(string); ok {
		switch {
		case p.OnboardingState == "ONBOARDED" && p.OperationalState == st:
			pkgFault(w, http.StatusConflict, "VNF Package %s is already in %s operational state", id, st)
			return
		case p.OnboardingState == "ONBOARDED":
			p.OperationalState = st
			out["operationalState"] = st
		case len(ud) == 0:
			pkgFault(w, http.StatusBadRequest, "Updating operational state is not allowed for VNF Package %s when onboarding state is not ONBOARDED", id)
			return
		}
	}
	if ud != nil {
		changed := map[string]any{}
		for k, v := range ud {
			if old, ok := p.UserDefinedData[k]; !ok || fmt.Sprint(old) != fmt.Sprint(v) {
				changed[k] = v
			}
		}
		if len(changed) == 0 {
			pkgFault(w, http.StatusConflict, "The userDefinedData provided in update request is as the existing userDefinedData of vnf package %s. Nothing to update.", id)
			return
		}
		for k, v := range changed {
			p.UserDefinedData[k] = v
		}
		out["userDefinedData"] = changed
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deletePackage(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.packageOr404(w, id)
	if !ok {
		return
	}
	if usage := s.usageState(p); p.OperationalState == "ENABLED" || usage == "IN_USE" {
		pkgFault(w, http.StatusConflict, "VNF Package %s cannot be deleted as it's operational state is %s and usage state is %s.",
			id, p.OperationalState, usage)
		return
	}
	delete(s.packages, id)
	w.WriteHeader(http.StatusNoContent)
}

// uploadPackage stores the CSAR and answers 202, whatever it holds. The
// conductor validates it later: the package becomes ONBOARDED and
// ENABLED, or silently falls back to CREATED.
func (s *Server) uploadPackage(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	if ct := r.Header.Get("Content-Type"); ct != "application/zip" {
		pkgFault(w, http.StatusUnsupportedMediaType, "Unsupported Content-Type %q: the package content is application/zip", ct)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.lookupPackage(id)
	if !ok {
		uploadProblem(w, http.StatusNotFound, "Not Found", "Can not find requested vnf package: %s", id)
		return
	}
	if p.OnboardingState != "CREATED" {
		uploadProblem(w, http.StatusConflict, "Conflict", "VNF Package %s onboarding state is not CREATED", id)
		return
	}
	p.OnboardingState, p.Content, p.Refusal = "UPLOADING", body, ""
	half := s.delay(s.OnboardingDelay) / 2
	s.later(half, func() {
		if p.OnboardingState == "UPLOADING" {
			p.OnboardingState = "PROCESSING"
		}
	})
	s.later(2*half, func() { s.onboard(p) })
	w.WriteHeader(http.StatusAccepted)
}

// onboard is the conductor's validation, under the lock.
func (s *Server) onboard(p *Package) {
	if _, still := s.packages[p.ID]; !still {
		return
	}
	vnfd, err := inspectCSAR(p.Content)
	if err == nil {
		for _, o := range s.packages {
			if o != p && o.VNFD != nil && o.VNFD.ID == vnfd.ID {
				err = fmt.Errorf("(pymysql.err.IntegrityError) Duplicate entry '%s' for key 'vnfd_id'", vnfd.ID)
			}
		}
	}
	if err != nil {
		p.OnboardingState, p.Refusal = "CREATED", err.Error()
		return
	}
	p.VNFD, p.OnboardingState, p.OperationalState = vnfd, "ONBOARDED", "ENABLED"
}

// usageState is IN_USE while an instance of the package's VNFD exists.
func (s *Server) usageState(p *Package) string {
	if p.VNFD != nil {
		for _, in := range s.instances {
			if in.VnfdID == p.VNFD.ID {
				return "IN_USE"
			}
		}
	}
	return "NOT_IN_USE"
}

// packageView is the VnfPkgInfo Tacker answers with.
func (s *Server) packageView(p *Package) map[string]any {
	self := "/vnfpkgm/v1/vnf_packages/" + p.ID
	out := map[string]any{
		"id": p.ID, "onboardingState": p.OnboardingState, "operationalState": p.OperationalState,
		"usageState": s.usageState(p), "userDefinedData": p.UserDefinedData,
		"_links": map[string]any{
			"self": map[string]any{"href": self}, "packageContent": map[string]any{"href": self + "/package_content"},
			"vnfd": map[string]any{"href": self + "/vnfd"},
		},
	}
	if v := p.VNFD; v != nil {
		out["vnfdId"], out["vnfProvider"], out["vnfProductName"] = v.ID, v.Provider, v.ProductName
		out["vnfSoftwareVersion"], out["vnfdVersion"] = v.SoftwareVersion, v.Version
		out["softwareImages"] = []any{}
	}
	return out
}
