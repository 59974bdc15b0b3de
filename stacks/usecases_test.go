package stacks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
)

// shipped is a shipped stack's configuration, as the engine would pass it.
func shipped(t testing.TB, stack string) map[string]string {
	t.Helper()
	raw, err := ReadConfig("..", stack)
	require.NoError(t, err)
	return raw
}

// runOn evaluates the program on m with raw config; secret are short keys
// set as secrets.
func runOn(t testing.TB, m *mocks.Mocks, stack string, raw map[string]string, secret ...string) error {
	t.Helper()
	full := map[string]string{}
	for k, v := range raw {
		full[Key(k)] = v
	}
	var keys []string
	for _, k := range secret {
		keys = append(keys, Key(k))
	}
	_, err := m.Run(Program, Namespace, stack, full, keys...)
	return err
}

// values are the Helm values of the Cilium release of cluster.
func values(t *testing.T, m *mocks.Mocks, cluster string) map[string]any {
	t.Helper()
	for _, r := range m.ByType("kubernetes:helm.sh/v3:Release") {
		if r.Name == cluster {
			v, ok := mocks.Mappable(r.Inputs["values"]).(map[string]any)
			require.True(t, ok, "values of %s are not known", cluster)
			return v
		}
	}
	t.Fatalf("no Cilium release for cluster %s", cluster)
	return nil
}

func dig(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%v: not an object at %s", path, p)
		v = m[p]
	}
	return v
}

func TestEveryClusterGetsCiliumAndAVim(t *testing.T) {
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "multinode", shipped(t, "multinode")))
	require.Len(t, m.ByType("tacker-cilium:cilium:Cilium"), 1)
	require.Len(t, m.ByType("tacker:index:Vim"), 1)
	v := values(t, m, "multinode")
	require.Equal(t, "multinode", dig(t, v, "cluster", "name"))
	// With kube-proxy replaced, agents reach the API at the first control
	// plane's fixed IP, the one kubeadm was given as its endpoint.
	var cp string
	for _, p := range m.ByType("openstack:networking/port:Port") {
		if mocks.Plain(p.Inputs["name"]) == "multinode-cp-0" {
			cp = mocks.Plain(p.Outputs["allFixedIps"].ArrayValue()[0])
		}
	}
	require.NotEmpty(t, cp)
	require.Equal(t, cp, dig(t, v, "k8sServiceHost"))
	require.Equal(t, mocks.TenantMTU, dig(t, v, "MTU"), "the MTU is the Neutron network's")
	require.Nil(t, dig(t, v, "clustermesh"), "one cluster on its own is no mesh")

	// The VIM points at the floating IP and trusts the cluster CA.
	vim := m.ByType("tacker:index:Vim")[0]
	require.Equal(t, "https://203.0.113.10:6443", mocks.Plain(vim.Inputs["authUrl"]))
	require.Contains(t, mocks.Plain(vim.Inputs["sslCaCert"]), "BEGIN CERTIFICATE")
	require.True(t, vim.Inputs["bearerToken"].IsSecret() || vim.Inputs["bearerToken"].ContainsSecrets())
	require.Equal(t, "multinode", mocks.Plain(vim.Inputs["name"]))
}

func TestVimCanBeTurnedOff(t *testing.T) {
	raw := shipped(t, "multinode")
	raw["tackerVim"] = "false"
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "multinode", raw))
	require.Empty(t, m.ByType("tacker:index:Vim"))
	require.Empty(t, m.ByType("pulumi:providers:tacker"))
	require.Len(t, m.ByType("tacker-cilium:cilium:Cilium"), 1)
}

func TestMeshStackJoinsItsClusters(t *testing.T) {
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "mesh", shipped(t, "mesh")))
	require.Len(t, m.ByType("tacker-cilium:cluster:Cluster"), 2)
	require.Len(t, m.ByType("openstack:networking/router:Router"), 1, "one router joins the clusters' subnets")
	require.Len(t, m.ByType("openstack:networking/routerInterface:RouterInterface"), 2)

	east, west := values(t, m, "east"), values(t, m, "west")
	require.NotEqual(t, dig(t, east, "cluster", "id"), dig(t, west, "cluster", "id"))
	for _, c := range []struct {
		values map[string]any
		peer   string
	}{{east, "west"}, {west, "east"}} {
		peers := dig(t, c.values, "clustermesh", "config", "clusters").([]any)
		require.Len(t, peers, 1)
		require.Equal(t, c.peer, dig(t, peers[0], "name"))
		require.Len(t, dig(t, peers[0], "ips"), 2, "every node of %s", c.peer)
		require.EqualValues(t, 32379, dig(t, peers[0], "port"))
		require.Equal(t, true, dig(t, c.values, "clustermesh", "useAPIServer"))
	}
	// One CA, shared: the same cert and key in both releases.
	require.Len(t, m.ByType("tls:index/selfSignedCert:SelfSignedCert"), 2*3+1)
	require.Equal(t, dig(t, east, "tls", "ca", "cert"), dig(t, west, "tls", "ca", "cert"))
	require.Equal(t, dig(t, east, "tls", "ca", "key"), dig(t, west, "tls", "ca", "key"))
	key, err := base64.StdEncoding.DecodeString(dig(t, east, "tls", "ca", "key").(string))
	require.NoError(t, err)
	require.Contains(t, string(key), "PRIVATE KEY")
	for _, r := range m.ByType("kubernetes:helm.sh/v3:Release") {
		require.True(t, r.Inputs["values"].ContainsSecrets(), "values holding the mesh CA key must be secret")
	}

	// The clustermesh-apiserver is reachable from the other cluster's node
	// subnet only.
	from := map[string][]string{}
	for _, r := range m.ByType("openstack:networking/secGroupRule:SecGroupRule") {
		if mocks.Plain(r.Inputs["portRangeMin"]) == "" && r.Inputs["portRangeMin"].IsNumber() && r.Inputs["portRangeMin"].NumberValue() == 32379 {
			from[r.Name] = append(from[r.Name], mocks.Plain(r.Inputs["remoteIpPrefix"]))
		}
	}
	require.Len(t, from, 2)
	for name, cidrs := range from {
		switch name[:4] {
		case "east":
			require.Equal(t, []string{"10.22.0.0/24"}, cidrs, name)
		case "west":
			require.Equal(t, []string{"10.21.0.0/24"}, cidrs, name)
		}
	}
}

// A peer stack's facts as its "mesh", "meshCaCert" and "meshCaKey" outputs
// give them.
func peerOutputs(id float64, podCIDR string) resource.PropertyMap {
	return resource.PropertyMap{
		"mesh": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
			"name": resource.NewProperty("north"), "id": resource.NewProperty(id),
			"nodeCidr": resource.NewProperty("10.50.0.0/24"), "podCidr": resource.NewProperty(podCIDR),
			"port":    resource.NewProperty(32379.0),
			"nodeIps": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("10.50.0.10")}),
		})}),
		"meshCaCert": resource.NewProperty(peerCA.cert),
		"meshCaKey":  resource.MakeSecret(resource.NewProperty(peerCA.key)),
	}
}

// peerCA is the peer stack's mesh CA.
var peerCA = func() (ca struct{ cert, key string }) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "north mesh CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		panic(err)
	}
	ca.cert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	ca.key = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
	return ca
}()

func TestCrossStackMeshReadsThePeer(t *testing.T) {
	raw := shipped(t, "multinode")
	raw["routingMode"] = "tunnel"
	raw["meshPeers"] = `["lab/tacker-cilium/north"]`
	raw["meshCaOwner"] = "lab/tacker-cilium/north"
	m := mocks.New("")
	m.StackOutputs = map[string]resource.PropertyMap{"lab/tacker-cilium/north": peerOutputs(7, "10.247.0.0/16")}
	require.NoError(t, runOn(t, m, "multinode", raw))

	v := values(t, m, "multinode")
	peers := dig(t, v, "clustermesh", "config", "clusters").([]any)
	require.Len(t, peers, 1)
	require.Equal(t, "north", dig(t, peers[0], "name"))
	require.Equal(t, []any{"10.50.0.10"}, dig(t, peers[0], "ips"))
	// The CA is the owner's; this stack makes none.
	cert, _ := base64.StdEncoding.DecodeString(dig(t, v, "tls", "ca", "cert").(string))
	require.Equal(t, peerCA.cert, string(cert))
	for _, c := range m.ByType("tls:index/selfSignedCert:SelfSignedCert") {
		require.NotEqual(t, "mesh-ca", c.Name)
	}
	opened := false
	for _, r := range m.ByType("openstack:networking/secGroupRule:SecGroupRule") {
		if mocks.Plain(r.Inputs["remoteIpPrefix"]) == "10.50.0.0/24" {
			opened = true
		}
	}
	require.True(t, opened, "the peer's node subnet reaches the mesh ports")
}

func TestCrossStackConflictsFailBeforeAnyResource(t *testing.T) {
	raw := shipped(t, "multinode")
	raw["routingMode"] = "tunnel"
	raw["meshPeers"] = `["lab/tacker-cilium/north"]`
	m := mocks.New("")
	// The peer took this stack's cluster id, pod CIDR and node subnet.
	peer := peerOutputs(1, "10.244.0.0/16")
	member := peer["mesh"].ArrayValue()[0].ObjectValue()
	member["nodeCidr"] = resource.NewProperty("10.20.0.0/25")
	m.StackOutputs = map[string]resource.PropertyMap{"lab/tacker-cilium/north": peer}
	err := runOn(t, m, "multinode", raw)
	require.ErrorContains(t, err, "node subnet 10.20.0.0/24")
	require.ErrorContains(t, err, "cluster id 1")
	require.ErrorContains(t, err, "lab/tacker-cilium/north")
	require.ErrorContains(t, err, "overlap")
	for _, r := range m.Resources() {
		require.Equal(t, "pulumi:pulumi:StackReference", r.Type, "nothing but the reference is registered")
	}
}

func TestPeerWithoutMeshOutputsIsAClearError(t *testing.T) {
	raw := shipped(t, "multinode")
	raw["routingMode"] = "tunnel"
	raw["meshPeers"] = `["lab/tacker-cilium/nobody"]`
	err := runOn(t, mocks.New(""), "multinode", raw)
	require.ErrorContains(t, err, "tacker-cilium:meshPeers")
	require.ErrorContains(t, err, "lab/tacker-cilium/nobody")
	require.ErrorContains(t, err, "pulumi up")
}

const byoKubeconfig = `apiVersion: v1
kind: Config
current-context: lab
contexts:
- name: lab
  context: {cluster: lab, user: admin}
clusters:
- name: lab
  cluster:
    server: https://192.0.2.20:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkxBQgotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==
users:
- name: admin
  user: {token: byo-admin-token}
`

func TestExistingClusterGetsOnlyCiliumAndTheVim(t *testing.T) {
	raw := shipped(t, "multinode")
	raw["kubeconfig"] = byoKubeconfig
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "multinode", raw, "kubeconfig"))
	for _, r := range m.Resources() {
		require.NotContains(t, r.Type, "openstack:", "no OpenStack resource for an existing cluster")
		require.NotContains(t, r.Type, "command:", "no SSH into a cluster the program did not build")
	}
	require.Len(t, m.ByType("kubernetes:helm.sh/v3:Release"), 1)
	v := values(t, m, "multinode")
	require.Equal(t, "192.0.2.20", dig(t, v, "k8sServiceHost"))
	require.EqualValues(t, 6443, dig(t, v, "k8sServicePort"))
	vim := m.ByType("tacker:index:Vim")[0]
	require.Equal(t, "https://192.0.2.20:6443", mocks.Plain(vim.Inputs["authUrl"]))
	require.Contains(t, mocks.Plain(vim.Inputs["sslCaCert"]), "LAB")
	provider := m.ByType("pulumi:providers:kubernetes")[0]
	require.True(t, provider.Inputs["kubeconfig"].IsSecret(), "the kubeconfig stays a secret")
}

func TestPlainCredentialsAreRefused(t *testing.T) {
	raw := shipped(t, "multinode")
	raw["kubeconfig"] = byoKubeconfig
	m := mocks.New("")
	err := runOn(t, m, "multinode", raw) // not set as a secret
	require.ErrorContains(t, err, "tacker-cilium:kubeconfig is set in plain text")
	require.NotContains(t, err.Error(), "byo-admin-token")
	require.Empty(t, m.Resources())
}

func TestBadKubeconfigNeverQuotesIt(t *testing.T) {
	raw := shipped(t, "multinode")
	raw["kubeconfig"] = "clusters: [{name: x, cluster: {server: http://10.0.0.1:8080}}]\nusers: [{user: {token: hunter2hunter2}}]\n"
	cfg, err := Decode(raw)
	require.NoError(t, err)
	err = cfg.Validate()
	require.ErrorContains(t, err, "tacker-cilium:kubeconfig")
	require.ErrorContains(t, err, "https")
	require.NotContains(t, err.Error(), "hunter2")
}

func TestAIOOnAVMIsOneUntaintedNode(t *testing.T) {
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "aio", shipped(t, "aio")))
	vms := m.ByType("openstack:compute/instance:Instance")
	require.Len(t, vms, 1)
	require.Contains(t, mocks.Plain(vms[0].Inputs["userData"]), "taints: []")
	v := values(t, m, "aio")
	require.EqualValues(t, 1, dig(t, v, "operator", "replicas"), "a second operator would stay Pending on one node")
	// Tacker's API owns 9890 on a devstack: the agent's gops moves off it.
	require.Contains(t, dig(t, v, "extraArgs"), "--gops-port=9895")
	require.NotEqual(t, "geneve", dig(t, v, "tunnelProtocol"))
}

func TestAIOIsOneNode(t *testing.T) {
	raw := shipped(t, "aio")
	raw["workerCount"] = "2"
	cfg, err := Decode(raw)
	require.NoError(t, err)
	require.ErrorContains(t, cfg.Validate(), "tacker-cilium:workerCount: 2 is not accepted; the aio use case is one node")
}

func TestAIOOnTheDevstackHostCreatesNothingOnOpenStack(t *testing.T) {
	raw := shipped(t, "aio")
	raw["aioMode"] = "host"
	raw["hostAddress"] = "192.0.2.5"
	raw["nodeCidr"] = "192.0.2.0/24"
	raw["sshUser"] = "stack"
	raw["hostPrivateKey"] = "-----BEGIN OPENSSH PRIVATE KEY-----\nSTACKKEY\n-----END OPENSSH PRIVATE KEY-----\n"
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "aio", raw, "hostPrivateKey"))
	for _, r := range m.Resources() {
		require.NotContains(t, r.Type, "openstack:", "no OpenStack resource on an existing host")
	}
	cmds := m.ByType("command:remote:Command")
	require.NotEmpty(t, cmds)
	conn := mocks.Open(cmds[0].Inputs["connection"]).ObjectValue()
	require.Equal(t, "192.0.2.5", mocks.Plain(conn["host"]))
	require.Equal(t, "stack", mocks.Plain(conn["user"]))
	require.True(t, conn["privateKey"].IsSecret() || cmds[0].Inputs["connection"].IsSecret(), "the SSH key stays a secret")

	v := values(t, m, "aio")
	require.Equal(t, "192.0.2.5", dig(t, v, "k8sServiceHost"))
	require.Contains(t, dig(t, v, "extraArgs"), "--gops-port=9895")
	vim := m.ByType("tacker:index:Vim")[0]
	require.Equal(t, "https://192.0.2.5:6443", mocks.Plain(vim.Inputs["authUrl"]))
}

func TestAIOHostModeChecks(t *testing.T) {
	for _, c := range []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"no host", map[string]string{}, []string{"tacker-cilium:hostAddress", "SSH"}},
		{"node IP outside nodeCidr", map[string]string{"hostAddress": "192.0.2.5"}, []string{"tacker-cilium:nodeCidr", "192.0.2.5"}},
		{"geneve on the devstack host", map[string]string{"hostAddress": "192.0.2.5", "nodeCidr": "192.0.2.0/24", "routingMode": "tunnel", "tunnelProtocol": "geneve"},
			[]string{"tacker-cilium:tunnelProtocol", "OVN owns 6081/udp"}},
		{"host name without node IP", map[string]string{"hostAddress": "devstack.lab"}, []string{"tacker-cilium:hostNodeIp", "IPv4"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := shipped(t, "aio")
			raw["aioMode"] = "host"
			requireInvalid(t, raw, c.set, c.want...)
		})
	}
}

func TestVNFPackageStackHasTackerBuildTheNodes(t *testing.T) {
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "vnf-package", shipped(t, "vnf-package")))
	require.Empty(t, m.ByType("openstack:compute/instance:Instance"), "Heat creates the servers, not the program")
	pkgs, insts := m.ByType("tacker:index:VnfPackage"), m.ByType("tacker:index:VnfInstance")
	require.Len(t, pkgs, 1)
	require.Len(t, insts, 1)
	inst := insts[0]

	// Two workers wanted, one is the package's minimum: one scale step.
	levels := mocks.Open(inst.Inputs["scaleLevels"]).ObjectValue()
	require.EqualValues(t, 1, levels["worker_instance"].NumberValue())
	require.Equal(t, "simple", mocks.Plain(inst.Inputs["flavourId"]))

	// The control plane's port is the program's: Tacker binds the server
	// to it, so the API endpoint is its floating IP.
	var portID string
	for _, p := range m.ByType("openstack:networking/port:Port") {
		if mocks.Plain(p.Inputs["name"]) == "vnf-cp-0" {
			portID = p.Name + "-id"
		}
	}
	require.NotEmpty(t, portID)
	links := mocks.Mappable(inst.Inputs["extVirtualLinks"]).([]any)
	require.Contains(t, fmt.Sprint(links), portID)
	require.True(t, inst.Inputs["additionalParams"].ContainsSecrets(), "the user_data in additionalParams carry keys")
	hidden := mocks.Open(mocks.Open(inst.Inputs["additionalParams"]).ObjectValue()["heat_parameters"]).ObjectValue()
	require.Contains(t, mocks.Plain(hidden["worker_user_data"]), "#cloud-config")
	require.Contains(t, mocks.Plain(hidden["controlplane_user_data"]), "BEGIN EC PRIVATE KEY", "the control plane gets the CA keys")

	vim := m.ByType("tacker:index:Vim")[0]
	require.Equal(t, "https://203.0.113.10:6443", mocks.Plain(vim.Inputs["authUrl"]))
	// The gate waits for the instance, the sweep for the gate.
	byName := map[string]mocks.Resource{}
	for _, r := range m.Resources() {
		byName[r.Name] = r
	}
	require.Contains(t, byName["vnf-cp-0-ready"].Dependencies, inst.URN)
	require.Contains(t, byName["vnf-node-sweep"].Dependencies, byName["vnf-cp-0-ready"].URN)
	require.Contains(t, mocks.Plain(byName["vnf-node-sweep"].Inputs["create"]), "LIVE_SERVERS=")
}

func TestVNFPackageConfigChecks(t *testing.T) {
	for _, c := range []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"workers above the maximum", map[string]string{"workerCount": "9"}, []string{"tacker-cilium:workerCount: 9", "1-5"}},
		{"maximum below minimum", map[string]string{"vnfMinWorkers": "3", "vnfMaxWorkers": "2", "workerCount": "2"}, []string{"tacker-cilium:vnfMaxWorkers: 2"}},
		{"three control planes", map[string]string{"controlPlaneCount": "3"}, []string{"tacker-cilium:controlPlaneCount: 3", "use 1"}},
		{"VIM without password", map[string]string{"vnfVimAuthUrl": "http://192.0.2.5/identity/v3", "vnfVimUsername": "nfv_user", "vnfVimProject": "nfv"},
			[]string{"tacker-cilium:vnfVimPassword is not set", "--secret"}},
		{"VIM URL", map[string]string{"vnfVimAuthUrl": "controller:5000"}, []string{"tacker-cilium:vnfVimAuthUrl", "Keystone v3 URL"}},
		{"heal of the whole VNF", map[string]string{"vnfHealGeneration": "1"}, []string{"tacker-cilium:vnfHealServers", "lose the cluster"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			requireInvalid(t, shipped(t, "vnf-package"), c.set, c.want...)
		})
	}
}

func TestVNFPackageHealsTheNamedWorkers(t *testing.T) {
	raw := shipped(t, "vnf-package")
	raw["vnfHealGeneration"] = "1"
	raw["vnfHealServers"] = `["7b0c6f4e-worker-server"]`
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "vnf-package", raw))
	inst := m.ByType("tacker:index:VnfInstance")[0]
	require.EqualValues(t, 1, inst.Inputs["healGeneration"].NumberValue())
	require.Equal(t, []any{"7b0c6f4e-worker-server"}, mocks.Mappable(inst.Inputs["healVnfcIds"]))
}

// Tacker's own switches: with auto-scale on, Tacker's scaling is not
// drift to scale back.
func TestVNFPackageAutoHealAndScale(t *testing.T) {
	raw := shipped(t, "vnf-package")
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "vnf-package", raw))
	inst := m.ByType("tacker:index:VnfInstance")[0]
	require.False(t, inst.Inputs.HasValue("autoHeal"), "off sends nothing")
	require.Empty(t, inst.IgnoreChanges)

	raw["vnfAutoHeal"], raw["vnfAutoScale"] = "true", "true"
	m = mocks.New("")
	require.NoError(t, runOn(t, m, "vnf-package", raw))
	inst = m.ByType("tacker:index:VnfInstance")[0]
	require.True(t, inst.Inputs["autoHeal"].BoolValue())
	require.True(t, inst.Inputs["autoScale"].BoolValue())
	require.Equal(t, []string{"scaleLevels"}, inst.IgnoreChanges)
}

func TestVNFPackageOnANamedVIM(t *testing.T) {
	raw := shipped(t, "vnf-package")
	raw["vnfVimAuthUrl"] = "http://192.0.2.5/identity/v3"
	raw["vnfVimUsername"] = "nfv_user"
	raw["vnfVimProject"] = "nfv"
	raw["vnfVimPassword"] = "vim-password-1"
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "vnf-package", raw, "vnfVimPassword"))
	vci := m.ByType("tacker:index:VnfInstance")[0].Inputs["vimConnectionInfo"]
	require.True(t, vci.ContainsSecrets(), "the VIM's password stays a secret")
	vim1 := mocks.Mappable(vci).(map[string]any)["vim1"]
	require.Equal(t, "http://192.0.2.5/identity/v3", dig(t, vim1, "interfaceInfo", "endpoint"))
	require.Equal(t, "nfv_user", dig(t, vim1, "accessInfo", "username"))
	require.Equal(t, "Default", dig(t, vim1, "accessInfo", "userDomain"))
}

// A cluster made elsewhere offers mesh peers nothing: its nodes are not
// known, so its "mesh" output lists no cluster.
func TestExistingClusterOffersNoMeshMembers(t *testing.T) {
	raw := shipped(t, "multinode")
	raw["kubeconfig"] = byoKubeconfig
	cfg, err := Decode(raw)
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	var local int
	_, err = mocks.New("").Run(func(ctx *pulumi.Context) error {
		m, err := newMesh(ctx, cfg)
		local = len(m.local)
		return err
	}, Namespace, "byo", nil)
	require.NoError(t, err)
	require.Zero(t, local)

	cfg.Kubeconfig = ""
	_, err = mocks.New("").Run(func(ctx *pulumi.Context) error {
		m, err := newMesh(ctx, cfg)
		local = len(m.local)
		return err
	}, Namespace, "multinode", nil)
	require.NoError(t, err)
	require.Equal(t, 1, local, "a cluster the program builds is offered")
}

// What is installed on a cluster comes back when the cluster is made anew
// behind the same endpoint: the Cilium release and the VIM's objects are
// replaced, old first, when the first control plane's gate (its VM) or the
// VNF instance is new. An existing cluster or host is never remade here.
func TestInstalledObjectsFollowTheCluster(t *testing.T) {
	inCluster := []string{"kubernetes:helm.sh/v3:Release", "kubernetes:core/v1:ServiceAccount",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "kubernetes:core/v1:Secret"}
	triggers := func(m *mocks.Mocks) []any {
		var out []any
		for _, typ := range inCluster {
			rs := m.ByType(typ)
			require.Len(t, rs, 1, typ)
			out = append(out, rs[0].ReplacementTrigger)
		}
		return out
	}
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "multinode", shipped(t, "multinode")))
	for _, tr := range triggers(m) {
		require.Equal(t, "multinode-cp-0-ready-id", tr, "the first control plane's gate is remade with its VM")
	}
	m = mocks.New("")
	require.NoError(t, runOn(t, m, "vnf-package", shipped(t, "vnf-package")))
	for _, tr := range triggers(m) {
		require.Equal(t, "vnf-id", tr, "a new VNF instance is a new cluster")
	}
	raw := shipped(t, "aio")
	raw["aioMode"], raw["hostAddress"], raw["nodeCidr"] = "host", "192.0.2.5", "192.0.2.0/24"
	m = mocks.New("")
	require.NoError(t, runOn(t, m, "aio", raw))
	for _, tr := range triggers(m) {
		require.Nil(t, tr, "a host's cluster is never remade")
	}
}

func TestMeshServiceIsTheNodePort(t *testing.T) {
	raw := shipped(t, "mesh")
	raw["clusterMeshServiceType"] = "LoadBalancer"
	cfg, err := Decode(raw)
	require.NoError(t, err)
	require.ErrorContains(t, cfg.Validate(), `tacker-cilium:clusterMeshServiceType: "LoadBalancer" is not accepted; use NodePort`)
}

// A VNF-package cluster meshed with another stack admits the peer's node
// subnet to the mesh ports, as a cluster of VMs does.
func TestVNFPackageMeshOpensThePeersSubnet(t *testing.T) {
	raw := shipped(t, "vnf-package")
	raw["routingMode"] = "tunnel"
	raw["meshPeers"] = `["lab/tacker-cilium/north"]`
	raw["meshCaOwner"] = "lab/tacker-cilium/north"
	m := mocks.New("")
	m.StackOutputs = map[string]resource.PropertyMap{"lab/tacker-cilium/north": peerOutputs(7, "10.247.0.0/16")}
	require.NoError(t, runOn(t, m, "vnf-package", raw))
	var mesh []string
	for _, r := range m.ByType("openstack:networking/secGroupRule:SecGroupRule") {
		if mocks.Plain(r.Inputs["remoteIpPrefix"]) == "10.50.0.0/24" {
			mesh = append(mesh, r.Name)
		}
	}
	require.Contains(t, mesh, "vnf-mesh-apiserver-0")
}
