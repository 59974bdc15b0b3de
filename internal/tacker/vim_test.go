package tacker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
)

const token = "gAAAAAB-keystone-token"

// standin starts the loopback Tacker and a client with a fixed token.
func standin(t *testing.T) (*tackertest.Server, *tacker.Client) {
	t.Helper()
	s := tackertest.New(token)
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
	c, err := tacker.Connect(context.Background(), tacker.Auth{Token: token, Endpoint: s.URL})
	require.NoError(t, err)
	return s, c
}

func jsonOf(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "body %s", b)
	return m
}

func ptr[T any](v T) *T { return &v }

const caPEM = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"

func spec() tacker.VimSpec {
	return tacker.VimSpec{
		Name: "k8s", Description: "multinode cluster", AuthURL: "https://203.0.113.10:6443",
		BearerToken: "sa-token-1", SSLCACert: caPEM, Project: "default", IsDefault: true, UseHelm: ptr(true),
	}
}

// last is the last request the stand-in received, checked against the
// documented call: method, path, token, JSON content.
func last(t *testing.T, s *tackertest.Server, method, path string) tackertest.Request {
	t.Helper()
	reqs := s.Requests()
	require.NotEmpty(t, reqs)
	r := reqs[len(reqs)-1]
	assert.Equal(t, method, r.Method)
	assert.Equal(t, path, r.Path)
	assert.Equal(t, token, r.Token, "X-Auth-Token")
	if len(r.Body) > 0 {
		assert.Equal(t, "application/json", r.ContentType)
	}
	return r
}

func TestCreateSendsTheDocumentedBody(t *testing.T) {
	s, c := standin(t)
	v, err := c.CreateVim(context.Background(), spec())
	require.NoError(t, err)

	r := last(t, s, http.MethodPost, "/v1.0/vims")
	assert.Equal(t, http.StatusCreated, r.Status)
	assert.Equal(t, map[string]any{"vim": map[string]any{
		"type": "kubernetes", "name": "k8s", "description": "multinode cluster",
		"auth_url":    "https://203.0.113.10:6443",
		"vim_project": map[string]any{"name": "default"},
		"auth_cred":   map[string]any{"bearer_token": "sa-token-1", "ssl_ca_cert": caPEM},
		"is_default":  true,
		"extra":       map[string]any{"use_helm": true},
	}}, jsonOf(t, r.Body))

	assert.NotEmpty(t, v.ID)
	assert.Equal(t, "PENDING", v.Status)
	assert.Equal(t, tackertest.DefaultNamespaces, v.PlacementAttr.Regions)
	assert.Equal(t, "***", v.AuthCred["bearer_token"], "Tacker masks the token")
	assert.Equal(t, ptr(true), v.UseHelm())
}

// Like `openstack vim register` without --description and a config with
// no ssl_ca_cert nor extra: those keys are left out, not sent empty.
func TestCreateLeavesOutWhatIsNotGiven(t *testing.T) {
	s, c := standin(t)
	_, err := c.CreateVim(context.Background(), tacker.VimSpec{
		Name: "bare", AuthURL: "https://192.0.2.1:6443", BearerToken: "t", Project: "default",
	})
	require.NoError(t, err)
	r := last(t, s, http.MethodPost, "/v1.0/vims")
	assert.Equal(t, map[string]any{"vim": map[string]any{
		"type": "kubernetes", "name": "bare", "auth_url": "https://192.0.2.1:6443",
		"vim_project": map[string]any{"name": "default"},
		"auth_cred":   map[string]any{"bearer_token": "t"},
		"is_default":  false,
	}}, jsonOf(t, r.Body))
}

func TestGetUpdateDelete(t *testing.T) {
	s, c := standin(t)
	ctx := context.Background()
	v, err := c.CreateVim(ctx, spec())
	require.NoError(t, err)

	got, err := c.GetVim(ctx, v.ID)
	require.NoError(t, err)
	last(t, s, http.MethodGet, "/v1.0/vims/"+v.ID)
	assert.Equal(t, "k8s", got.Name)
	assert.Equal(t, "https://203.0.113.10:6443", got.AuthURL)
	assert.Equal(t, "default", got.Project.Name)
	assert.True(t, got.IsDefault)

	rotated := spec()
	rotated.BearerToken, rotated.Description, rotated.IsDefault, rotated.UseHelm = "sa-token-2", "", false, ptr(false)
	up, err := c.UpdateVim(ctx, v.ID, rotated)
	require.NoError(t, err)
	r := last(t, s, http.MethodPut, "/v1.0/vims/"+v.ID)
	assert.Equal(t, map[string]any{"vim": map[string]any{
		"name": "k8s", "description": "",
		"vim_project": map[string]any{"name": "default"},
		"auth_cred":   map[string]any{"bearer_token": "sa-token-2", "ssl_ca_cert": caPEM},
		"is_default":  false,
		"extra":       map[string]any{"use_helm": false},
	}}, jsonOf(t, r.Body), "type and auth_url are read-only: never in a PUT")
	assert.Equal(t, v.ID, up.ID, "an update keeps the registration")
	stored, _ := s.Vim(v.ID)
	assert.Equal(t, "sa-token-2", stored.AuthCred["bearer_token"])
	assert.Equal(t, "", stored.Description)

	list, err := c.ListVims(ctx)
	require.NoError(t, err)
	last(t, s, http.MethodGet, "/v1.0/vims")
	require.Len(t, list, 1)

	require.NoError(t, c.DeleteVim(ctx, v.ID))
	last(t, s, http.MethodDelete, "/v1.0/vims/"+v.ID)
	_, err = c.GetVim(ctx, v.ID)
	assert.ErrorIs(t, err, tacker.ErrNotFound)
	assert.ErrorIs(t, c.DeleteVim(ctx, v.ID), tacker.ErrNotFound)
	_, err = c.UpdateVim(ctx, v.ID, rotated)
	assert.ErrorIs(t, err, tacker.ErrNotFound)
}

func TestErrorsCarryTackersMessage(t *testing.T) {
	s, c := standin(t)
	ctx := context.Background()
	_, err := c.CreateVim(ctx, spec())
	require.NoError(t, err)

	_, err = c.CreateVim(ctx, spec())
	var te *tacker.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, http.StatusConflict, te.Status)
	assert.Equal(t, "DuplicateEntity", te.Type)
	assert.Contains(t, err.Error(), "vim already exist")
	assert.NotContains(t, err.Error(), "sa-token-1", "no credentials in errors")

	s.Cluster = func(authURL, tok, ca string) ([]string, error) {
		return nil, fmt.Errorf("(401)\nReason: Unauthorized")
	}
	other := spec()
	other.Name, other.IsDefault = "other", false
	_, err = c.CreateVim(ctx, other)
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "VimUnauthorizedException", te.Type)
	assert.Contains(t, err.Error(), "Unauthorized")
	assert.NotContains(t, err.Error(), "sa-token-1")
}

func TestRefusedTokenIsKeystonesMessage(t *testing.T) {
	s, _ := standin(t)
	c, err := tacker.Connect(context.Background(), tacker.Auth{Token: "expired", Endpoint: s.URL})
	require.NoError(t, err)
	_, err = c.ListVims(context.Background())
	var te *tacker.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, http.StatusUnauthorized, te.Status)
	assert.Contains(t, te.Message, "requires authentication")
}

func TestNotFound(t *testing.T) {
	assert.ErrorIs(t, &tacker.Error{Status: 404}, tacker.ErrNotFound)
	assert.ErrorIs(t, &tacker.Error{Status: 500, Type: "VimNotFoundException"}, tacker.ErrNotFound)
	assert.NotErrorIs(t, &tacker.Error{Status: 500, Type: "VimUnauthorizedException"}, tacker.ErrNotFound)
	assert.NotErrorIs(t, errors.New("x"), tacker.ErrNotFound)
}

// A catalog may list Tacker with or without the API version; the client
// adds /v1.0 once.
func TestEndpointWithVersion(t *testing.T) {
	s, _ := standin(t)
	c, err := tacker.Connect(context.Background(), tacker.Auth{Token: token, Endpoint: strings.TrimSuffix(s.URL, "/") + "/v1.0"})
	require.NoError(t, err)
	assert.Equal(t, s.URL, c.Endpoint())
	_, err = c.ListVims(context.Background())
	require.NoError(t, err)
	last(t, s, http.MethodGet, "/v1.0/vims")
}

// Transport failures keep their cause and never show a request body.
func TestTransportError(t *testing.T) {
	c := tacker.New(&gophercloud.ServiceClient{ProviderClient: &gophercloud.ProviderClient{}, Endpoint: "http://127.0.0.1:1/"})
	_, err := c.CreateVim(context.Background(), spec())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `register VIM "k8s"`)
	assert.NotContains(t, err.Error(), "sa-token-1")
}
