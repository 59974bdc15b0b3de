package tackertest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stand-in is only worth its tests if it refuses what Tacker refuses.
// Each case is a raw request and the answer the documented API gives.

const tok = "t0ken"

func call(t *testing.T, s *Server, method, path, token, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL, "/")+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	}
	return resp.StatusCode, m
}

func start(t *testing.T) *Server {
	t.Helper()
	s := New(tok)
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
	return s
}

const goodBody = `{"vim": {"type": "kubernetes", "name": "k8s", "auth_url": "https://192.0.2.1:6443",
 "vim_project": {"name": "default"}, "auth_cred": {"bearer_token": "sa", "ssl_ca_cert": "PEM"},
 "is_default": false, "extra": {"use_helm": true}}}`

func tackerError(t *testing.T, m map[string]any) (typ, msg string) {
	t.Helper()
	e, ok := m["TackerError"].(map[string]any)
	require.True(t, ok, "a TackerError body: %v", m)
	return e["type"].(string), e["message"].(string)
}

func TestRefusals(t *testing.T) {
	s := start(t)
	ct := "application/json"
	for _, c := range []struct {
		name, method, path, token, ct, body string
		status                              int
		msg                                 string
	}{
		{"no token", "GET", "/v1.0/vims", "", "", "", 401, ""},
		{"wrong token", "GET", "/v1.0/vims", "other", "", "", 401, ""},
		{"unknown path", "GET", "/v1.0/vnfs", tok, "", "", 404, "could not be found"},
		{"unknown version", "GET", "/v2.0/vims", tok, "", "", 404, "could not be found"},
		{"wrong method", "PATCH", "/v1.0/vims/x", tok, ct, "{}", 405, "PATCH"},
		{"not json", "POST", "/v1.0/vims", tok, "text/plain", goodBody, 415, "content type"},
		{"malformed", "POST", "/v1.0/vims", tok, ct, "{", 400, "Malformed"},
		{"no envelope", "POST", "/v1.0/vims", tok, ct, `{"name": "k8s"}`, 400, "Unable to find 'vim'"},
		{"unknown attribute", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `"type"`, `"flavour": 1, "type"`, 1), 400, "Unrecognized attribute(s) 'flavour'"},
		{"read-only in POST", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `"type"`, `"status": "X", "type"`, 1), 400, "'status' not allowed in POST"},
		{"missing name", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `"name": "k8s",`, "", 1), 400, "Required attribute 'name'"},
		{"bool as string", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `"is_default": false`, `"is_default": "no"`, 1), 400, "is_default"},
		{"no credentials", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `"bearer_token": "sa", `, "", 1), 400, "bearer_token"},
		{"stray credential", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `"bearer_token"`, `"token": "x", "bearer_token"`, 1), 400, "unexpected key 'token'"},
		{"empty project", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `{"name": "default"}`, `{}`, 1), 400, "vim_project"},
		{"openstack type", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `"kubernetes"`, `"openstack"`, 1), 400, "kubernetes VIMs only"},
		{"not a URL", "POST", "/v1.0/vims", tok, ct, strings.Replace(goodBody, `https://192.0.2.1:6443`, `192.0.2.1`, 1), 400, "auth_url"},
		{"unknown id", "GET", "/v1.0/vims/nope", tok, "", "", 404, "Specified VIM id nope is invalid"},
		{"delete unknown", "DELETE", "/v1.0/vims/nope", tok, "", "", 404, "nope"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, m := call(t, s, c.method, c.path, c.token, c.ct, c.body)
			assert.Equal(t, c.status, status)
			if c.status == 401 {
				assert.Contains(t, m["error"].(map[string]any)["message"], "requires authentication")
				return
			}
			_, msg := tackerError(t, m)
			assert.Contains(t, msg, c.msg)
		})
	}
	assert.Empty(t, s.Vims(), "nothing refused was stored")
}

func TestLifecycleAndTackerclientPaths(t *testing.T) {
	s := start(t)
	ct := "application/json"
	// python-tackerclient appends .json to every v1 path.
	status, m := call(t, s, "POST", "/v1.0/vims.json", tok, ct, goodBody)
	require.Equal(t, 201, status)
	vim := m["vim"].(map[string]any)
	id := vim["id"].(string)
	assert.Equal(t, "PENDING", vim["status"])
	assert.Equal(t, "***", vim["auth_cred"].(map[string]any)["bearer_token"])
	assert.NotEqual(t, "PEM", vim["auth_cred"].(map[string]any)["ssl_ca_cert"], "Tacker returns the CA encrypted")
	assert.Equal(t, DefaultTenant, vim["tenant_id"])

	// find by name, as `openstack vim show NAME` does
	status, m = call(t, s, "GET", "/v1.0/vims.json?name=k8s&fields=id", tok, "", "")
	require.Equal(t, 200, status)
	assert.Equal(t, []any{map[string]any{"id": id}}, m["vims"])
	_, m = call(t, s, "GET", "/v1.0/vims.json?name=nope&fields=id", tok, "", "")
	assert.Equal(t, []any{}, m["vims"])

	// PUT: read-only attributes are refused, auth_cred and vim_project required
	status, m = call(t, s, "PUT", "/v1.0/vims/"+id, tok, ct, `{"vim": {"type": "kubernetes", "auth_cred": {"bearer_token": "x"}, "vim_project": {"name": "default"}}}`)
	assert.Equal(t, 400, status)
	_, msg := tackerError(t, m)
	assert.Contains(t, msg, "read-only attribute type")
	status, m = call(t, s, "PUT", "/v1.0/vims/"+id, tok, ct, `{"vim": {"auth_url": "https://192.0.2.2:6443", "auth_cred": {"bearer_token": "x"}, "vim_project": {"name": "default"}}}`)
	assert.Equal(t, 400, status)
	status, _ = call(t, s, "PUT", "/v1.0/vims/"+id, tok, ct, `{"vim": {"description": "d"}}`)
	assert.Equal(t, 400, status)
	status, m = call(t, s, "PUT", "/v1.0/vims/"+id+".json", tok, ct, `{"vim": {"description": "d", "auth_cred": {"bearer_token": "rotated"}, "vim_project": {"name": "ns"}}}`)
	require.Equal(t, 200, status, "%v", m)
	v, _ := s.Vim(id)
	assert.Equal(t, "rotated", v.AuthCred["bearer_token"])
	assert.Equal(t, "ns", v.Project["name"])
	assert.Equal(t, "d", v.Description)

	// one default VIM per project
	second := strings.Replace(strings.Replace(goodBody, `"k8s"`, `"k8s-2"`, 1), `"is_default": false`, `"is_default": true`, 1)
	status, _ = call(t, s, "POST", "/v1.0/vims", tok, ct, second)
	require.Equal(t, 201, status)
	third := strings.Replace(second, `"k8s-2"`, `"k8s-3"`, 1)
	status, m = call(t, s, "POST", "/v1.0/vims", tok, ct, third)
	assert.Equal(t, 409, status)
	typ, _ := tackerError(t, m)
	assert.Equal(t, "VimDefaultDuplicateException", typ)

	status, _ = call(t, s, "DELETE", "/v1.0/vims/"+id+".json", tok, "", "")
	assert.Equal(t, 204, status)
	status, _ = call(t, s, "GET", "/v1.0/vims/"+id, tok, "", "")
	assert.Equal(t, 404, status)

	reqs := s.Requests()
	assert.Equal(t, "POST", reqs[0].Method)
	assert.Equal(t, "/v1.0/vims.json", reqs[0].Path)
	assert.Equal(t, 201, reqs[0].Status)
}

// VIMs of another project are invisible, as in Tacker.
func TestTenantIsolation(t *testing.T) {
	s := &Server{Authorize: func(t string) (string, bool) { return "project-" + t, true }}
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
	status, m := call(t, s, "POST", "/v1.0/vims", "a", "application/json", goodBody)
	require.Equal(t, 201, status)
	id := m["vim"].(map[string]any)["id"].(string)
	status, _ = call(t, s, "GET", "/v1.0/vims/"+id, "b", "", "")
	assert.Equal(t, 404, status)
	_, m = call(t, s, "GET", "/v1.0/vims", "b", "", "")
	assert.Empty(t, m["vims"])
}
