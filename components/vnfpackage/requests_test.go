package vnfpackage

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cloudinit "github.com/tacker-cilium/tacker-cilium/cloud-init"
)

// testCluster is a cluster whose keys and token are real and fresh.
func testCluster(t *testing.T) cloudinit.Cluster {
	t.Helper()
	var p cloudinit.PKI
	p.CACert, p.CAKey = testCA(t, "kubernetes")
	p.FrontProxyCACert, p.FrontProxyCAKey = testCA(t, "front-proxy-ca")
	p.EtcdCACert, p.EtcdCAKey = testCA(t, "etcd-ca")
	_, p.ServiceAccountKey = testCA(t, "sa")
	p.ServiceAccountPub = p.CACert
	return cloudinit.Cluster{
		Name: "vnf", KubernetesVersion: "1.36.4", KubernetesMinor: "1.36", CRIOMinor: "1.36",
		ControlPlaneEndpoint: "10.20.0.10:6443", CertSANs: []string{"203.0.113.10"},
		PodCIDR: "10.244.0.0/16", ServiceCIDR: "10.96.0.0/12", SkipKubeProxy: true,
		BootstrapToken: "abcdef.0123456789abcdef", TokenTTL: "0s",
		CACertHash: "sha256:" + strings.Repeat("0a", 32), PKI: p,
	}
}

// The user data (the cluster's keys and bootstrap token) travel in the
// instantiate request only, never in the package that Tacker shares.
func TestPackageCarriesNoSecret(t *testing.T) {
	cl := testCluster(t)
	cp, err := cloudinit.Render(cl, cloudinit.Node{Name: ControlPlaneName("vnf"), Role: cloudinit.RoleInit, IP: "10.20.0.10"})
	require.NoError(t, err)
	// Workers learn their name and address at boot; any worker's document
	// carries the same secrets.
	w, err := cloudinit.Render(cl, cloudinit.Node{Name: "vnf-worker", Role: cloudinit.RoleWorker, IP: "10.20.0.11"})
	require.NoError(t, err)

	c := build(t, testSpec())
	in := testInput()
	in.ControlPlaneUserData, in.WorkerUserData = cp.UserData, w.UserData
	inst, err := c.Instantiate(in)
	require.NoError(t, err)

	var secrets []string
	for _, pemText := range []string{cl.PKI.CAKey, cl.PKI.FrontProxyCAKey, cl.PKI.EtcdCAKey, cl.PKI.ServiceAccountKey, cl.PKI.CACert} {
		for _, line := range strings.Split(pemText, "\n") {
			if len(line) > 20 && !strings.HasPrefix(line, "-----") {
				secrets = append(secrets, line)
			}
		}
	}
	secrets = append(secrets, cl.BootstrapToken, strings.Split(cl.BootstrapToken, ".")[1])
	for _, s := range secrets {
		require.Contains(t, cp.UserData, s, "the control plane's user data carries every secret")
	}
	require.Contains(t, w.UserData, cl.BootstrapToken)

	files := entries(t, c.Zip)
	for name, data := range files {
		for _, s := range secrets {
			assert.False(t, bytes.Contains(data, []byte(s)), "%s holds a secret", name)
		}
	}
	for _, s := range secrets {
		assert.False(t, bytes.Contains(c.Zip, []byte(s)), "the zip holds a secret")
	}

	// In the request, the secrets are exactly the hidden parameters.
	assert.Equal(t, map[string]string{controlPlaneUD: cp.UserData, workerUD: w.UserData}, inst.SecretParams)
	b, err := json.Marshal(struct {
		F string           `json:"flavourId"`
		E []ExtVirtualLink `json:"extVirtualLinks"`
		N any              `json:"nfv"`
	}{inst.FlavourID, inst.ExtVirtualLinks, inst.AdditionalParams["nfv"]})
	require.NoError(t, err)
	for _, s := range secrets {
		assert.NotContains(t, string(b), s)
	}
	assert.Equal(t, inst.SecretParams, inst.AdditionalParams[HeatParameters])
	for k, v := range inst.AdditionalParams {
		if s, ok := v.(string); ok {
			assert.LessOrEqual(t, len(s), 255, "Tacker refuses a top-level additionalParams string %s over 255 characters", k)
		}
	}
	t.Logf("user data: control plane %d bytes, worker %d bytes", len(cp.UserData), len(w.UserData))
	// Nova refuses user_data above 65535 bytes once base64-encoded.
	assert.Less(t, (len(cp.UserData)+2)/3*4, 65535)
}

func TestInstantiationShape(t *testing.T) {
	c := build(t, testSpec())
	inst, err := c.Instantiate(testInput())
	require.NoError(t, err)
	var got map[string]any
	b, err := json.Marshal(inst)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, "simple", got["flavourId"])
	assert.Equal(t, InstantiationLevelID, got["instantiationLevelId"])
	assert.Equal(t, []any{map[string]any{
		"id": ExtVirtualLinkID, "resourceId": "net-1",
		"extCps": []any{
			map[string]any{"cpdId": ControlPlaneCP, "cpConfig": map[string]any{ControlPlaneCP: map[string]any{
				"linkPortId": ControlPlaneLinkPortID, "cpProtocolData": []any{map[string]any{"layerProtocol": "IP_OVER_ETHERNET"}},
			}}},
			map[string]any{"cpdId": WorkerCP, "cpConfig": map[string]any{WorkerCP: map[string]any{
				"cpProtocolData": []any{map[string]any{"layerProtocol": "IP_OVER_ETHERNET", "ipOverEthernet": map[string]any{
					"ipAddresses": []any{map[string]any{"type": "IPV4", "numDynamicAddresses": float64(1), "subnetId": "subnet-1"}},
				}}},
			}}},
		},
		"extLinkPorts": []any{map[string]any{"id": ControlPlaneLinkPortID, "resourceHandle": map[string]any{
			"resourceId": "port-cp", "vimLevelResourceType": "OS::Neutron::Port",
		}}},
	}}, got["extVirtualLinks"])
	add := got["additionalParams"].(map[string]any)
	assert.Equal(t, "./UserData/cluster_userdata.py", add["lcm-operation-user-data"])
	assert.Equal(t, "ClusterUserData", add["lcm-operation-user-data-class"])
	assert.NotContains(t, string(b), "SecretParams")

	small, err := c.Instantiate(InstantiateInput{FlavourID: "small", NetworkID: "n", SubnetID: "s", ControlPlanePortID: "p",
		WorkerSecurityGroups: []string{"sg"}, ControlPlaneUserData: cpUserData, WorkerUserData: workerUserData})
	require.NoError(t, err)
	assert.Equal(t, "small", small.FlavourID)
	assert.Equal(t, []map[string]string{}, small.AdditionalParams["nfv"].(map[string]any)["CP"].(map[string]any)[WorkerCP].(map[string]any)["allowed_address_pairs"])
}

func TestBadInstantiateInput(t *testing.T) {
	c := build(t, testSpec())
	for want, edit := range map[string]func(*InstantiateInput){
		`InstantiateInput.FlavourID: "large" is not a flavour of the package (have simple, small)`: func(in *InstantiateInput) { in.FlavourID = "large" },
		`InstantiateInput.NetworkID: "" is empty`:                                                  func(in *InstantiateInput) { in.NetworkID = "" },
		`InstantiateInput.ControlPlanePortID: "" is empty`:                                         func(in *InstantiateInput) { in.ControlPlanePortID = "" },
		`InstantiateInput.WorkerSecurityGroups: empty`:                                             func(in *InstantiateInput) { in.WorkerSecurityGroups = nil },
		`InstantiateInput.PodCIDR: "10.244.0.0" is not a CIDR`:                                     func(in *InstantiateInput) { in.PodCIDR = "10.244.0.0" },
		`InstantiateInput.WorkerUserData: not a #cloud-config document`:                            func(in *InstantiateInput) { in.WorkerUserData = "token: secret" },
	} {
		in := testInput()
		edit(&in)
		_, err := c.Instantiate(in)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
		assert.NotContains(t, err.Error(), "token: secret", "user data never appears in an error")
	}
}
