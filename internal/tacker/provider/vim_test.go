package provider_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"sync"
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

// These drive the provider as the engine does, over pulumi-go-provider's
// in-process integration server, against the loopback Tacker.

const token = "keystone-token"

var urn = resource.NewURN("dev", "tacker-cilium", "", "tacker:index:Vim", "multinode")

func harness(t *testing.T) (integration.Server, *tackertest.Server) {
	t.Helper()
	tk := tackertest.New(token)
	require.NoError(t, tk.Start("127.0.0.1:0"))
	t.Cleanup(tk.Close)
	prov, err := provider.New()
	require.NoError(t, err)
	s, err := integration.NewServer(t.Context(), provider.Name, semver.MustParse(provider.Version), integration.WithProvider(prov))
	require.NoError(t, err)
	require.NoError(t, s.Configure(p.ConfigureRequest{Args: property.NewMap(map[string]property.Value{
		"token":    property.New(token).WithSecret(true),
		"endpoint": property.New(tk.URL),
	})}))
	return s, tk
}

// caPEM is one CA for the whole run, so that inputs differ only where a
// test says.
var caPEM = sync.OnceValue(func() string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
})

func inputs(t *testing.T, over map[string]property.Value) property.Map {
	m := map[string]property.Value{
		"description": property.New("multinode cluster"),
		"authUrl":     property.New("https://203.0.113.10:6443"),
		"bearerToken": property.New("sa-token-1").WithSecret(true),
		"sslCaCert":   property.New(caPEM()),
		"isDefault":   property.New(true),
		"extra":       property.New(map[string]property.Value{"useHelm": property.New(true)}),
	}
	return overridden(m, over)
}

// overridden is inputs m with over applied: a null value removes the input.
func overridden(m, over map[string]property.Value) property.Map {
	for k, v := range over {
		if v.IsNull() {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return property.NewMap(m)
}

func check(t *testing.T, s integration.Server, in property.Map) p.CheckResponse {
	t.Helper()
	return checkAt(t, s, urn, in)
}

// checkAt is the provider's Check of new inputs of the resource at u.
func checkAt(t *testing.T, s integration.Server, u resource.URN, in property.Map) p.CheckResponse {
	t.Helper()
	resp, err := s.Check(p.CheckRequest{Urn: u, Inputs: in, State: property.Map{}})
	require.NoError(t, err)
	return resp
}

func TestCheckFillsDefaults(t *testing.T) {
	s, tk := harness(t)
	resp := check(t, s, inputs(t, nil))
	assert.Empty(t, resp.Failures)
	assert.Equal(t, "multinode", resp.Inputs.Get("name").AsString(), "name defaults to the resource's")
	assert.Equal(t, "kubernetes", resp.Inputs.Get("type").AsString())
	assert.Equal(t, "default", resp.Inputs.Get("project").AsString())
	assert.True(t, resp.Inputs.Get("bearerToken").Secret(), "the token stays secret")
	assert.Empty(t, tk.Requests(), "Check never calls Tacker")
}

func TestCheckRefusesBadInputBeforeTacker(t *testing.T) {
	s, tk := harness(t)
	for name, c := range map[string]struct {
		over     map[string]property.Value
		property string
		reason   string
	}{
		"http auth URL":     {map[string]property.Value{"authUrl": property.New("http://203.0.113.10:6443")}, "authUrl", "not an https URL"},
		"bare host":         {map[string]property.Value{"authUrl": property.New("203.0.113.10:6443")}, "authUrl", "not an https URL"},
		"empty token":       {map[string]property.Value{"bearerToken": property.New("").WithSecret(true)}, "bearerToken", "empty"},
		"not a certificate": {map[string]property.Value{"sslCaCert": property.New("-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----\n")}, "sslCaCert", "RSA PRIVATE KEY"},
		"garbage CA":        {map[string]property.Value{"sslCaCert": property.New("hello")}, "sslCaCert", "no CERTIFICATE"},
		"bad namespace":     {map[string]property.Value{"project": property.New("Kube_System")}, "project", "namespace"},
		"openstack type":    {map[string]property.Value{"type": property.New("openstack")}, "type", "only \"kubernetes\""},
		"long name":         {map[string]property.Value{"name": property.New(string(make([]byte, 300)))}, "name", "at most 255"},
	} {
		t.Run(name, func(t *testing.T) {
			resp := check(t, s, inputs(t, c.over))
			require.Len(t, resp.Failures, 1, "%v", resp.Failures)
			assert.Equal(t, c.property, resp.Failures[0].Property)
			assert.Contains(t, resp.Failures[0].Reason, c.reason)
			assert.NotContains(t, resp.Failures[0].Reason, "sa-token-1")
		})
	}
	assert.Empty(t, tk.Requests(), "bad input never reaches Tacker")
}

// At preview the API endpoint of a cluster being created is not known yet:
// Check leaves it for later rather than refusing it.
func TestCheckLeavesUnknownsAlone(t *testing.T) {
	s, _ := harness(t)
	resp := check(t, s, inputs(t, map[string]property.Value{
		"authUrl":     property.New(property.Computed),
		"bearerToken": property.New(property.Computed).WithSecret(true),
		"sslCaCert":   property.New(property.Computed),
	}))
	assert.Empty(t, resp.Failures)
}

func TestLifecycle(t *testing.T) {
	s, tk := harness(t)
	in := check(t, s, inputs(t, nil)).Inputs

	// preview: nothing sent
	_, err := s.Create(p.CreateRequest{Urn: urn, Properties: in, DryRun: true})
	require.NoError(t, err)
	assert.Empty(t, tk.Requests())

	created, err := s.Create(p.CreateRequest{Urn: urn, Properties: in})
	require.NoError(t, err)
	require.NotEmpty(t, created.ID)
	reqs := tk.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, "/v1.0/vims", reqs[0].Path)
	assert.Equal(t, token, reqs[0].Token)
	out := created.Properties
	assert.Equal(t, "PENDING", out.Get("status").AsString())
	assert.Equal(t, len(tackertest.DefaultNamespaces), len(out.Get("regions").AsArray().AsSlice()))
	assert.Equal(t, tackertest.DefaultTenant, out.Get("tenantId").AsString())
	assert.True(t, out.Get("bearerToken").Secret())
	assert.Equal(t, "sa-token-1", out.Get("bearerToken").AsString(), "kept from the inputs: Tacker masks it")

	// refresh with nothing changed: same state, no diff
	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: urn, Properties: out, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, created.ID, read.ID)
	diff, err := s.Diff(p.DiffRequest{ID: created.ID, Urn: urn, State: read.Properties, Inputs: in})
	require.NoError(t, err)
	assert.False(t, diff.HasChanges, "%v", diff.DetailedDiff)

	// a rotated token is an update of the same registration
	rotated := check(t, s, inputs(t, map[string]property.Value{"bearerToken": property.New("sa-token-2").WithSecret(true)})).Inputs
	diff, err = s.Diff(p.DiffRequest{ID: created.ID, Urn: urn, State: out, Inputs: rotated})
	require.NoError(t, err)
	assert.True(t, diff.HasChanges)
	require.Len(t, diff.DetailedDiff, 1, "%v", diff.DetailedDiff)
	assert.Equal(t, p.Update, diff.DetailedDiff["bearerToken"].Kind)
	assert.False(t, diff.DeleteBeforeReplace)
	tk.Reset()
	updated, err := s.Update(p.UpdateRequest{ID: created.ID, Urn: urn, State: out, Inputs: rotated})
	require.NoError(t, err)
	reqs = tk.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodPut, reqs[0].Method)
	assert.Equal(t, "/v1.0/vims/"+created.ID, reqs[0].Path)
	var body map[string]map[string]any
	require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
	assert.Equal(t, map[string]any{"bearer_token": "sa-token-2", "ssl_ca_cert": in.Get("sslCaCert").AsString()}, body["vim"]["auth_cred"])
	stored, _ := tk.Vim(created.ID)
	assert.Equal(t, "sa-token-2", stored.AuthCred["bearer_token"])
	assert.Len(t, tk.Vims(), 1, "no second registration")
	out = updated.Properties

	// a new API endpoint is a new VIM, the old one deleted first (Tacker
	// allows one VIM of a name per project)
	moved := check(t, s, inputs(t, map[string]property.Value{
		"authUrl":     property.New("https://203.0.113.99:6443"),
		"bearerToken": property.New("sa-token-2").WithSecret(true),
	})).Inputs
	diff, err = s.Diff(p.DiffRequest{ID: created.ID, Urn: urn, State: out, Inputs: moved})
	require.NoError(t, err)
	assert.Equal(t, p.UpdateReplace, diff.DetailedDiff["authUrl"].Kind)
	assert.True(t, diff.DeleteBeforeReplace)

	tk.Reset()
	require.NoError(t, s.Delete(p.DeleteRequest{ID: created.ID, Urn: urn, Properties: out}))
	reqs = tk.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodDelete, reqs[0].Method)
	assert.Empty(t, tk.Vims())
	require.NoError(t, s.Delete(p.DeleteRequest{ID: created.ID, Urn: urn, Properties: out}), "already gone is deleted")
}

// Drift: what another operator changed in Tacker comes back on refresh
// and shows in the next diff; a VIM deleted behind Pulumi leaves the state.
func TestRefreshShowsDrift(t *testing.T) {
	s, tk := harness(t)
	in := check(t, s, inputs(t, nil)).Inputs
	created, err := s.Create(p.CreateRequest{Urn: urn, Properties: in})
	require.NoError(t, err)

	tk.Mutate(created.ID, func(v *tackertest.Vim) {
		v.Description = "changed by hand"
		v.IsDefault = false
		v.Regions = append(v.Regions, "cnf")
	})
	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: urn, Properties: created.Properties, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, "changed by hand", read.Inputs.Get("description").AsString())
	assert.False(t, read.Inputs.Get("isDefault").AsBool())
	assert.Len(t, read.Properties.Get("regions").AsArray().AsSlice(), len(tackertest.DefaultNamespaces)+1)
	assert.Equal(t, "sa-token-1", read.Inputs.Get("bearerToken").AsString(), "the token Tacker will not show is kept")

	diff, err := s.Diff(p.DiffRequest{ID: created.ID, Urn: urn, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.True(t, diff.HasChanges)
	assert.Equal(t, p.Update, diff.DetailedDiff["description"].Kind)
	assert.Equal(t, p.Update, diff.DetailedDiff["isDefault"].Kind)
	assert.NotContains(t, diff.DetailedDiff, "bearerToken")

	// a type changed behind our back replaces
	tk.Mutate(created.ID, func(v *tackertest.Vim) { v.Type = "openstack" })
	read, err = s.Read(p.ReadRequest{ID: created.ID, Urn: urn, Properties: created.Properties, Inputs: in})
	require.NoError(t, err)
	diff, err = s.Diff(p.DiffRequest{ID: created.ID, Urn: urn, State: read.Properties, OldInputs: read.Inputs, Inputs: in})
	require.NoError(t, err)
	assert.Equal(t, p.UpdateReplace, diff.DetailedDiff["type"].Kind)

	tk.Remove(created.ID)
	read, err = s.Read(p.ReadRequest{ID: created.ID, Urn: urn, Properties: created.Properties, Inputs: in})
	require.NoError(t, err)
	assert.Empty(t, read.ID, "gone: an empty ID drops it from the state")
}

// Tacker's refusals reach `pulumi up` in Tacker's words, without secrets.
func TestTackerErrorsReachTheUser(t *testing.T) {
	s, tk := harness(t)
	in := check(t, s, inputs(t, nil)).Inputs
	_, err := s.Create(p.CreateRequest{Urn: urn, Properties: in})
	require.NoError(t, err)
	_, err = s.Create(p.CreateRequest{Urn: urn, Properties: in})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "DuplicateEntity")
	assert.Contains(t, err.Error(), "vim already exist")
	assert.NotContains(t, err.Error(), "sa-token-1")

	tk.Cluster = func(string, string, string) ([]string, error) {
		return nil, &unauthorized{}
	}
	other := check(t, s, inputs(t, map[string]property.Value{"name": property.New("other"), "isDefault": property.New(false)})).Inputs
	_, err = s.Create(p.CreateRequest{Urn: urn, Properties: other})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "VimUnauthorizedException: (401)")
}

type unauthorized struct{}

func (*unauthorized) Error() string { return "(401)\nReason: Unauthorized" }

func TestConfigureNeedsSomethingToAuthenticateWith(t *testing.T) {
	for _, k := range []string{"OS_CLOUD", "OS_AUTH_URL", "OS_TOKEN", "OS_PASSWORD", "OS_USERNAME"} {
		t.Setenv(k, "")
	}
	prov, err := provider.New()
	require.NoError(t, err)
	s, err := integration.NewServer(t.Context(), provider.Name, semver.MustParse(provider.Version), integration.WithProvider(prov))
	require.NoError(t, err)
	err = s.Configure(p.ConfigureRequest{Args: property.NewMap(map[string]property.Value{
		"username": property.New("admin"), "password": property.New("hunter2").WithSecret(true),
	})})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tacker:authUrl")
	assert.NotContains(t, err.Error(), "hunter2")
}
