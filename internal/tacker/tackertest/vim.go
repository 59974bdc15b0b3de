package tackertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Vim is a VIM as Tacker stores it, credentials in clear.
type Vim struct {
	ID, TenantID, Type, Name, Description, AuthURL string
	Project                                        map[string]any
	AuthCred                                       map[string]any
	IsDefault                                      bool
	Extra                                          map[string]any
	Status                                         string
	Regions                                        []string
	CreatedAt, UpdatedAt                           time.Time
}

// Vim is a copy of the stored VIM.
func (s *Server) Vim(id string) (Vim, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vims[id]
	if !ok {
		return Vim{}, false
	}
	return *v, true
}

// Vims are copies of every stored VIM, oldest first.
func (s *Server) Vims() []Vim {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Vim
	for _, v := range s.vims {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

// Mutate changes a stored VIM behind the API, as another operator's
// `openstack vim update` would: drift for a refresh to find.
func (s *Server) Mutate(id string, f func(*Vim)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vims[id]
	if ok {
		f(v)
	}
	return ok
}

// Remove deletes a VIM behind the API.
func (s *Server) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.vims[id]
	delete(s.vims, id)
	return ok
}

// The v1 API's attribute map of vims (tacker/extensions/nfvo.py), with the
// extra attribute of the Kubernetes VIM (use_helm).
var (
	vimPostable = []string{"tenant_id", "type", "auth_url", "auth_cred", "vim_project", "name", "description", "is_default", "extra"}
	vimPutable  = []string{"auth_cred", "vim_project", "name", "description", "is_default", "extra"}
	vimReadOnly = []string{"id", "status", "placement_attr", "shared", "created_at", "updated_at"}
	vimRequired = []string{"type", "auth_url", "auth_cred", "vim_project", "name"}
	// authCredKeys are what python-tackerclient puts in auth_cred of a
	// Kubernetes VIM; anything else is a client bug.
	authCredKeys = []string{"bearer_token", "ssl_ca_cert", "username", "password", "oidc_token_url", "client_id", "client_secret"}
)

const nameMaxLen = 255

type vimFault struct {
	status      int
	typ, detail string
	msg         string
}

func (f *vimFault) write(w http.ResponseWriter) {
	body := map[string]any{"TackerError": map[string]any{"type": f.typ, "message": f.msg, "detail": f.detail}}
	writeJSON(w, f.status, body)
}

func vimBadRequest(format string, args ...any) *vimFault {
	return &vimFault{status: http.StatusBadRequest, typ: "HTTPBadRequest", msg: fmt.Sprintf(format, args...)}
}

// decodeVim checks the envelope {"vim": {...}} and the attributes a method
// may carry, and returns the inner object.
func decodeVim(r *http.Request, body []byte, allowed []string, method string) (map[string]any, *vimFault) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return nil, &vimFault{status: http.StatusUnsupportedMediaType, typ: "InvalidContentType", msg: fmt.Sprintf("Invalid content type %s", ct)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var env map[string]any
	if err := dec.Decode(&env); err != nil {
		return nil, &vimFault{status: http.StatusBadRequest, typ: "MalformedRequestBody", msg: "Malformed request body: " + err.Error()}
	}
	vim, ok := env["vim"].(map[string]any)
	if !ok || len(env) != 1 {
		return nil, vimBadRequest("Unable to find 'vim' in request body")
	}
	var unknown []string
	for k := range vim {
		switch {
		case slices.Contains(allowed, k):
		case slices.Contains(vimReadOnly, k) || slices.Contains(vimPostable, k):
			if method == http.MethodPost {
				return nil, vimBadRequest("Attribute '%s' not allowed in POST", k)
			}
			return nil, vimBadRequest("Cannot update read-only attribute %s", k)
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, vimBadRequest("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	return vim, nil
}

// validateVim checks types and the Kubernetes VIM's own rules.
func validateVim(vim map[string]any, create bool) *vimFault {
	if create {
		for _, k := range vimRequired {
			if _, ok := vim[k]; !ok {
				return vimBadRequest("Failed to parse request. Required attribute '%s' not specified", k)
			}
		}
	}
	str := func(k string) (string, *vimFault) {
		v, ok := vim[k]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", vimBadRequest("Invalid input for %s. Reason: '%v' is not a valid string.", k, v)
		}
		return s, nil
	}
	dict := func(k string, notEmpty bool) (map[string]any, *vimFault) {
		v, ok := vim[k]
		if !ok {
			return nil, nil
		}
		d, ok := v.(map[string]any)
		if !ok || (notEmpty && len(d) == 0) {
			return nil, vimBadRequest("Invalid input for %s. Reason: '%v' is not a non-empty dictionary.", k, v)
		}
		return d, nil
	}
	for _, k := range []string{"tenant_id", "type", "auth_url", "name", "description"} {
		if _, f := str(k); f != nil {
			return f
		}
	}
	if name, _ := str("name"); len(name) > nameMaxLen {
		return vimBadRequest("Invalid input for name. Reason: '%s' exceeds maximum length of %d.", name, nameMaxLen)
	}
	if v, ok := vim["is_default"]; ok {
		if _, ok := v.(bool); !ok {
			return vimBadRequest("Invalid input for is_default. Reason: '%v' is not a valid boolean value.", v)
		}
	}
	if create {
		if typ, _ := str("type"); typ != "kubernetes" {
			return vimBadRequest("Invalid input for type. Reason: the stand-in registers kubernetes VIMs only, not %q.", typ)
		}
		u, err := url.Parse(vim["auth_url"].(string))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return vimBadRequest("Invalid input for auth_url. Reason: '%v' is not a URL.", vim["auth_url"])
		}
	}
	if _, f := dict("extra", false); f != nil {
		return f
	}
	if extra, _ := dict("extra", false); extra != nil {
		if v, ok := extra["use_helm"]; ok {
			if _, ok := v.(bool); !ok {
				return vimBadRequest("Invalid input for extra. Reason: use_helm '%v' is not a valid boolean value.", v)
			}
		}
	}
	project, f := dict("vim_project", true)
	if f != nil {
		return f
	}
	if project != nil {
		if n, _ := project["name"].(string); n == "" {
			return vimBadRequest("Invalid input for vim_project. Reason: name, the namespace, must be a non-empty string.")
		}
	}
	cred, f := dict("auth_cred", true)
	if f != nil {
		return f
	}
	if cred != nil {
		for k, v := range cred {
			if !slices.Contains(authCredKeys, k) {
				return vimBadRequest("Invalid input for auth_cred. Reason: unexpected key '%s'.", k)
			}
			if _, ok := v.(string); !ok {
				return vimBadRequest("Invalid input for auth_cred. Reason: %s is not a string.", k)
			}
		}
		tok, _ := cred["bearer_token"].(string)
		user, _ := cred["username"].(string)
		if tok == "" && user == "" {
			return vimBadRequest("Invalid input for auth_cred. Reason: bearer_token or username and password must be provided.")
		}
	}
	return nil
}

// registerVim does what Tacker's Kubernetes driver does before it stores a
// VIM: call the cluster with the credentials and list its namespaces.
func (s *Server) registerVim(v *Vim) *vimFault {
	if s.Cluster == nil {
		v.Regions = slices.Clone(DefaultNamespaces)
		return nil
	}
	tok, _ := v.AuthCred["bearer_token"].(string)
	ca, _ := v.AuthCred["ssl_ca_cert"].(string)
	ns, err := s.Cluster(v.AuthURL, tok, ca)
	if err != nil {
		return &vimFault{status: http.StatusInternalServerError, typ: "VimUnauthorizedException", msg: err.Error()}
	}
	v.Regions = ns
	return nil
}

func (s *Server) createVim(w http.ResponseWriter, r *http.Request, body []byte, tenant string) *vimFault {
	in, f := decodeVim(r, body, vimPostable, http.MethodPost)
	if f == nil {
		f = validateVim(in, true)
	}
	if f != nil {
		return f
	}
	now := time.Now().UTC()
	v := &Vim{
		ID: newID(), TenantID: tenant, Type: in["type"].(string), Name: in["name"].(string),
		AuthURL: in["auth_url"].(string), Project: in["vim_project"].(map[string]any),
		AuthCred: in["auth_cred"].(map[string]any), Status: "PENDING", CreatedAt: now,
	}
	if t, ok := in["tenant_id"].(string); ok && t != "" {
		v.TenantID = t
	}
	v.Description, _ = in["description"].(string)
	v.IsDefault, _ = in["is_default"].(bool)
	v.Extra, _ = in["extra"].(map[string]any)
	if f := s.registerVim(v); f != nil {
		return f
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.vimConflicts(v, ""); f != nil {
		return f
	}
	if s.vims == nil {
		s.vims = map[string]*Vim{}
	}
	s.vims[v.ID] = v
	writeJSON(w, http.StatusCreated, map[string]any{"vim": viewVim(v)})
	return nil
}

// vimConflicts applies Tacker's uniqueness: one name per tenant, one default.
func (s *Server) vimConflicts(v *Vim, self string) *vimFault {
	for id, o := range s.vims {
		if id == self {
			continue
		}
		if o.TenantID == v.TenantID && o.Name == v.Name {
			return &vimFault{status: http.StatusConflict, typ: "DuplicateEntity", msg: "vim already exist with given ['tenant_id', 'name', 'deleted_at']"}
		}
		if v.IsDefault && o.IsDefault && o.TenantID == v.TenantID {
			return &vimFault{status: http.StatusConflict, typ: "VimDefaultDuplicateException", msg: fmt.Sprintf("Default VIM already exists %s.", o.ID)}
		}
	}
	return nil
}

func vimNotFound(id string) *vimFault {
	return &vimFault{status: http.StatusNotFound, typ: "VimNotFoundException",
		msg: fmt.Sprintf("Specified VIM id %s is invalid. Please verify and pass a valid VIM id", id)}
}

func (s *Server) showVim(w http.ResponseWriter, id, tenant string) *vimFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vims[id]
	if !ok || v.TenantID != tenant {
		return vimNotFound(id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"vim": viewVim(v)})
	return nil
}

// listVims honours the filters python-tackerclient uses to find a VIM by name
// or id (?name=...&fields=id).
func (s *Server) listVims(w http.ResponseWriter, r *http.Request, tenant string) *vimFault {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []any{}
	for _, v := range s.vims {
		if v.TenantID != tenant {
			continue
		}
		if ids, ok := q["id"]; ok && !slices.Contains(ids, v.ID) {
			continue
		}
		if names, ok := q["name"]; ok && !slices.Contains(names, v.Name) {
			continue
		}
		full := viewVim(v)
		if fields := q["fields"]; len(fields) > 0 {
			part := map[string]any{}
			for _, k := range fields {
				if val, ok := full[k]; ok {
					part[k] = val
				}
			}
			full = part
		}
		out = append(out, full)
	}
	writeJSON(w, http.StatusOK, map[string]any{"vims": out})
	return nil
}

func (s *Server) updateVim(w http.ResponseWriter, r *http.Request, body []byte, id, tenant string) *vimFault {
	in, f := decodeVim(r, body, vimPutable, http.MethodPut)
	if f == nil {
		f = validateVim(in, false)
	}
	if f != nil {
		return f
	}
	// Tacker's update_vim reads both unconditionally.
	for _, k := range []string{"auth_cred", "vim_project"} {
		if _, ok := in[k]; !ok {
			return vimBadRequest("Failed to parse request. Required attribute '%s' not specified", k)
		}
	}

	s.mu.Lock()
	old, ok := s.vims[id]
	if !ok || old.TenantID != tenant {
		s.mu.Unlock()
		return vimNotFound(id)
	}
	v := *old
	s.mu.Unlock()

	v.AuthCred = in["auth_cred"].(map[string]any)
	v.Project = in["vim_project"].(map[string]any)
	if n, ok := in["name"].(string); ok {
		v.Name = n
	}
	if d, ok := in["description"].(string); ok {
		v.Description = d
	}
	if b, ok := in["is_default"].(bool); ok {
		v.IsDefault = b
	}
	if e, ok := in["extra"].(map[string]any); ok {
		v.Extra = e
	}
	if f := s.registerVim(&v); f != nil {
		return f
	}
	v.UpdatedAt = time.Now().UTC()

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.vims[id]; !ok {
		return vimNotFound(id)
	}
	if f := s.vimConflicts(&v, id); f != nil {
		return f
	}
	s.vims[id] = &v
	writeJSON(w, http.StatusOK, map[string]any{"vim": viewVim(&v)})
	return nil
}

func (s *Server) removeVim(w http.ResponseWriter, id, tenant string) *vimFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vims[id]
	if !ok || v.TenantID != tenant {
		return vimNotFound(id)
	}
	delete(s.vims, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// viewVim is what Tacker answers: credentials masked by oslo's
// mask_dict_password (any key holding "token", "password" or "secret"),
// the CA certificate encrypted, Barbican's key reference added.
func viewVim(v *Vim) map[string]any {
	cred := map[string]any{}
	for k, val := range v.AuthCred {
		switch {
		case strings.Contains(k, "token") || strings.Contains(k, "password") || strings.Contains(k, "secret"):
			cred[k] = "***"
		case k == "ssl_ca_cert":
			sum := sha256.Sum256([]byte(fmt.Sprint(val)))
			cred[k] = "gAAAAA" + base64.URLEncoding.EncodeToString(sum[:])
		default:
			cred[k] = val
		}
	}
	cred["key_type"] = "barbican_key"
	cred["secret_uuid"] = "***"
	out := map[string]any{
		"id": v.ID, "tenant_id": v.TenantID, "type": v.Type, "name": v.Name,
		"description": v.Description, "auth_url": v.AuthURL, "vim_project": v.Project,
		"auth_cred": cred, "is_default": v.IsDefault, "status": v.Status,
		"placement_attr": map[string]any{"regions": v.Regions},
		"created_at":     v.CreatedAt.Format("2006-01-02 15:04:05"),
		"updated_at":     nil,
	}
	if !v.UpdatedAt.IsZero() {
		out["updated_at"] = v.UpdatedAt.Format("2006-01-02 15:04:05")
	}
	if v.Extra != nil {
		out["extra"] = v.Extra
	}
	return out
}

// serveVims routes /v1.0/vims and /v1.0/vims/{id}.
func (s *Server) serveVims(w http.ResponseWriter, r *http.Request, parts []string, body []byte, tenant string) {
	var f *vimFault
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		f = s.listVims(w, r, tenant)
	case len(parts) == 2 && r.Method == http.MethodPost:
		f = s.createVim(w, r, body, tenant)
	case len(parts) == 3 && r.Method == http.MethodGet:
		f = s.showVim(w, parts[2], tenant)
	case len(parts) == 3 && r.Method == http.MethodPut:
		f = s.updateVim(w, r, body, parts[2], tenant)
	case len(parts) == 3 && r.Method == http.MethodDelete:
		f = s.removeVim(w, parts[2], tenant)
	default:
		f = &vimFault{status: http.StatusMethodNotAllowed, typ: "HTTPMethodNotAllowed", msg: r.Method + " is not allowed on " + r.URL.Path}
	}
	if f != nil {
		f.write(w)
	}
}
