// Package tackertest is a loopback stand-in for the Tacker APIs the
// project uses, the one fake of the project: Tacker cannot run here. It
// serves the v1 VIM API (vim.go), the vnfpkgm v1 VNF package API
// (vnfpkgm.go, csar.go) and the vnflcm v2 VNF lifecycle API (vnflcm.go),
// holds their objects in memory, and refuses, as Tacker does, any request
// that strays from the documented API: an unknown path or method, a
// missing or refused X-Auth-Token, a missing Version header on v2, a wrong
// content type, a body with unknown keys, missing required ones or wrong
// types. Tacker's SOL schemas accept keys they do not know and ignore
// them; the stand-in refuses them, so that a misspelt key fails a test
// rather than going unnoticed. It records every request, so that a test
// can compare what two clients sent.
//
// What it cannot do is what Tacker does behind the API: call the cluster
// with a VIM's token (a Cluster hook stands in), encrypt credentials in
// Barbican (it answers as Tacker does, with bearer_token masked and
// ssl_ca_cert encrypted), and build VNFs with Heat: an LCM operation
// completes after OperationDelay by changing the instance as Heat would
// (VNFCs added, removed or replaced, with new server ids), or fails when
// FailOperation says so.
package tackertest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
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
	Version     string // the Version header of the SOL APIs
	ContentType string
	Body        []byte
	Status      int // what the stand-in answered
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

	// Endpoint is what Tacker's [v2_vnfm] endpoint setting would be: the
	// host of the Location headers of vnflcm v2. Empty is Tacker's
	// default, http://127.0.0.1:9890, which is not where the stand-in
	// listens: a client must not follow Location blindly.
	Endpoint string
	// OnboardingDelay is how long the conductor takes to validate an
	// uploaded package; OperationDelay how long an LCM operation runs.
	// Zero means DefaultDelay.
	OnboardingDelay, OperationDelay time.Duration
	// FailOperation, when it returns a non-nil ProblemDetails for an LCM
	// operation (INSTANTIATE, SCALE, HEAL, TERMINATE, MODIFY_INFO) of an
	// instance, makes that operation end FAILED_TEMP with it as the error.
	FailOperation func(instanceID, operation string) *ProblemDetails

	URL string // http://127.0.0.1:port/ once started

	mu        sync.Mutex
	vims      map[string]*Vim
	packages  map[string]*Package
	instances map[string]*Instance
	opOccs    map[string]*OpOcc
	requests  []Request
	srv       *http.Server
	ln        net.Listener
}

// DefaultNamespaces are those of a fresh kubeadm cluster.
var DefaultNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

// DefaultTenant is the project the static token of New acts for.
const DefaultTenant = "6f1ae5bd4a3e4b7f9d0c2e8a1b3c5d7e"

// DefaultDelay is how long Tacker's background work takes in the stand-in
// unless told otherwise.
const DefaultDelay = 30 * time.Millisecond

// tackerDefaultEndpoint is [v2_vnfm] endpoint's default in Tacker.
const tackerDefaultEndpoint = "http://127.0.0.1:9890"

// maxUpload bounds a request body: a CSAR carries Heat templates and
// scripts, not images.
const maxUpload = 64 << 20

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

// Reset forgets the recorded requests (not the objects).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) delay(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultDelay
	}
	return d
}

// later runs f, under the lock, after d: Tacker's conductor at work.
func (s *Server) later(d time.Duration, f func()) {
	time.AfterFunc(s.delay(d), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		f()
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	writeTyped(w, status, "application/json", body)
}

func writeTyped(w http.ResponseWriter, status int, contentType string, body any) {
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", contentType)
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

// ServeHTTP authenticates as keystonemiddleware does in front of Tacker,
// then routes: /v1.0/vims (with the optional ".json" suffix
// python-tackerclient appends), /vnfpkgm/v1/... and /vnflcm/v2/....
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxUpload))
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
			Token: r.Header.Get("X-Auth-Token"), Version: r.Header.Get("Version"),
			ContentType: r.Header.Get("Content-Type"), Body: body, Status: rec.status,
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
	api := ""
	if len(parts) >= 2 {
		api = parts[0] + "/" + parts[1]
	}
	switch {
	case api == "v1.0/vims" && len(parts) <= 3:
	case api == "vnfpkgm/v1" || api == "vnflcm/v2":
	default:
		(&vimFault{status: http.StatusNotFound, typ: "HTTPNotFound", msg: "The resource could not be found."}).write(rec)
		return
	}

	tenant, ok := "", false
	if tok := r.Header.Get("X-Auth-Token"); tok != "" && s.Authorize != nil {
		tenant, ok = s.Authorize(tok)
	}
	if !ok {
		writeJSON(rec, http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication.",
		}})
		return
	}

	switch api {
	case "v1.0/vims":
		s.serveVims(rec, r, parts, body, tenant)
	case "vnfpkgm/v1":
		s.servePackages(rec, r, parts[2:], body)
	case "vnflcm/v2":
		s.serveLcm(rec, r, parts[2:], body)
	}
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
