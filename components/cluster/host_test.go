package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
	"github.com/tacker-cilium/tacker-cilium/internal/versions"
)

// A private key as the stack would pass it: only its secrecy matters here.
const hostKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-host-key\n-----END OPENSSH PRIVATE KEY-----\n"

func hostArgs(h Host) Args {
	return Args{
		Name: "aio", Versions: versions.Default(),
		PodCIDR: "10.244.0.0/16", ServiceCIDR: "10.96.0.0/12", SkipKubeProxy: true,
		Host: &h,
	}
}

// buildHost evaluates a host-mode cluster and awaits its outputs.
func buildHost(t *testing.T, a Args) (*mocks.Mocks, *Cluster, awaited) {
	t.Helper()
	var c *Cluster
	got := awaited{}
	m, err := mocks.Run(func(ctx *pulumi.Context) error {
		var err error
		if c, err = New(ctx, "aio", &a); err != nil {
			return err
		}
		for k, o := range map[string]pulumi.Output{
			"kubeconfig": c.Kubeconfig, "ssh": c.SSHPrivateKey, "api": c.APIEndpoint, "endpoint": c.ControlPlaneEndpoint,
			"hash": c.CACertHash, "ca": c.CACertPem, "nodeIP": c.Nodes[0].IP,
			"connHost": c.SSH.Host.ToStringOutput(), "connUser": c.SSH.User.ToStringPtrOutput().Elem(),
			"gate": c.Nodes[0].Gate.URN(),
		} {
			r, err := internals.UnsafeAwaitOutput(context.Background(), o)
			if err != nil {
				return err
			}
			got[k] = r
		}
		return nil
	}, "p", "s", "10.20.0.0/24", nil)
	require.NoError(t, err)
	return m, c, got
}

func TestHostModeCreatesNoOpenStackResources(t *testing.T) {
	m, c, out := buildHost(t, hostArgs(Host{Address: "203.0.113.5", User: "stack", PrivateKey: pulumi.String(hostKey), NodeIP: "10.0.0.5"}))
	types := map[string]int{}
	for _, r := range m.Resources() {
		require.False(t, strings.HasPrefix(r.Type, "openstack:"), "%s %s", r.Type, r.Name)
		types[r.Type]++
		if r.Type != "tacker-cilium:cluster:Cluster" {
			require.Contains(t, r.Parent, "tacker-cilium:cluster:Cluster", "%s %s", r.Type, r.Name)
		}
	}
	assert.Equal(t, 1, types["command:remote:Command"], "one command bootstraps the host")

	assert.Equal(t, "https://203.0.113.5:6443", out["api"].Value)
	assert.Equal(t, "10.0.0.5:6443", out["endpoint"].Value)
	assert.Equal(t, "10.0.0.5", out["nodeIP"].Value)
	require.Len(t, c.Nodes, 1)
	assert.Equal(t, "aio-cp-0", c.Nodes[0].Name)
	assert.Equal(t, "init", string(c.Nodes[0].Role))
	cmd := m.ByType("command:remote:Command")[0]
	assert.Equal(t, "aio-cp-0-bootstrap", cmd.Name)
	assert.Equal(t, cmd.URN, string(out["gate"].Value.(pulumi.URN)), "the bootstrap is the node's readiness gate")
	assert.Equal(t, "203.0.113.5", out["connHost"].Value, "later steps reach the host as the bootstrap did")
	assert.Equal(t, "stack", out["connUser"].Value)
}

// The command runs its standard input as root; the script there is the
// node's SSHScript: its files, the host-mode kubeadm config, bootstrap.sh.
func TestHostModeBootstrapScript(t *testing.T) {
	m, _, out := buildHost(t, hostArgs(Host{Address: "devstack.example.org", User: "stack", PrivateKey: pulumi.String(hostKey), NodeIP: "10.0.0.5"}))
	cmd := m.ByType("command:remote:Command")[0]
	assert.Equal(t, `if [ "$(id -u)" -eq 0 ]; then exec bash -s; else exec sudo -n bash -s; fi`, input(cmd, "create"))
	assert.False(t, cmd.Inputs["addPreviousOutputInEnv"].BoolValue())
	assert.False(t, cmd.Inputs["delete"].IsString(), "destroying the stack leaves the host as it is")

	script := input(cmd, "stdin")
	require.True(t, strings.HasPrefix(script, "#!/usr/bin/env bash\n"), script)
	for _, want := range []string{
		"put '/etc/tacker-cilium/node.env' 0600",
		"NODE_NAME='\\''aio-cp-0'\\''",
		"NODE_IP='\\''10.0.0.5'\\''",
		"put '/etc/tacker-cilium/bootstrap.sh' 0700",
		"put_pki '/etc/kubernetes/pki/ca.key' 0600",
		"put_pki '/etc/kubernetes/pki/ca.crt' 0644 '" + out["ca"].Value.(string) + "'",
		`controlPlaneEndpoint: "10.0.0.5:6443"`,
		`- "devstack.example.org"`,
		`value: "https://127.0.0.1:2382"`, // etcd off devstack's
		"taints: []",
		"exec '/etc/tacker-cilium/bootstrap.sh' '/etc/tacker-cilium/node.env'",
	} {
		assert.Contains(t, script, want)
	}
	assert.NotContains(t, script, "provider-id", "not a Nova instance")
	path := filepath.Join(t.TempDir(), "script.sh")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o600))
	b, err := exec.Command("bash", "-n", path).CombinedOutput()
	require.NoError(t, err, "%s", b)
}

func TestHostModeSecrets(t *testing.T) {
	m, _, out := buildHost(t, hostArgs(Host{Address: "203.0.113.5", PrivateKey: pulumi.String(hostKey)}))
	require.True(t, out["kubeconfig"].Secret)
	require.True(t, out["ssh"].Secret)
	require.Equal(t, hostKey, out["ssh"].Value)
	require.False(t, out["api"].Secret)
	cmd := m.ByType("command:remote:Command")[0]
	require.True(t, cmd.Inputs["stdin"].IsSecret(), "the script holds the CA keys and the token")
	require.False(t, cmd.Inputs["create"].IsSecret(), "nothing secret on the command line")
	// No secret in clear anywhere: not the SSH key, the token or a CA key.
	secrets := []string{hostKey}
	for _, s := range m.Secrets() {
		if len(s) > 16 {
			secrets = append(secrets, s)
		}
	}
	for _, r := range m.Resources() {
		for k, v := range r.Inputs {
			for _, s := range secrets {
				require.False(t, inClear(v, s), "%s %s: %s holds a secret in clear", r.Type, r.Name, k)
			}
		}
	}
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `yaml:"server"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(out["kubeconfig"].Value.(string)), &kc))
	require.Equal(t, "https://203.0.113.5:6443", kc.Clusters[0].Cluster.Server)
	assert.Equal(t, "203.0.113.5", out["nodeIP"].Value, "the node IP defaults to the address")
	assert.Equal(t, "ubuntu", out["connUser"].Value, "the user defaults to Args.SSHUser's default")
}

// inClear reports whether s appears in v outside a secret.
func inClear(v resource.PropertyValue, s string) bool {
	switch {
	case v.IsSecret():
		return false
	case v.IsString():
		return strings.Contains(v.StringValue(), s)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			if inClear(e, s) {
				return true
			}
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if inClear(e, s) {
				return true
			}
		}
	case v.IsOutput():
		return inClear(v.OutputValue().Element, s)
	}
	return false
}

// Without a key, or with an empty one, SSH uses the agent.
func TestHostModeSSHAgent(t *testing.T) {
	for name, key := range map[string]pulumi.StringInput{"no key": nil, "empty key": pulumi.String("")} {
		t.Run(name, func(t *testing.T) {
			m, _, _ := buildHost(t, hostArgs(Host{Address: "203.0.113.5", PrivateKey: key}))
			conn := mocks.Open(m.ByType("command:remote:Command")[0].Inputs["connection"]).ObjectValue()
			require.False(t, mocks.Open(conn["privateKey"]).IsString(), "ssh-agent, not a key: %v", conn["privateKey"])
			require.Equal(t, 10.0, conn["dialErrorLimit"].NumberValue(), "an existing host is not waited for like a booting VM")
		})
	}
}

func TestHostModeRefusesBadHosts(t *testing.T) {
	for _, tt := range []struct {
		host  Host
		wants []string
	}{
		{Host{}, []string{"Args.Host.Address", `""`, "Args.Host.NodeIP"}},
		{Host{Address: "devstack.example.org"}, []string{"Args.Host.NodeIP", `"devstack.example.org"`, "IPv4"}},
		{Host{Address: "203.0.113.5", NodeIP: "fd00::5"}, []string{"Args.Host.NodeIP", `"fd00::5"`}},
		{Host{Address: "stack@203.0.113.5"}, []string{"Args.Host.Address", `"stack@203.0.113.5"`}},
	} {
		a := hostArgs(tt.host)
		m, err := mocks.Run(func(ctx *pulumi.Context) error {
			_, err := New(ctx, "aio", &a)
			return err
		}, "p", "s", "10.20.0.0/24", nil)
		require.Error(t, err, "%+v", tt.host)
		for _, w := range tt.wants {
			assert.Contains(t, err.Error(), w)
		}
		assert.Empty(t, m.Resources(), "nothing registered for a bad host")
	}
}
