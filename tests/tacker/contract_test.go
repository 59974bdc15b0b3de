package tacker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/keystonetest"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// vimConfig is a vim_config.yaml, the file `openstack vim register
// --config-file` reads (Tacker's reference/vim_config).
type vimConfig struct {
	AuthURL     string         `yaml:"auth_url"`
	BearerToken string         `yaml:"bearer_token"`
	SSLCACert   string         `yaml:"ssl_ca_cert,omitempty"`
	ProjectName string         `yaml:"project_name"`
	Type        string         `yaml:"type"`
	Extra       map[string]any `yaml:"extra,omitempty"`
}

// registration is one `openstack vim register` call: the file and flags.
type registration struct {
	config      vimConfig
	name        string
	description string // empty: no --description
	isDefault   bool
}

// inputs are the provider's inputs for the same registration: the mapping
// docs/tacker.md documents.
func (r registration) inputs() property.Map {
	m := map[string]property.Value{
		"name":        property.New(r.name),
		"type":        property.New(r.config.Type),
		"authUrl":     property.New(r.config.AuthURL),
		"bearerToken": property.New(r.config.BearerToken).WithSecret(true),
		"project":     property.New(r.config.ProjectName),
		"isDefault":   property.New(r.isDefault),
	}
	if r.config.SSLCACert != "" {
		m["sslCaCert"] = property.New(r.config.SSLCACert)
	}
	if r.description != "" {
		m["description"] = property.New(r.description)
	}
	if use, ok := r.config.Extra["use_helm"].(bool); ok {
		m["extra"] = property.New(map[string]property.Value{"useHelm": property.New(use)})
	}
	return property.NewMap(m)
}

func (r registration) file(t *testing.T) string {
	t.Helper()
	b, err := yaml.Marshal(r.config)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "vim_config.yaml")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

func clusterCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// osc runs Debian's openstack CLI (python3-openstackclient with the
// python3-tackerclient plugin) as the Keystone admin.
func osc(t *testing.T, k *keystonetest.Keystone, args ...string) string {
	t.Helper()
	bin := tooltest.Path(t, "openstack")
	cmd := exec.Command(bin, args...)
	// only Keystone's settings, not the machine's
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "LANG=C.UTF-8"}, k.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "is not an openstack command") && !strings.Contains(string(out), "vim register") {
			t.Fatalf("openstack %s: python3-tackerclient is not installed: run scripts/tools.sh keystone\n%s", args[0], out)
		}
		t.Fatalf("openstack %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// sent is the body of the one request of that method the stand-in got.
func sent(t *testing.T, tk *tackertest.Server, method string) string {
	t.Helper()
	var bodies []string
	for _, r := range tk.Requests() {
		if r.Method == method {
			require.Less(t, r.Status, 300, "%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Body)
			bodies = append(bodies, string(r.Body))
		}
	}
	require.Len(t, bodies, 1, "one %s", method)
	return bodies[0]
}

func adminProvider(t *testing.T, k *keystonetest.Keystone) integration.Server {
	t.Helper()
	clearOS(t)
	return providerServer(t, map[string]property.Value{
		"authUrl": property.New(k.URL), "username": property.New("admin"),
		"password":    property.New(k.AdminPassword).WithSecret(true),
		"projectName": property.New("admin"), "userDomainName": property.New("Default"),
	})
}

// For the same vim_config.yaml, the body the provider POSTs is the body
// `openstack vim register --config-file` POSTs, key order aside.
func TestRegisterBodyMatchesTackerclient(t *testing.T) {
	k, tk := openstack(t)
	prov := adminProvider(t, k)
	ca := clusterCA(t)
	for name, r := range map[string]registration{
		"full": {name: "contract-full", description: "Kubernetes with Cilium", isDefault: true, config: vimConfig{
			AuthURL: "https://203.0.113.10:6443", BearerToken: "eyJhbGciOiJSUzI1NiJ9.sa-token", SSLCACert: ca,
			ProjectName: "default", Type: "kubernetes", Extra: map[string]any{"use_helm": true}}},
		"minimal": {name: "contract-minimal", config: vimConfig{
			AuthURL: "https://198.51.100.4:6443", BearerToken: "token-2", ProjectName: "cnf", Type: "kubernetes"}},
		"helm off": {name: "contract-nohelm", description: "d", config: vimConfig{
			AuthURL: "https://198.51.100.5:6443", BearerToken: "token-3", SSLCACert: ca,
			ProjectName: "default", Type: "kubernetes", Extra: map[string]any{"use_helm": false}}},
	} {
		t.Run(name, func(t *testing.T) {
			args := []string{"vim", "register", "--config-file", r.file(t)}
			if r.description != "" {
				args = append(args, "--description", r.description)
			}
			if r.isDefault {
				args = append(args, "--is-default")
			}
			tk.Reset()
			osc(t, k, append(args, r.name)...)
			cli := sent(t, tk, "POST")
			for _, v := range tk.Vims() {
				if v.Name == r.name {
					tk.Remove(v.ID) // the name is free again for the provider
				}
			}

			tk.Reset()
			urn := resource.NewURN("dev", "tacker-cilium", "", "tacker:index:Vim", r.name)
			checked, err := prov.Check(p.CheckRequest{Urn: urn, Inputs: r.inputs()})
			require.NoError(t, err)
			require.Empty(t, checked.Failures)
			created, err := prov.Create(p.CreateRequest{Urn: urn, Properties: checked.Inputs})
			require.NoError(t, err)
			ours := sent(t, tk, "POST")
			t.Logf("python-tackerclient: %s\nprovider:            %s", cli, ours)
			assert.JSONEq(t, cli, ours)
			tk.Remove(created.ID)
		})
	}
}

// For the same vim_config.yaml and flags, the provider's PUT is the body
// `openstack vim set --config-file --name --description --is-default`
// sends: how a rotated token reaches Tacker.
func TestUpdateBodyMatchesTackerclient(t *testing.T) {
	k, tk := openstack(t)
	prov := adminProvider(t, k)
	ca := clusterCA(t)
	before := registration{name: "contract-update", description: "first", isDefault: true, config: vimConfig{
		AuthURL: "https://203.0.113.20:6443", BearerToken: "token-before", SSLCACert: ca,
		ProjectName: "default", Type: "kubernetes", Extra: map[string]any{"use_helm": true}}}
	after := before
	after.description, after.isDefault = "", false
	after.config.BearerToken, after.config.ProjectName, after.config.Extra = "token-after", "cnf", map[string]any{"use_helm": false}

	urn := resource.NewURN("dev", "tacker-cilium", "", "tacker:index:Vim", before.name)
	checked, err := prov.Check(p.CheckRequest{Urn: urn, Inputs: before.inputs()})
	require.NoError(t, err)
	created, err := prov.Create(p.CreateRequest{Urn: urn, Properties: checked.Inputs})
	require.NoError(t, err)

	tk.Reset()
	isDefault := "False"
	if after.isDefault {
		isDefault = "True"
	}
	osc(t, k, "vim", "set", "--config-file", after.file(t), "--name", after.name,
		"--description", after.description, "--is-default", isDefault, created.ID)
	cli := sent(t, tk, "PUT")

	tk.Reset()
	rotated, err := prov.Check(p.CheckRequest{Urn: urn, Inputs: after.inputs()})
	require.NoError(t, err)
	_, err = prov.Update(p.UpdateRequest{ID: created.ID, Urn: urn, State: created.Properties, Inputs: rotated.Inputs})
	require.NoError(t, err)
	ours := sent(t, tk, "PUT")
	t.Logf("python-tackerclient: %s\nprovider:            %s", cli, ours)
	assert.JSONEq(t, cli, ours)
	tk.Remove(created.ID)
}

// `openstack vim list` and `openstack vim show` read what the provider
// registered: the commands docs/tacker.md tells operators to check with.
func TestOpenstackVimShowsProvidersVim(t *testing.T) {
	k, tk := openstack(t)
	prov := adminProvider(t, k)
	r := registration{name: "shown", description: "registered by pulumi", config: vimConfig{
		AuthURL: "https://203.0.113.30:6443", BearerToken: "tok", ProjectName: "default", Type: "kubernetes",
		Extra: map[string]any{"use_helm": true}}}
	urn := resource.NewURN("dev", "tacker-cilium", "", "tacker:index:Vim", r.name)
	checked, err := prov.Check(p.CheckRequest{Urn: urn, Inputs: r.inputs()})
	require.NoError(t, err)
	created, err := prov.Create(p.CreateRequest{Urn: urn, Properties: checked.Inputs})
	require.NoError(t, err)
	defer tk.Remove(created.ID)

	list := osc(t, k, "vim", "list", "-f", "value", "-c", "ID", "-c", "Name", "-c", "Type")
	assert.Contains(t, list, created.ID+" shown kubernetes")
	// the table operators read; -f yaml cannot print extra (a dict) in
	// python-tackerclient 1.12, -f json can
	table := osc(t, k, "vim", "show", "shown")
	assert.Contains(t, table, "use_helm")
	show := osc(t, k, "vim", "show", "shown", "-f", "json")
	var shown map[string]any
	require.NoError(t, json.Unmarshal([]byte(show), &shown), show)
	assert.Equal(t, created.ID, shown["id"])
	assert.Equal(t, "https://203.0.113.30:6443", shown["auth_url"])
	assert.Equal(t, "PENDING", shown["status"])
	assert.NotContains(t, show, "tok\n", "Tacker masks the token")
}
