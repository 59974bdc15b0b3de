package tacker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clearEnv hides the machine's own openrc from a test.
func clearEnv(t *testing.T) {
	for _, k := range []string{"OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_AUTH_URL", "OS_USERNAME", "OS_USER_ID", "OS_USERID",
		"OS_PASSWORD", "OS_TOKEN", "OS_USER_DOMAIN_NAME", "OS_USER_DOMAIN_ID", "OS_DOMAIN_NAME", "OS_DOMAIN_ID",
		"OS_PROJECT_NAME", "OS_TENANT_NAME", "OS_PROJECT_ID", "OS_TENANT_ID", "OS_PROJECT_DOMAIN_NAME", "OS_PROJECT_DOMAIN_ID",
		"OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_NAME", "OS_APPLICATION_CREDENTIAL_SECRET",
		"OS_REGION_NAME", "OS_INTERFACE", "OS_ENDPOINT_TYPE", "OS_CACERT", "OS_INSECURE"} {
		t.Setenv(k, "")
	}
}

func openrc(t *testing.T) {
	clearEnv(t)
	for k, v := range map[string]string{
		"OS_AUTH_URL": "https://keystone.example:5000/v3", "OS_USERNAME": "nfv_user", "OS_PASSWORD": "env-secret",
		"OS_PROJECT_NAME": "nfv", "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "nfv-domain",
		"OS_REGION_NAME": "RegionTwo", "OS_INTERFACE": "internal",
	} {
		t.Setenv(k, v)
	}
}

func TestFromOpenrc(t *testing.T) {
	openrc(t)
	r, err := Auth{}.resolve()
	require.NoError(t, err)
	assert.Equal(t, "https://keystone.example:5000/v3", r.auth.IdentityEndpoint)
	assert.Equal(t, "nfv_user", r.auth.Username)
	assert.Equal(t, "env-secret", r.auth.Password)
	assert.Equal(t, "Default", r.auth.DomainName, "the user's domain")
	assert.Equal(t, &gophercloud.AuthScope{ProjectName: "nfv", DomainName: "nfv-domain"}, r.auth.Scope)
	assert.True(t, r.auth.AllowReauth, "a long `pulumi up` outlives a token")
	assert.Equal(t, gophercloud.EndpointOpts{Type: "nfv-orchestration", Region: "RegionTwo", Availability: gophercloud.AvailabilityInternal}, r.endpoint)
	assert.False(t, r.tokenOnly)
}

func TestExplicitWinsOverOpenrc(t *testing.T) {
	openrc(t)
	r, err := Auth{AuthURL: "https://other:5000/v3", Password: "explicit", ProjectID: "p-1", Region: "RegionOne", Interface: "public"}.resolve()
	require.NoError(t, err)
	assert.Equal(t, "https://other:5000/v3", r.auth.IdentityEndpoint)
	assert.Equal(t, "explicit", r.auth.Password)
	assert.Equal(t, "nfv_user", r.auth.Username, "the rest still from the openrc")
	assert.Equal(t, &gophercloud.AuthScope{ProjectID: "p-1"}, r.auth.Scope)
	assert.Equal(t, "RegionOne", r.endpoint.Region)
	assert.Equal(t, gophercloud.AvailabilityPublic, r.endpoint.Availability)
}

func TestProjectDomainDefaultsToUsers(t *testing.T) {
	clearEnv(t)
	r, err := Auth{AuthURL: "http://k:5000/v3", Username: "u", Password: "p", UserDomainName: "Default", ProjectName: "admin"}.resolve()
	require.NoError(t, err)
	assert.Equal(t, &gophercloud.AuthScope{ProjectName: "admin", DomainName: "Default"}, r.auth.Scope)
}

func TestFromCloudsYAML(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "clouds.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`clouds:
  devstack:
    auth:
      auth_url: http://192.0.2.5/identity/v3
      username: admin
      password: yaml-secret
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
`), 0o600))
	t.Setenv("OS_CLIENT_CONFIG_FILE", file)

	r, err := Auth{Cloud: "devstack"}.resolve()
	require.NoError(t, err)
	assert.Equal(t, "http://192.0.2.5/identity/v3", r.auth.IdentityEndpoint)
	assert.Equal(t, "admin", r.auth.Username)
	assert.Equal(t, "yaml-secret", r.auth.Password)
	assert.Equal(t, "admin", r.auth.TenantName)
	assert.Equal(t, "RegionOne", r.endpoint.Region)
	assert.Equal(t, gophercloud.AvailabilityInternal, r.endpoint.Availability)

	// explicit settings win, OS_CLOUD names the cloud when Cloud does not
	t.Setenv("OS_CLOUD", "devstack")
	r, err = Auth{Password: "explicit", Region: "RegionTwo"}.resolve()
	require.NoError(t, err)
	assert.Equal(t, "explicit", r.auth.Password)
	assert.Equal(t, "RegionTwo", r.endpoint.Region)

	_, err = Auth{Cloud: "nope"}.resolve()
	assert.ErrorContains(t, err, `cloud "nope" not found`)
}

func TestNotEnoughToAuthenticate(t *testing.T) {
	clearEnv(t)
	_, err := Auth{Username: "u", Password: "hunter2"}.resolve()
	assert.ErrorContains(t, err, "tacker:authUrl")
	assert.NotContains(t, err.Error(), "hunter2")
	_, err = Auth{AuthURL: "http://k:5000/v3", Username: "u"}.resolve()
	assert.ErrorContains(t, err, "no credentials")
}

// A token and an endpoint need no Keystone, like openstack's admin_token
// auth type.
func TestTokenAndEndpoint(t *testing.T) {
	clearEnv(t)
	r, err := Auth{Token: "tok", Endpoint: "http://127.0.0.1:9890/"}.resolve()
	require.NoError(t, err)
	assert.True(t, r.tokenOnly)
}

func selfSigned(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestCABundle(t *testing.T) {
	clearEnv(t)
	ca := selfSigned(t)
	base := Auth{AuthURL: "https://k:5000/v3", Token: "t"}

	withPEM := base
	withPEM.CACert = ca
	r, err := withPEM.resolve()
	require.NoError(t, err)
	require.NotNil(t, r.tls)
	assert.NotNil(t, r.tls.RootCAs)
	assert.False(t, r.tls.InsecureSkipVerify)

	file := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(file, []byte(ca), 0o600))
	t.Setenv("OS_CACERT", file)
	r, err = base.resolve()
	require.NoError(t, err)
	assert.NotNil(t, r.tls.RootCAs, "OS_CACERT as a path")

	bad := base
	bad.CACert = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
	_, err = bad.resolve()
	assert.ErrorContains(t, err, "no PEM certificate")

	insecure := base
	insecure.Insecure = true
	t.Setenv("OS_CACERT", "")
	r, err = insecure.resolve()
	require.NoError(t, err)
	assert.True(t, r.tls.InsecureSkipVerify)
}

func TestRootURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:9890":        "http://h:9890/",
		"http://h:9890/":       "http://h:9890/",
		"http://h:9890/v1.0":   "http://h:9890/",
		"http://h:9890/v1.0/":  "http://h:9890/",
		"https://h/nfv-orch/":  "https://h/nfv-orch/",
		"https://h/nfv/v1.0/":  "https://h/nfv/",
		"http://127.0.0.1:1/x": "http://127.0.0.1:1/x/",
	} {
		got, err := rootURL(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
	_, err := rootURL("h:9890")
	assert.Error(t, err)
}
