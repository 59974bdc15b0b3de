package tacker

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/keystonetest"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/provider"
)

// clearOS hides the machine's own OpenStack settings.
func clearOS(t *testing.T) {
	for _, k := range []string{"OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_TOKEN",
		"OS_PROJECT_NAME", "OS_PROJECT_ID", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_REGION_NAME",
		"OS_INTERFACE", "OS_CACERT", "OS_INSECURE", "OS_TENANT_NAME", "OS_DOMAIN_NAME"} {
		t.Setenv(k, "")
	}
}

func providerServer(t *testing.T, config map[string]property.Value) integration.Server {
	t.Helper()
	prov, err := provider.New()
	require.NoError(t, err)
	s, err := integration.NewServer(t.Context(), provider.Name, semver.MustParse(provider.Version), integration.WithProvider(prov))
	require.NoError(t, err)
	require.NoError(t, s.Configure(p.ConfigureRequest{Args: property.NewMap(config)}))
	return s
}

func vimInputs(name, token string) property.Map {
	return property.NewMap(map[string]property.Value{
		"name":        property.New(name),
		"authUrl":     property.New("https://203.0.113.10:6443"),
		"bearerToken": property.New(token).WithSecret(true),
		"project":     property.New("default"),
		"extra":       property.New(map[string]property.Value{"useHelm": property.New(true)}),
	})
}

// The provider logs in to Keystone with explicit settings, finds Tacker
// under nfv-orchestration in the catalog, and every call it makes carries
// a token that Keystone itself validates.
func TestProviderThroughKeystone(t *testing.T) {
	k, tk := openstack(t)
	clearOS(t)
	s := providerServer(t, map[string]property.Value{
		"authUrl":           property.New(k.URL),
		"username":          property.New("admin"),
		"password":          property.New(k.AdminPassword).WithSecret(true),
		"projectName":       property.New("admin"),
		"userDomainName":    property.New("Default"),
		"projectDomainName": property.New("Default"),
		"region":            property.New(keystonetest.Region),
	})
	urn := resource.NewURN("dev", "tacker-cilium", "", "tacker:index:Vim", "through-keystone")
	checked, err := s.Check(p.CheckRequest{Urn: urn, Inputs: vimInputs("through-keystone", "sa-1")})
	require.NoError(t, err)
	require.Empty(t, checked.Failures)

	created, err := s.Create(p.CreateRequest{Urn: urn, Properties: checked.Inputs})
	require.NoError(t, err)
	adminProject, ok := k.Validate(tk.Requests()[0].Token)
	require.True(t, ok, "the token Tacker got is one Keystone issued")
	assert.Equal(t, adminProject, created.Properties.Get("tenantId").AsString(), "the VIM belongs to the token's project")

	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: urn, Properties: created.Properties, Inputs: checked.Inputs})
	require.NoError(t, err)
	assert.Equal(t, created.ID, read.ID)

	rotated, err := s.Check(p.CheckRequest{Urn: urn, Inputs: vimInputs("through-keystone", "sa-2")})
	require.NoError(t, err)
	_, err = s.Update(p.UpdateRequest{ID: created.ID, Urn: urn, State: created.Properties, Inputs: rotated.Inputs})
	require.NoError(t, err)
	v, _ := tk.Vim(created.ID)
	assert.Equal(t, "sa-2", v.AuthCred["bearer_token"])

	require.NoError(t, s.Delete(p.DeleteRequest{ID: created.ID, Urn: urn, Properties: created.Properties}))
	for _, r := range tk.Requests() {
		assert.Less(t, r.Status, 300, "%s %s answered %d", r.Method, r.Path, r.Status)
		_, ok := k.Validate(r.Token)
		assert.True(t, ok, "%s %s carried a Keystone token", r.Method, r.Path)
	}
	_, ok = tk.Vim(created.ID)
	assert.False(t, ok)
}

// The same login from an openrc's OS_* variables, as a user of another
// project: the VIM is that project's.
func TestOpenrc(t *testing.T) {
	k, tk := openstack(t)
	clearOS(t)
	for key, v := range map[string]string{
		"OS_AUTH_URL": k.URL, "OS_USERNAME": "nfv_user", "OS_PASSWORD": "nfv-password", "OS_PROJECT_NAME": "nfv",
		"OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default", "OS_REGION_NAME": keystonetest.Region,
		"OS_INTERFACE": "internal",
	} {
		t.Setenv(key, v)
	}
	c, err := tacker.Connect(context.Background(), tacker.Auth{})
	require.NoError(t, err)
	assert.Equal(t, tk.URL, c.Endpoint(), "found in the catalog")
	v, err := c.CreateVim(context.Background(), tacker.VimSpec{Name: "from-openrc", AuthURL: "https://192.0.2.7:6443", BearerToken: "t", Project: "default"})
	require.NoError(t, err)
	nfv, ok := k.Validate(tk.Requests()[0].Token)
	require.True(t, ok)
	assert.Equal(t, nfv, v.TenantID)

	// another project does not see it, as in Tacker
	admin, err := tacker.Connect(context.Background(), tacker.Auth{AuthURL: k.URL, Username: "admin", Password: k.AdminPassword,
		ProjectName: "admin", UserDomainName: "Default"})
	require.NoError(t, err)
	_, err = admin.GetVim(context.Background(), v.ID)
	assert.ErrorIs(t, err, tacker.ErrNotFound)
	require.NoError(t, c.DeleteVim(context.Background(), v.ID))
}

// clouds.yaml, named by the provider's cloud setting, with a secure.yaml
// beside it holding the password, as the openstack CLI reads them.
func TestCloudsYAML(t *testing.T) {
	k, _ := openstack(t)
	clearOS(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "clouds.yaml"), []byte(`clouds:
  loopback:
    auth:
      auth_url: `+k.URL+`
      username: nfv_user
      project_name: nfv
      user_domain_name: Default
      project_domain_name: Default
    region_name: `+keystonetest.Region+`
    interface: public
    identity_api_version: 3
`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "secure.yaml"), []byte(`clouds:
  loopback:
    auth:
      password: nfv-password
`), 0o600))
	t.Setenv("OS_CLIENT_CONFIG_FILE", filepath.Join(dir, "clouds.yaml"))

	s := providerServer(t, map[string]property.Value{"cloud": property.New("loopback")})
	urn := resource.NewURN("dev", "tacker-cilium", "", "tacker:index:Vim", "from-clouds-yaml")
	checked, err := s.Check(p.CheckRequest{Urn: urn, Inputs: vimInputs("from-clouds-yaml", "sa")})
	require.NoError(t, err)
	created, err := s.Create(p.CreateRequest{Urn: urn, Properties: checked.Inputs})
	require.NoError(t, err)
	require.NoError(t, s.Delete(p.DeleteRequest{ID: created.ID, Urn: urn, Properties: created.Properties}))
}

// Keystone's refusal reaches the user, the password does not.
func TestWrongPassword(t *testing.T) {
	k, _ := openstack(t)
	clearOS(t)
	_, err := tacker.Connect(context.Background(), tacker.Auth{AuthURL: k.URL, Username: "admin", Password: "not-the-password",
		ProjectName: "admin", UserDomainName: "Default"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused the credentials: 401")
	assert.Contains(t, err.Error(), "requires authentication")
	assert.NotContains(t, err.Error(), "not-the-password")
}

// A region without Tacker says so, naming the service type.
func TestNoTackerInRegion(t *testing.T) {
	k, _ := openstack(t)
	clearOS(t)
	_, err := tacker.Connect(context.Background(), tacker.Auth{AuthURL: k.URL, Username: "admin", Password: k.AdminPassword,
		ProjectName: "admin", UserDomainName: "Default", Region: "RegionTwo"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no nfv-orchestration endpoint in the Keystone catalog (region "RegionTwo"`)
}

// The endpoint setting bypasses the catalog but still logs in.
func TestEndpointOverride(t *testing.T) {
	k, tk := openstack(t)
	clearOS(t)
	c, err := tacker.Connect(context.Background(), tacker.Auth{AuthURL: k.URL, Username: "admin", Password: k.AdminPassword,
		ProjectName: "admin", UserDomainName: "Default", Region: "RegionTwo", Endpoint: tk.URL})
	require.NoError(t, err)
	_, err = c.ListVims(context.Background())
	require.NoError(t, err)
}
