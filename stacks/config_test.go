package stacks

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/internal/versions"
)

// multinode is the shipped multinode stack's configuration, as the engine
// would pass it.
func multinode(t testing.TB) map[string]string {
	t.Helper()
	raw, err := ReadConfig("..", "multinode")
	require.NoError(t, err)
	return raw
}

func TestShippedStackIsValid(t *testing.T) {
	cfg, err := Decode(multinode(t))
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	require.Equal(t, versions.Default(), cfg.Versions)
	require.Equal(t, 1, cfg.ControlPlaneCount)
	require.Equal(t, 2, cfg.WorkerCount)
}

func TestValidationErrorsNameKeyValueAndAccepted(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string
		want []string // every fragment must appear in the error
	}{
		{"pod overlaps nodes", map[string]string{"podCidr": "10.20.0.0/16"},
			[]string{"tacker-cilium:nodeCidr", "tacker-cilium:podCidr", "overlap", "10.20.0.0/16"}},
		{"service overlaps pods", map[string]string{"serviceCidr": "10.244.128.0/20"},
			[]string{"tacker-cilium:podCidr", "tacker-cilium:serviceCidr", "overlap"}},
		{"service overlaps nodes", map[string]string{"serviceCidr": "10.0.0.0/8"},
			[]string{"tacker-cilium:nodeCidr", "tacker-cilium:serviceCidr", "overlap"}},
		{"bad CIDR syntax", map[string]string{"nodeCidr": "10.20.0.0/33"},
			[]string{"tacker-cilium:nodeCidr", `"10.20.0.0/33"`, "IPv4 CIDR"}},
		{"host bits set", map[string]string{"podCidr": "10.244.0.1/16"},
			[]string{"tacker-cilium:podCidr", "network address"}},
		{"two control planes", map[string]string{"controlPlaneCount": "2"},
			[]string{"tacker-cilium:controlPlaneCount", "2", "use 1, or 3"}},
		{"negative workers", map[string]string{"workerCount": "-1"},
			[]string{"tacker-cilium:workerCount", "-1", "0 or more"}},
		{"empty flavour", map[string]string{"workerFlavor": " "},
			[]string{"tacker-cilium:workerFlavor", "non-empty"}},
		{"empty image", map[string]string{"controlPlaneImage": ""},
			[]string{"tacker-cilium:controlPlaneImage", "non-empty"}},
		{"version outside matrix", map[string]string{"kubernetesVersion": "1.30", "crioVersion": "1.30"},
			[]string{"tacker-cilium:kubernetesVersion", `"1.30"`, "supported: kubernetes 1.36 / cri-o 1.36 / cilium 1.20"}},
		{"crio minor differs", map[string]string{"crioVersion": "1.35"},
			[]string{"tacker-cilium:crioVersion", `cri-o "1.35"`, "supported:"}},
		{"no SSH CIDRs", map[string]string{"sshAllowedCidrs": "[]"},
			[]string{"tacker-cilium:sshAllowedCidrs", "[]", "machines that run pulumi"}},
		{"bad API CIDR", map[string]string{"apiAllowedCidrs": `["example.org"]`},
			[]string{"tacker-cilium:apiAllowedCidrs", `"example.org"`, "IPv4 CIDR"}},
		{"bad routing mode", map[string]string{"routingMode": "bgp"},
			[]string{"tacker-cilium:routingMode", `"bgp"`, "native or tunnel"}},
		{"bad tunnel", map[string]string{"tunnelProtocol": "gre"},
			[]string{"tacker-cilium:tunnelProtocol", "vxlan or geneve"}},
		{"bad encryption", map[string]string{"encryption": "ipsec"},
			[]string{"tacker-cilium:encryption", "none or wireguard"}},
		{"bad cluster name", map[string]string{"clusterName": "East_1"},
			[]string{"tacker-cilium:clusterName", `"East_1"`, "lowercase"}},
		{"long cluster name", map[string]string{"clusterName": strings.Repeat("a", 33)},
			[]string{"tacker-cilium:clusterName", "at most 32"}},
		{"nodeport range reversed", map[string]string{"nodePortRange": "32767-30000", "nodePortAllowedCidrs": `["10.0.0.0/8"]`},
			[]string{"tacker-cilium:nodePortRange", "FROM-TO"}},
		{"nodeports open to nobody", map[string]string{"nodePortRange": "30000-32767"},
			[]string{"tacker-cilium:nodePortAllowedCidrs", "nodePortRange"}},
		{"half an existing network", map[string]string{"existingNetworkId": "net-1"},
			[]string{"tacker-cilium:existingNetworkId", "tacker-cilium:existingSubnetId", "both"}},
		{"subnet too small", map[string]string{"nodeCidr": "10.20.0.0/29", "workerCount": "5"},
			[]string{"tacker-cilium:nodeCidr", "holds 4 node addresses", "6 nodes"}},
		{"bad token ttl", map[string]string{"bootstrapTokenTtl": "forever"},
			[]string{"tacker-cilium:bootstrapTokenTtl", `"forever"`, "0s"}},
		{"bad server group policy", map[string]string{"serverGroupPolicy": "spread"},
			[]string{"tacker-cilium:serverGroupPolicy", "soft-anti-affinity"}},
		{"bad DNS server", map[string]string{"dnsServers": `["dns.example"]`},
			[]string{"tacker-cilium:dnsServers", "IPv4 address"}},
		{"negative volume", map[string]string{"workerVolumeSize": "-5"},
			[]string{"tacker-cilium:workerVolumeSize", "-5"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireInvalid(t, multinode(t), c.set, c.want...)
		})
	}
}

// requireInvalid: raw with set applied decodes, and fails validation with
// an error holding every fragment of want.
func requireInvalid(t *testing.T, raw, set map[string]string, want ...string) {
	t.Helper()
	for k, v := range set {
		raw[k] = v
	}
	cfg, err := Decode(raw)
	require.NoError(t, err)
	err = cfg.Validate()
	require.Error(t, err)
	for _, w := range want {
		require.ErrorContains(t, err, w)
	}
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	raw := multinode(t)
	raw["workerCount"] = "-1"
	raw["routingMode"] = "bgp"
	cfg, err := Decode(raw)
	require.NoError(t, err)
	err = cfg.Validate()
	require.ErrorContains(t, err, "workerCount")
	require.ErrorContains(t, err, "routingMode")
}

func TestDecodeErrors(t *testing.T) {
	for key, value := range map[string]string{
		"workerCount":          "two",
		"kubeProxyReplacement": "yes please",
		"sshAllowedCidrs":      "10.0.0.0/8",
		"workerCuont":          "3",
	} {
		raw := multinode(t)
		raw[key] = value
		_, err := Decode(raw)
		require.ErrorContains(t, err, "tacker-cilium:"+key, key)
	}
}

// The project file declares every key of Config, with a type, a description
// and a default, so that `pulumi config` and the engine know them all.
func TestPulumiYAMLDeclaresEveryKey(t *testing.T) {
	data, err := os.ReadFile("../Pulumi.yaml")
	require.NoError(t, err)
	var project struct {
		Name           string `yaml:"name"`
		Runtime        string `yaml:"runtime"`
		StackConfigDir string `yaml:"stackConfigDir"`
		Config         map[string]struct {
			Type        string `yaml:"type"`
			Description string `yaml:"description"`
			Default     any    `yaml:"default"`
		} `yaml:"config"`
	}
	require.NoError(t, yaml.Unmarshal(data, &project))
	require.Equal(t, Namespace, project.Name)
	require.Equal(t, "go", project.Runtime)
	require.Equal(t, "stacks", project.StackConfigDir)
	declared := map[string]bool{}
	for k, d := range project.Config {
		declared[k] = true
		require.NotEmpty(t, d.Type, k)
		require.NotEmpty(t, d.Description, k)
		require.NotNil(t, d.Default, k)
	}
	for _, k := range Keys() {
		require.True(t, declared[k], "Pulumi.yaml does not declare %s", k)
		delete(declared, k)
	}
	require.Empty(t, declared, "Pulumi.yaml declares keys the program does not read")
}

// Every key is set in a shipped stack file (the multinode one for the
// common keys, a use case's own for its keys), so the files double as the
// reference of what can be set. Credentials are never set in a file: they
// appear in a comment saying how to set them as secrets.
func TestShippedStacksSetEveryKey(t *testing.T) {
	files, err := filepath.Glob("Pulumi.*.yaml")
	require.NoError(t, err)
	set := map[string]bool{}
	var text strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		text.Write(data)
		var file struct {
			Config map[string]any `yaml:"config"`
		}
		require.NoError(t, yaml.Unmarshal(data, &file), f)
		for k := range file.Config {
			set[k] = true
		}
	}
	secret := map[string]bool{}
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		if typ.Field(i).Tag.Get("secret") == "true" {
			secret[typ.Field(i).Tag.Get("key")] = true
		}
	}
	require.NotEmpty(t, secret)
	for _, k := range Keys() {
		if secret[k] {
			require.False(t, set[Key(k)], "%s is a credential: no stack file may set it", k)
			require.Contains(t, text.String(), "--secret "+Key(k), "no stack file says how to set %s", k)
			continue
		}
		require.True(t, set[Key(k)], "no shipped stack file sets %s", k)
	}
	// The common keys are all in the multinode file.
	multinode, err := ReadConfig("..", "multinode")
	require.NoError(t, err)
	data, err := os.ReadFile("Pulumi.multinode.yaml")
	require.NoError(t, err)
	for _, k := range []string{"useCase", "clusterName", "workerCount", "routingMode", "tackerVim", "vimName"} {
		require.Contains(t, string(data), Key(k)+":")
		require.Contains(t, multinode, k)
	}
}

func TestReadmeDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for _, k := range Keys() {
		require.True(t, strings.Contains(string(data), "| `"+k+"` |"), "README.md configuration reference lacks %s", k)
	}
}
