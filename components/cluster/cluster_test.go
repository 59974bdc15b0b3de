package cluster

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
	"github.com/tacker-cilium/tacker-cilium/internal/versions"
)

func args(cps, workers int) Args {
	return Args{
		Name: "east", Versions: versions.Default(),
		ControlPlane: Pool{Count: cps, Flavor: "m1.large", Image: "ubuntu-24.04"},
		Workers:      Pool{Count: workers, Flavor: "m1.medium", Image: "ubuntu-24.04"},
		Network: Network{
			NetworkID: pulumi.String("net-id"), SubnetID: pulumi.String("subnet-id"),
			NodeSecGroupID: pulumi.String("sg-nodes"), ControlPlaneSecGroupID: pulumi.String("sg-cp"),
			FloatingIPPool: pulumi.String("public"),
		},
		PodCIDR: "10.244.0.0/16", ServiceCIDR: "10.96.0.0/12",
		NativeRouting: true, SkipKubeProxy: true,
	}
}

// awaited are a cluster's outputs after evaluation, with their secretness.
type awaited map[string]internals.UnsafeAwaitOutputResult

func build(t *testing.T, a Args) (*mocks.Mocks, awaited) {
	t.Helper()
	got := awaited{}
	m, err := mocks.Run(func(ctx *pulumi.Context) error {
		c, err := New(ctx, "east", &a)
		if err != nil {
			return err
		}
		for k, o := range map[string]pulumi.Output{
			"kubeconfig": c.Kubeconfig, "ssh": c.SSHPrivateKey, "api": c.APIEndpoint,
			"hash": c.CACertHash, "ca": c.CACertPem,
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
	return m, got
}

func input(r mocks.Resource, k string) string { return mocks.Plain(r.Inputs[resource.PropertyKey(k)]) }

func TestOneControlPlaneTwoWorkers(t *testing.T) {
	m, _ := build(t, args(1, 2))
	vms := m.ByType("openstack:compute/instance:Instance")
	require.Len(t, vms, 3)
	roles := map[string]string{}
	for _, vm := range vms {
		roles[input(vm, "name")] = mocks.Plain(vm.Inputs["metadata"].ObjectValue()["tacker-cilium-role"])
		require.Equal(t, "flavor-"+map[bool]string{true: "m1.large", false: "m1.medium"}[strings.Contains(input(vm, "name"), "-cp-")], input(vm, "flavorId"))
		require.Equal(t, "image-ubuntu-24.04", input(vm, "imageId"))
		require.Contains(t, vm.IgnoreChanges, "userData", "a bootstrap change must not replace running nodes")
	}
	require.Equal(t, map[string]string{"east-cp-0": "init", "east-worker-0": "worker", "east-worker-1": "worker"}, roles)
	require.Len(t, m.ByType("openstack:networking/floatingIp:FloatingIp"), 1)
	require.Len(t, m.ByType("openstack:compute/serverGroup:ServerGroup"), 2)
	require.Len(t, gates(m), 3, "one readiness gate per node")
	for _, sg := range m.ByType("openstack:compute/serverGroup:ServerGroup") {
		require.Equal(t, "soft-anti-affinity", mocks.Plain(sg.Inputs["policies"].ArrayValue()[0]))
	}
	for _, r := range m.Resources() {
		if r.Type != "tacker-cilium:cluster:Cluster" {
			require.Contains(t, r.Parent, "tacker-cilium:cluster:Cluster", "%s %s", r.Type, r.Name)
		}
	}
}

func TestThreeControlPlanes(t *testing.T) {
	m, _ := build(t, args(3, 2))
	roles := map[string]int{}
	for _, vm := range m.ByType("openstack:compute/instance:Instance") {
		roles[mocks.Plain(vm.Inputs["metadata"].ObjectValue()["tacker-cilium-role"])]++
	}
	require.Equal(t, map[string]int{"init": 1, "control-plane": 2, "worker": 2}, roles)
	fips := m.ByType("openstack:networking/floatingIp:FloatingIp")
	require.Len(t, fips, 3)
	// The first control plane's kubeadm config carries every floating IP as
	// a SAN, since the others take their ClusterConfiguration from it.
	for _, vm := range m.ByType("openstack:compute/instance:Instance") {
		if input(vm, "name") != "east-cp-0" {
			continue
		}
		for _, fip := range fips {
			require.Contains(t, input(vm, "userData"), fip.Outputs["address"].StringValue())
		}
	}
}

func TestPortsSecurityGroupsAndAddressPairs(t *testing.T) {
	m, _ := build(t, args(1, 1))
	for _, p := range m.ByType("openstack:networking/port:Port") {
		var sgs []string
		for _, v := range p.Inputs["securityGroupIds"].ArrayValue() {
			sgs = append(sgs, mocks.Plain(v))
		}
		if strings.Contains(p.Name, "-cp-") {
			require.ElementsMatch(t, []string{"sg-nodes", "sg-cp"}, sgs)
		} else {
			require.Equal(t, []string{"sg-nodes"}, sgs)
		}
		pairs := p.Inputs["allowedAddressPairs"].ArrayValue()
		require.Len(t, pairs, 1)
		require.Equal(t, "10.244.0.0/16", mocks.Plain(pairs[0].ObjectValue()["ipAddress"]))
	}
	a := args(1, 1)
	a.NativeRouting = false
	m, _ = build(t, a)
	for _, p := range m.ByType("openstack:networking/port:Port") {
		require.False(t, p.Inputs["allowedAddressPairs"].IsArray(), "no address pairs when tunnelling")
	}
}

func TestSecretsStaySecret(t *testing.T) {
	m, out := build(t, args(1, 1))
	require.True(t, out["kubeconfig"].Secret)
	require.True(t, out["ssh"].Secret)
	require.False(t, out["api"].Secret)
	for _, vm := range m.ByType("openstack:compute/instance:Instance") {
		require.True(t, vm.Inputs["userData"].IsSecret(), "user_data holds keys and the token")
	}
	require.Contains(t, out["ssh"].Value.(string), "OPENSSH PRIVATE KEY")
}

// The hash in the joiners' config pins the CA the control plane serves.
func TestCACertHashMatchesTheCA(t *testing.T) {
	_, out := build(t, args(1, 1))
	block, _ := pem.Decode([]byte(out["ca"].Value.(string)))
	ca, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	sum := sha256.Sum256(ca.RawSubjectPublicKeyInfo)
	require.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), out["hash"].Value)
	require.True(t, ca.IsCA)
	require.Equal(t, "kubernetes", ca.Subject.CommonName)
}

func TestAdminKubeconfig(t *testing.T) {
	m, out := build(t, args(1, 0))
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `yaml:"server"`
				CA     string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []struct {
			User struct {
				Cert string `yaml:"client-certificate-data"`
				Key  string `yaml:"client-key-data"`
			} `yaml:"user"`
		} `yaml:"users"`
		Current string `yaml:"current-context"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(out["kubeconfig"].Value.(string)), &kc))
	fip := m.ByType("openstack:networking/floatingIp:FloatingIp")[0].Outputs["address"].StringValue()
	require.Equal(t, "https://"+fip+":6443", kc.Clusters[0].Cluster.Server)
	require.Equal(t, out["api"].Value, kc.Clusters[0].Cluster.Server)

	decode := func(s string) []byte { b, err := base64.StdEncoding.DecodeString(s); require.NoError(t, err); return b }
	caBlock, _ := pem.Decode(decode(kc.Clusters[0].Cluster.CA))
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	require.NoError(t, err)
	certBlock, _ := pem.Decode(decode(kc.Users[0].User.Cert))
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	_, err = cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err, "the admin certificate is signed by the cluster CA for client auth")
	require.Equal(t, []string{"kubeadm:cluster-admins"}, cert.Subject.Organization)
	keyBlock, _ := pem.Decode(decode(kc.Users[0].User.Key))
	require.NotNil(t, keyBlock)
}

// gates are the readiness gates, the remote commands named <node>-ready.
func gates(m *mocks.Mocks) []mocks.Resource {
	var out []mocks.Resource
	for _, c := range m.ByType("command:remote:Command") {
		if strings.HasSuffix(c.Name, "-ready") {
			out = append(out, c)
		}
	}
	return out
}

// After every gate, the sweep runs on the first control plane with the ids
// of every server, and again whenever they change.
func TestNodeSweepFollowsTheServers(t *testing.T) {
	m, _ := build(t, args(1, 2))
	var sweep *mocks.Resource
	for _, c := range m.ByType("command:remote:Command") {
		if c.Name == "east-node-sweep" {
			sweep = &c
		}
	}
	require.NotNil(t, sweep)
	require.Equal(t, "LIVE_SERVERS='east-cp-0-id east-worker-0-id east-worker-1-id' bash -s", input(*sweep, "create"))
	require.Contains(t, input(*sweep, "stdin"), "k delete node")
	for _, g := range gates(m) {
		require.Contains(t, sweep.Dependencies, g.URN, "the sweep waits for %s", g.Name)
	}
	fip := m.ByType("openstack:networking/floatingIp:FloatingIp")[0].Outputs["address"].StringValue()
	require.Equal(t, fip, mocks.Plain(mocks.Open(sweep.Inputs["connection"]).ObjectValue()["host"]))
}

func TestGatesReachEveryNode(t *testing.T) {
	m, _ := build(t, args(1, 2))
	fip := m.ByType("openstack:networking/floatingIp:FloatingIp")[0].Outputs["address"].StringValue()
	vmURNs := map[string]string{}
	for _, vm := range m.ByType("openstack:compute/instance:Instance") {
		vmURNs[input(vm, "name")] = vm.URN
	}
	for _, g := range gates(m) {
		node := strings.TrimSuffix(g.Name, "-ready")
		conn := mocks.Open(g.Inputs["connection"]).ObjectValue()
		require.Contains(t, g.Dependencies, vmURNs[node], "gate of %s waits for its VM", node)
		require.Contains(t, input(g, "create"), "cloud-init status --wait")
		require.Equal(t, "ubuntu", mocks.Plain(conn["user"]))
		require.Contains(t, mocks.Plain(conn["privateKey"]), "OPENSSH PRIVATE KEY")
		if node == "east-cp-0" {
			require.Equal(t, fip, mocks.Plain(conn["host"]))
			require.False(t, mocks.Open(conn["proxy"]).IsObject())
		} else {
			require.True(t, strings.HasPrefix(mocks.Plain(conn["host"]), "10.20.0."), "worker reached on its fixed IP")
			require.Equal(t, fip, mocks.Plain(mocks.Open(conn["proxy"]).ObjectValue()["host"]), "through the control plane")
		}
	}
}

func TestExistingKeypairAndBootVolumes(t *testing.T) {
	a := args(1, 1)
	a.KeypairName = "ops"
	a.Workers.VolumeSize, a.VolumeType = 40, "ssd"
	m, _ := build(t, a)
	require.Empty(t, m.ByType("openstack:compute/keypair:Keypair"))
	for _, k := range m.ByType("tls:index/privateKey:PrivateKey") {
		require.NotEqual(t, "ED25519", input(k, "algorithm"), "no SSH key generated")
	}
	for _, vm := range m.ByType("openstack:compute/instance:Instance") {
		require.Equal(t, "ops", input(vm, "keyPair"))
		if strings.Contains(input(vm, "name"), "worker") {
			require.Empty(t, input(vm, "imageId"))
			bd := vm.Inputs["blockDevices"].ArrayValue()[0].ObjectValue()
			require.Equal(t, 40.0, bd["volumeSize"].NumberValue())
			require.Equal(t, "ssd", mocks.Plain(bd["volumeType"]))
			require.Equal(t, "image-ubuntu-24.04", mocks.Plain(bd["uuid"]))
		} else {
			require.False(t, vm.Inputs["blockDevices"].IsArray())
		}
	}
	for _, g := range m.ByType("command:remote:Command") {
		require.False(t, mocks.Open(g.Inputs["connection"]).ObjectValue()["privateKey"].IsString(), "ssh-agent, not a key")
	}
}

func TestSingleNodeIsUntainted(t *testing.T) {
	m, _ := build(t, args(1, 0))
	vm := m.ByType("openstack:compute/instance:Instance")[0]
	require.Contains(t, input(vm, "userData"), "UNTAINT='true'")
	m, _ = build(t, args(1, 1))
	for _, vm := range m.ByType("openstack:compute/instance:Instance") {
		require.Contains(t, input(vm, "userData"), "UNTAINT='false'")
	}
}
