package cilium

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// testCA is a mesh CA as pulumi-tls makes it (internal/pki: ECDSA P-256).
func testCA(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tacker-cilium mesh CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

func nativeProfile() Profile {
	return Profile{
		ClusterName: "aio", ClusterID: 3, APIHost: "10.20.0.10", APIPort: 6443,
		PodCIDR: "10.244.0.0/16", RoutingMode: "native", KubeProxyReplacement: true,
		NetworkMTU: 1450, Nodes: 3,
	}
}

func meshProfile(t *testing.T) Profile {
	cert, key := testCA(t)
	p := nativeProfile()
	p.ClusterName, p.ClusterID, p.PodCIDR, p.RoutingMode, p.TunnelProtocol = "east", 1, "10.1.0.0/16", "tunnel", "vxlan"
	p.Mesh = &Mesh{CACert: cert, CAKey: key, ServiceType: "NodePort", MaxConnectedClusters: 255,
		Peers: []MeshPeer{{Name: "west", IPs: []string{"10.30.0.10", "10.30.0.11"}, Port: MeshAPIServerPort}}}
	return p
}

// run evaluates New on mocks; args.Profile defaults to a plain profile.
func run(t *testing.T, profile Profile, args Args) *mocks.Mocks {
	t.Helper()
	m, err := runErr(profile, args)
	require.NoError(t, err)
	return m
}

func runErr(profile Profile, args Args) (*mocks.Mocks, error) {
	return mocks.Run(func(ctx *pulumi.Context) error {
		if args.Profile == nil {
			args.Profile = pulumi.ToOutput(profile)
		}
		if args.Kubeconfig == nil && args.Provider == nil {
			args.Kubeconfig = pulumi.ToSecret(pulumi.String("{}")).(pulumi.StringOutput)
		}
		_, err := New(ctx, "east", &args)
		return err
	}, "tacker-cilium", "multinode", "10.20.0.0/24", nil)
}

func one(t *testing.T, m *mocks.Mocks, typ string) mocks.Resource {
	t.Helper()
	rs := m.ByType(typ)
	require.Len(t, rs, 1, typ)
	return rs[0]
}

const releaseType = "kubernetes:helm.sh/v3:Release"

func values(r mocks.Resource) resource.PropertyMap {
	return mocks.Open(r.Inputs["values"]).ObjectValue()
}

func obj(v resource.PropertyValue) resource.PropertyMap { return mocks.Open(v).ObjectValue() }

func TestReleaseFromTheRepositoryAtTheMatrixVersion(t *testing.T) {
	m := run(t, nativeProfile(), Args{ChartVersion: "1.20.2"})
	comp := one(t, m, "tacker-cilium:cilium:Cilium")
	rel := one(t, m, releaseType)
	in := rel.Inputs
	assert.Equal(t, "cilium", mocks.Plain(in["name"]))
	assert.Equal(t, "cilium", mocks.Plain(in["chart"]))
	assert.Equal(t, "1.20.2", mocks.Plain(in["version"]))
	assert.Equal(t, "kube-system", mocks.Plain(in["namespace"]))
	assert.Equal(t, "https://helm.cilium.io", mocks.Plain(obj(in["repositoryOpts"])["repo"]))
	assert.True(t, in["skipAwait"].BoolValue(), "without Wait nothing awaits the DaemonSet")
	assert.Equal(t, comp.URN, rel.Parent)

	// no kubernetes provider given: the component builds one from the kubeconfig
	prov := one(t, m, "pulumi:providers:kubernetes")
	assert.Equal(t, comp.URN, prov.Parent)
	assert.True(t, prov.Inputs["kubeconfig"].IsSecret(), "the kubeconfig stays a secret")

	assert.False(t, in["values"].IsSecret(), "without a mesh CA key the values stay readable in previews")
	v := values(rel)
	assert.Equal(t, "aio", mocks.Plain(obj(v["cluster"])["name"]))
	assert.Equal(t, 3.0, obj(v["cluster"])["id"].NumberValue())
	assert.Equal(t, 1450.0, v["MTU"].NumberValue())
	assert.Empty(t, m.ByType("command:remote:Command"), "no verification without Wait")
}

func TestReleaseFromALocalChart(t *testing.T) {
	m := run(t, nativeProfile(), Args{ChartPath: "/srv/charts/cilium", Repo: "https://mirror.example/charts"})
	in := one(t, m, releaseType).Inputs
	assert.Equal(t, "/srv/charts/cilium", mocks.Plain(in["chart"]))
	_, hasRepo := in["repositoryOpts"]
	assert.False(t, hasRepo, "a local chart takes no repository")
}

func TestMeshCAKeyMakesTheValuesSecret(t *testing.T) {
	p := meshProfile(t)
	m := run(t, p, Args{ChartVersion: "1.20.2"})
	raw := one(t, m, releaseType).Inputs["values"]
	require.True(t, raw.IsSecret(), "the values hold the mesh CA key: they must be a secret even from a plain profile")
	tls := obj(obj(mocks.Open(raw).ObjectValue()["tls"])["ca"])
	assert.NotContains(t, mocks.Plain(tls["key"]), "PRIVATE KEY", "the chart takes the key base64-encoded")
}

func TestWaitVerifiesAfterTheReleaseAndEveryNodeGate(t *testing.T) {
	var gateNames []string
	m, err := mocks.Run(func(ctx *pulumi.Context) error {
		conn := remote.ConnectionArgs{Host: pulumi.String("10.20.0.10"), User: pulumi.String("ubuntu"),
			PrivateKey: pulumi.ToSecret(pulumi.String("key")).(pulumi.StringOutput)}
		var gates []pulumi.Resource
		for _, n := range []string{"cp-0", "worker-0", "worker-1"} {
			g, err := remote.NewCommand(ctx, n+"-gate", &remote.CommandArgs{Connection: conn, Create: pulumi.String("cloud-init status --wait")})
			if err != nil {
				return err
			}
			gates, gateNames = append(gates, g), append(gateNames, n+"-gate")
		}
		_, err := New(ctx, "east", &Args{
			Kubeconfig: pulumi.String("{}"), ChartVersion: "1.20.2", Profile: pulumi.ToOutput(nativeProfile()),
			Wait: true, SSH: &conn, VerifyAfter: gates,
		})
		return err
	}, "tacker-cilium", "multinode", "10.20.0.0/24", nil)
	require.NoError(t, err)

	rel := one(t, m, releaseType)
	assert.False(t, rel.Inputs["skipAwait"].BoolValue(), "Wait awaits the release's resources")
	urns := map[string]string{}
	var verify *mocks.Resource
	for _, r := range m.ByType("command:remote:Command") {
		urns[r.Name] = r.URN
		if r.Name == "east-verify" {
			verify = &r
		}
	}
	require.NotNil(t, verify, "Wait with SSH verifies the nodes")
	assert.Equal(t, VerifyScript(), mocks.Plain(verify.Inputs["create"]))
	assert.Contains(t, verify.Dependencies, rel.URN, "verification runs after the release")
	for _, g := range gateNames {
		assert.Contains(t, verify.Dependencies, urns[g], "verification waits for %s: every node has joined", g)
	}
}

func TestExtraValuesWinAndKeepTheProfilesAgentFlags(t *testing.T) {
	p := nativeProfile()
	p.DevstackHost, p.Nodes = true, 1
	m := run(t, p, Args{ChartVersion: "1.20.2", Extra: map[string]any{
		"MTU":       1400,
		"hubble":    map[string]any{"ui": map[string]any{"enabled": true}},
		"extraArgs": []any{"--log-driver=syslog"},
	}})
	v := values(one(t, m, releaseType))
	assert.Equal(t, 1400.0, v["MTU"].NumberValue(), "a user value wins")
	hubble := obj(v["hubble"])
	assert.True(t, obj(hubble["ui"])["enabled"].BoolValue(), "a user value wins inside a map")
	assert.True(t, obj(hubble["relay"])["enabled"].BoolValue(), "maps merge key by key: the profile's relay stays")
	var args []string
	for _, a := range v["extraArgs"].ArrayValue() {
		args = append(args, mocks.Plain(a))
	}
	assert.Equal(t, []string{"--gops-port=9895", "--log-driver=syslog"}, args,
		"the user's agent flags come after the profile's, which stay: dropping the gops port would clash with Tacker again")
}

func TestBadProfileFailsThePreview(t *testing.T) {
	p := nativeProfile()
	p.ClusterName = "East_1"
	_, err := runErr(p, Args{ChartVersion: "1.20.2"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `ClusterName "East_1"`)
}

func TestArgsAreChecked(t *testing.T) {
	_, err := mocks.Run(func(ctx *pulumi.Context) error {
		_, err := New(ctx, "east", &Args{ChartVersion: "1.20.2"})
		return err
	}, "p", "s", "10.20.0.0/24", nil)
	assert.ErrorContains(t, err, "Args.Profile is required")
	_, err = runErr(nativeProfile(), Args{})
	assert.ErrorContains(t, err, "Args.ChartVersion is required")
}

func TestProfileErrorsNameFieldValueAndWhatIsAccepted(t *testing.T) {
	cert, key := testCA(t)
	cases := []struct {
		name   string
		change func(p *Profile)
		want   []string
	}{
		{"cluster name", func(p *Profile) { p.ClusterName = "East_1" }, []string{"ClusterName", `"East_1"`, "lowercase"}},
		{"long cluster name", func(p *Profile) { p.ClusterName = strings.Repeat("a", 33) }, []string{"ClusterName", "at most 32"}},
		{"default name with an id", func(p *Profile) { p.ClusterName = "default" }, []string{"ClusterName", "ID 0"}},
		{"cluster id", func(p *Profile) { p.ClusterID = 256 }, []string{"ClusterID", "256", "0-255"}},
		{"routing mode", func(p *Profile) { p.RoutingMode = "bgp" }, []string{"RoutingMode", `"bgp"`, "native or tunnel"}},
		{"tunnel protocol", func(p *Profile) { p.RoutingMode, p.TunnelProtocol = "tunnel", "gre" }, []string{"TunnelProtocol", `"gre"`, "vxlan or geneve"}},
		{"geneve on devstack", func(p *Profile) { p.DevstackHost, p.RoutingMode, p.TunnelProtocol = true, "tunnel", "geneve" },
			[]string{"TunnelProtocol", `"geneve"`, "6081/udp", "vxlan"}},
		{"api host", func(p *Profile) { p.APIHost = "" }, []string{"APIHost", "kube-proxy replacement"}},
		{"api port", func(p *Profile) { p.APIPort = 0 }, []string{"APIPort", "1-65535"}},
		{"pod cidr", func(p *Profile) { p.PodCIDR = "10.244.0.0/33" }, []string{"PodCIDR", `"10.244.0.0/33"`, "IPv4 CIDR"}},
		{"pod cidr host bits", func(p *Profile) { p.PodCIDR = "10.244.1.0/16" }, []string{"PodCIDR", "10.244.0.0/16"}},
		{"pod cidr too small", func(p *Profile) { p.PodCIDR, p.Nodes = "10.244.0.0/23", 6 }, []string{"PodCIDR", "/24", "6 nodes", "/21"}},
		{"native cidr", func(p *Profile) { p.NativeRoutingCIDR = "10.245.0.0/16" }, []string{"NativeRoutingCIDR", "cover PodCIDR 10.244.0.0/16"}},
		{"nodes", func(p *Profile) { p.Nodes = 0 }, []string{"Nodes", "at least 1"}},
		{"mtu", func(p *Profile) { p.NetworkMTU = 900 }, []string{"NetworkMTU", "900", "1280-65520", "0 to let Cilium detect"}},
		{"gops 9890 on devstack", func(p *Profile) { p.DevstackHost, p.AgentGopsPort = true, 9890 }, []string{"AgentGopsPort", "9890", "Tacker"}},
		{"gops on the operator's port", func(p *Profile) { p.AgentGopsPort = 9891 }, []string{"AgentGopsPort", "9891", "operator's gops"}},
		{"gops port range", func(p *Profile) { p.AgentGopsPort = 70000 }, []string{"AgentGopsPort", "70000", "1-65535"}},
		{"devices", func(p *Profile) { p.Devices = []string{"eth0,eth1"} }, []string{"Devices", "eth0,eth1", "one per item"}},
		{"mesh id", func(p *Profile) {
			p.ClusterID, p.Mesh = 0, &Mesh{CACert: cert, CAKey: key}
			p.RoutingMode = "tunnel"
		}, []string{"ClusterID", "1-255"}},
		{"native mesh", func(p *Profile) { p.Mesh = &Mesh{CACert: cert, CAKey: key} }, []string{"NativeRoutingCIDR", "every cluster"}},
		{"mesh ca", func(p *Profile) { p.RoutingMode, p.Mesh = "tunnel", &Mesh{CACert: "x", CAKey: cert} },
			[]string{"Mesh.CACert", "PEM", "Mesh.CAKey", "private key"}},
		{"mesh service", func(p *Profile) {
			p.RoutingMode, p.Mesh = "tunnel", &Mesh{CACert: cert, CAKey: key, ServiceType: "ClusterIP"}
		},
			[]string{"Mesh.ServiceType", `"ClusterIP"`, "NodePort or LoadBalancer"}},
		{"mesh size", func(p *Profile) {
			p.RoutingMode, p.Mesh = "tunnel", &Mesh{CACert: cert, CAKey: key, MaxConnectedClusters: 300}
		}, []string{"Mesh.MaxConnectedClusters", "300", "255 or 511"}},
		{"mesh peer", func(p *Profile) {
			p.RoutingMode, p.Mesh = "tunnel", &Mesh{CACert: cert, CAKey: key, Peers: []MeshPeer{
				{Name: "aio", IPs: []string{"10.30.0.10"}}, {Name: "west", IPs: []string{"west.example"}}, {Name: "west"}}}
		}, []string{"Peers[0].Name", "that is this cluster", "Peers[1].IPs", `"west.example"`, "Peers[2].Name", "unique", "Peers[2].IPs", "node IPs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := nativeProfile()
			c.change(&p)
			err := p.Validate()
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}

	// and the profiles the tests render are valid
	for _, p := range []Profile{nativeProfile(), meshProfile(t), devstackProfile()} {
		assert.NoError(t, p.Validate(), p.ClusterName)
	}
	big := meshProfile(t)
	big.ClusterID, big.Mesh.MaxConnectedClusters = 400, 511
	assert.NoError(t, big.Validate(), "511 clusters allow IDs up to 511")
}

func devstackProfile() Profile {
	return Profile{
		ClusterName: "aio", ClusterID: 0, APIHost: "192.168.10.5", APIPort: 6443,
		PodCIDR: "10.244.0.0/16", RoutingMode: "tunnel", TunnelProtocol: "vxlan", KubeProxyReplacement: true,
		Nodes: 1, DevstackHost: true,
	}
}

func TestPodMTUSubtractsWhatCiliumAddsOnTheWire(t *testing.T) {
	// Cilium 1.20 pkg/mtu: VXLAN/Geneve 50 bytes on IPv4, WireGuard 95.
	cases := []struct {
		network   int
		routing   string
		wireguard bool
		want      int
	}{
		{1450, "native", false, 1450}, // Neutron VXLAN tenant network, no encapsulation by Cilium
		{1450, "tunnel", false, 1400}, // 1450 - 50
		{1442, "tunnel", false, 1392}, // OVN Geneve tenant network: 1442 - 50
		{1442, "native", false, 1442},
		{1450, "native", true, 1355}, // 1450 - 95
		{1450, "tunnel", true, 1305}, // 1450 - 50 - 95
		{0, "tunnel", true, 0},       // left to Cilium's detection
	}
	for _, c := range cases {
		assert.Equal(t, c.want, PodMTU(Profile{NetworkMTU: c.network, RoutingMode: c.routing, WireGuard: c.wireguard}), "%+v", c)
	}
}

func TestGopsPort(t *testing.T) {
	p := nativeProfile()
	assert.Equal(t, 9890, p.GopsPort(), "Cilium's own default off devstack")
	assert.Empty(t, Build(p).ExtraArgs, "nothing to move")
	p.DevstackHost = true
	assert.Equal(t, 9895, p.GopsPort())
	p.AgentGopsPort = 19890
	assert.Equal(t, []string{"--gops-port=19890"}, Build(p).ExtraArgs)
}

func TestVerifyScriptPassesShellcheck(t *testing.T) {
	out, err := tooltest.Run(t, "shellcheck", "verify.sh")
	assert.NoError(t, err, out)
}
