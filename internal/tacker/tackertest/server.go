// Package tackertest is a loopback stand-in for Tacker's v1 VIM API, the
// one fake of the project: Tacker cannot run here. It holds VIMs in memory
// and refuses, as Tacker does, any request that strays from the documented
// API: an unknown path or method, a missing or refused X-Auth-Token, a body
// that is not {"vim": {...}}, unknown or read-only attributes, missing
// required ones, wrong types. It records every request, so that a test can
// compare what two clients sent.
//
// What it cannot do is what Tacker does behind the API: call the cluster
// with the token (a Cluster hook stands in) and encrypt credentials in
// Barbican (it answers as Tacker does, with bearer_token masked and
// ssl_ca_cert encrypted).
package tackertest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Request is one request as the stand-in received it.
type Request struct {
	Method      string
	Path        string // as sent, with any .json suffix
	Query       url.Values
	Token       string // X-Auth-Token
	ContentType string
	Body        []byte
	Status      int // what the stand-in answered
}

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

// Server is the stand-in. Set its fields before Start.
type Server struct {
	// Authorize accepts a token and names the project (tenant_id) it acts
	// for. New accepts one static token; a Keystone test validates tokens
	// with Keystone itself, as keystonemiddleware does in Tacker.
	Authorize func(token string) (tenantID string, ok bool)
	// Cluster stands in for Tacker's call to the cluster at registration
	// and update: it returns the namespaces (placement regions), or an
	// error that Tacker reports as VimUnauthorizedException. Nil accepts
	// any credentials and reports DefaultNamespaces.
	Cluster func(authURL, bearerToken, caCert string) ([]string, error)

	URL string // http://127.0.0.1:port/ once started

	mu       sync.Mutex
	vims     map[string]*Vim
	requests []Request
	srv      *http.Server
	ln       net.Listener
}

// DefaultNamespaces are those of a fresh kubeadm cluster.
var DefaultNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

// DefaultTenant is the project the static token of New acts for.
const DefaultTenant = "6f1ae5bd4a3e4b7f9d0c2e8a1b3c5d7e"

// New is a stand-in that accepts exactly token.
func New(token string) *Server {
	return &Server{Authorize: func(t string) (string, bool) { return DefaultTenant, t != "" && t == token }}
}

// Start listens on addr ("127.0.0.1:0" for any free port) and serves.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.URL = "http://" + ln.Addr().String() + "/"
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// Close stops serving.
func (s *Server) Close() {
	if s.srv != nil {
		_ = s.srv.Close()
	}
}

// Requests are every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Reset forgets the recorded requests (not the VIMs).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
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
	postable = []string{"tenant_id", "type", "auth_url", "auth_cred", "vim_project", "name", "description", "is_default", "extra"}
	putable  = []string{"auth_cred", "vim_project", "name", "description", "is_default", "extra"}
	readOnly = []string{"id", "status", "placement_attr", "shared", "created_at", "updated_at"}
	required = []string{"type", "auth_url", "auth_cred", "vim_project", "name"}
	// authCredKeys are what python-tackerclient puts in auth_cred of a
	// Kubernetes VIM; anything else is a client bug.
	authCredKeys = []string{"bearer_token", "ssl_ca_cert", "username", "password", "oidc_token_url", "client_id", "client_secret"}
)

const nameMaxLen = 255

type fault struct {
	status      int
	typ, detail string
	msg         string
}

func (f *fault) write(w http.ResponseWriter) {
	body := map[string]any{"TackerError": map[string]any{"type": f.typ, "message": f.msg, "detail": f.detail}}
	writeJSON(w, f.status, body)
}

func badRequest(format string, args ...any) *fault {
	return &fault{status: http.StatusBadRequest, typ: "HTTPBadRequest", msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// ServeHTTP routes /v1.0/vims and /v1.0/vims/{id}, with the optional
// ".json" suffix python-tackerclient appends, as Tacker's routes allow.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
			Token: r.Header.Get("X-Auth-Token"), ContentType: r.Header.Get("Content-Type"),
			Body: body, Status: rec.status,
		})
		s.mu.Unlock()
	}()

	path := strings.TrimSuffix(r.URL.Path, ".json")
	if path == "/" || path == "" {
		// Tacker's version document needs no token.
		writeJSON(rec, http.StatusOK, map[string]any{"versions": []any{map[string]any{
			"id": "v1.0", "status": "CURRENT", "links": []any{map[string]any{"rel": "self", "href": s.URL + "v1.0/"}},
		}}})
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "v1.0" || parts[1] != "vims" {
		(&fault{status: http.StatusNotFound, typ: "HTTPNotFound", msg: "The resource could not be found."}).write(rec)
		return
	}

	tenant, ok := "", false
	if tok := r.Header.Get("X-Auth-Token"); tok != "" && s.Authorize != nil {
		tenant, ok = s.Authorize(tok)
	}
	if !ok {
		// keystonemiddleware's answer, before Tacker sees the request.
		writeJSON(rec, http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication.",
		}})
		return
	}

	var f *fault
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		f = s.list(rec, r, tenant)
	case len(parts) == 2 && r.Method == http.MethodPost:
		f = s.create(rec, r, body, tenant)
	case len(parts) == 3 && r.Method == http.MethodGet:
		f = s.show(rec, parts[2], tenant)
	case len(parts) == 3 && r.Method == http.MethodPut:
		f = s.update(rec, r, body, parts[2], tenant)
	case len(parts) == 3 && r.Method == http.MethodDelete:
		f = s.remove(rec, parts[2], tenant)
	default:
		f = &fault{status: http.StatusMethodNotAllowed, typ: "HTTPMethodNotAllowed", msg: r.Method + " is not allowed on " + path}
	}
	if f != nil {
		f.write(rec)
	}
}

// decode checks the envelope {"vim": {...}} and the attributes a method
// may carry, and returns the inner object.
func decode(r *http.Request, body []byte, allowed []string, method string) (map[string]any, *fault) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return nil, &fault{status: http.StatusUnsupportedMediaType, typ: "InvalidContentType", msg: fmt.Sprintf("Invalid content type %s", ct)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var env map[string]any
	if err := dec.Decode(&env); err != nil {
		return nil, &fault{status: http.StatusBadRequest, typ: "MalformedRequestBody", msg: "Malformed request body: " + err.Error()}
	}
	vim, ok := env["vim"].(map[string]any)
	if !ok || len(env) != 1 {
		return nil, badRequest("Unable to find 'vim' in request body")
	}
	var unknown []string
	for k := range vim {
		switch {
		case slices.Contains(allowed, k):
		case slices.Contains(readOnly, k) || slices.Contains(postable, k):
			if method == http.MethodPost {
				return nil, badRequest("Attribute '%s' not allowed in POST", k)
			}
			return nil, badRequest("Cannot update read-only attribute %s", k)
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, badRequest("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	return vim, nil
}

// validate checks types and the Kubernetes VIM's own rules.
func validate(vim map[string]any, create bool) *fault {
	if create {
		for _, k := range required {
			if _, ok := vim[k]; !ok {
				return badRequest("Failed to parse request. Required attribute '%s' not specified", k)
			}
		}
	}
	str := func(k string) (string, *fault) {
		v, ok := vim[k]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", badRequest("Invalid input for %s. Reason: '%v' is not a valid string.", k, v)
		}
		return s, nil
	}
	dict := func(k string, notEmpty bool) (map[string]any, *fault) {
		v, ok := vim[k]
		if !ok {
			return nil, nil
		}
		d, ok := v.(map[string]any)
		if !ok || (notEmpty && len(d) == 0) {
			return nil, badRequest("Invalid input for %s. Reason: '%v' is not a non-empty dictionary.", k, v)
		}
		return d, nil
	}
	for _, k := range []string{"tenant_id", "type", "auth_url", "name", "description"} {
		if _, f := str(k); f != nil {
			return f
		}
	}
	if name, _ := str("name"); len(name) > nameMaxLen {
		return badRequest("Invalid input for name. Reason: '%s' exceeds maximum length of %d.", name, nameMaxLen)
	}
	if v, ok := vim["is_default"]; ok {
		if _, ok := v.(bool); !ok {
			return badRequest("Invalid input for is_default. Reason: '%v' is not a valid boolean value.", v)
		}
	}
	if create {
		if typ, _ := str("type"); typ != "kubernetes" {
			return badRequest("Invalid input for type. Reason: the stand-in registers kubernetes VIMs only, not %q.", typ)
		}
		u, err := url.Parse(vim["auth_url"].(string))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return badRequest("Invalid input for auth_url. Reason: '%v' is not a URL.", vim["auth_url"])
		}
	}
	if _, f := dict("extra", false); f != nil {
		return f
	}
	if extra, _ := dict("extra", false); extra != nil {
		if v, ok := extra["use_helm"]; ok {
			if _, ok := v.(bool); !ok {
				return badRequest("Invalid input for extra. Reason: use_helm '%v' is not a valid boolean value.", v)
			}
		}
	}
	project, f := dict("vim_project", true)
	if f != nil {
		return f
	}
	if project != nil {
		if n, _ := project["name"].(string); n == "" {
			return badRequest("Invalid input for vim_project. Reason: name, the namespace, must be a non-empty string.")
		}
	}
	cred, f := dict("auth_cred", true)
	if f != nil {
		return f
	}
	if cred != nil {
		for k, v := range cred {
			if !slices.Contains(authCredKeys, k) {
				return badRequest("Invalid input for auth_cred. Reason: unexpected key '%s'.", k)
			}
			if _, ok := v.(string); !ok {
				return badRequest("Invalid input for auth_cred. Reason: %s is not a string.", k)
			}
		}
		tok, _ := cred["bearer_token"].(string)
		user, _ := cred["username"].(string)
		if tok == "" && user == "" {
			return badRequest("Invalid input for auth_cred. Reason: bearer_token or username and password must be provided.")
		}
	}
	return nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// register does what Tacker's Kubernetes driver does before it stores a
// VIM: call the cluster with the credentials and list its namespaces.
func (s *Server) register(v *Vim) *fault {
	if s.Cluster == nil {
		v.Regions = slices.Clone(DefaultNamespaces)
		return nil
	}
	tok, _ := v.AuthCred["bearer_token"].(string)
	ca, _ := v.AuthCred["ssl_ca_cert"].(string)
	ns, err := s.Cluster(v.AuthURL, tok, ca)
	if err != nil {
		return &fault{status: http.StatusInternalServerError, typ: "VimUnauthorizedException", msg: err.Error()}
	}
	v.Regions = ns
	return nil
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, body []byte, tenant string) *fault {
	in, f := decode(r, body, postable, http.MethodPost)
	if f == nil {
		f = validate(in, true)
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
	if f := s.register(v); f != nil {
		return f
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.conflicts(v, ""); f != nil {
		return f
	}
	if s.vims == nil {
		s.vims = map[string]*Vim{}
	}
	s.vims[v.ID] = v
	writeJSON(w, http.StatusCreated, map[string]any{"vim": view(v)})
	return nil
}

// conflicts applies Tacker's uniqueness: one name per tenant, one default.
func (s *Server) conflicts(v *Vim, self string) *fault {
	for id, o := range s.vims {
		if id == self {
			continue
		}
		if o.TenantID == v.TenantID && o.Name == v.Name {
			return &fault{status: http.StatusConflict, typ: "DuplicateEntity", msg: "vim already exist with given ['tenant_id', 'name', 'deleted_at']"}
		}
		if v.IsDefault && o.IsDefault && o.TenantID == v.TenantID {
			return &fault{status: http.StatusConflict, typ: "VimDefaultDuplicateException", msg: fmt.Sprintf("Default VIM already exists %s.", o.ID)}
		}
	}
	return nil
}

func notFound(id string) *fault {
	return &fault{status: http.StatusNotFound, typ: "VimNotFoundException",
		msg: fmt.Sprintf("Specified VIM id %s is invalid. Please verify and pass a valid VIM id", id)}
}

func (s *Server) show(w http.ResponseWriter, id, tenant string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vims[id]
	if !ok || v.TenantID != tenant {
		return notFound(id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"vim": view(v)})
	return nil
}

// list honours the filters python-tackerclient uses to find a VIM by name
// or id (?name=...&fields=id).
func (s *Server) list(w http.ResponseWriter, r *http.Request, tenant string) *fault {
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
		full := view(v)
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

func (s *Server) update(w http.ResponseWriter, r *http.Request, body []byte, id, tenant string) *fault {
	in, f := decode(r, body, putable, http.MethodPut)
	if f == nil {
		f = validate(in, false)
	}
	if f != nil {
		return f
	}
	// Tacker's update_vim reads both unconditionally.
	for _, k := range []string{"auth_cred", "vim_project"} {
		if _, ok := in[k]; !ok {
			return badRequest("Failed to parse request. Required attribute '%s' not specified", k)
		}
	}

	s.mu.Lock()
	old, ok := s.vims[id]
	if !ok || old.TenantID != tenant {
		s.mu.Unlock()
		return notFound(id)
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
	if f := s.register(&v); f != nil {
		return f
	}
	v.UpdatedAt = time.Now().UTC()

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.vims[id]; !ok {
		return notFound(id)
	}
	if f := s.conflicts(&v, id); f != nil {
		return f
	}
	s.vims[id] = &v
	writeJSON(w, http.StatusOK, map[string]any{"vim": view(&v)})
	return nil
}

func (s *Server) remove(w http.ResponseWriter, id, tenant string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vims[id]
	if !ok || v.TenantID != tenant {
		return notFound(id)
	}
	delete(s.vims, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// view is what Tacker answers: credentials masked by oslo's
// mask_dict_password (any key holding "token", "password" or "secret"),
// the CA certificate encrypted, Barbican's key reference added.
func view(v *Vim) map[string]any {
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
