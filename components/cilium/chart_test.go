package cilium

// The values Build produces, through the real chart of the pinned release:
// helm template, helm lint and the chart's values.schema.json.

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
	"github.com/tacker-cilium/tacker-cilium/internal/versions"
)

type object = map[string]any

// chart is the chart directory, checked to be the matrix's release.
func chart(t *testing.T) string {
	t.Helper()
	dir := tooltest.Chart(t, "cilium-chart")
	var meta struct{ Version string }
	b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &meta))
	require.Equal(t, versions.Default().CiliumPatch, meta.Version, "the chart under test is the version matrix's")
	return dir
}

func valuesFile(t *testing.T, v map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v) // JSON is YAML to Helm
	require.NoError(t, err)
	f := filepath.Join(t.TempDir(), "values.yaml")
	require.NoError(t, os.WriteFile(f, b, 0o600))
	return f
}

func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return tooltest.Run(t, "helm", args...)
}

// templateArgs are those of a release named cilium in kube-system on the
// matrix's Kubernetes, as the Release resource installs it.
func templateArgs(t *testing.T, values string) []string {
	return []string{"cilium", chart(t), "--namespace", "kube-system",
		"--kube-version", versions.Default().KubernetesPatch, "--values", values}
}

// rendered is a helm template output, by kind and name.
type rendered struct {
	raw     string
	objects []object
}

func render(t *testing.T, p Profile) rendered {
	t.Helper()
	require.NoError(t, p.Validate())
	v, err := Build(p).Map(nil)
	require.NoError(t, err)
	file := valuesFile(t, v)

	out, err := helm(t, append([]string{"template"}, templateArgs(t, file)...)...)
	require.NoError(t, err, out)
	r := rendered{raw: out}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var o object
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		if o != nil {
			r.objects = append(r.objects, o)
		}
	}
	require.NotEmpty(t, r.objects)

	// the same values lint clean, warnings included
	lint, err := helm(t, "lint", "--strict", chart(t), "--namespace", "kube-system",
		"--kube-version", versions.Default().KubernetesPatch, "--values", file)
	require.NoError(t, err, lint)
	require.Contains(t, lint, "1 chart(s) linted, 0 chart(s) failed")
	return r
}

func (r rendered) get(t *testing.T, kind, name string) object {
	t.Helper()
	for _, o := range r.objects {
		if o["kind"] == kind && dig(o, "metadata", "name") == name {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return nil
}

func (r rendered) has(kind, name string) bool {
	for _, o := range r.objects {
		if o["kind"] == kind && dig(o, "metadata", "name") == name {
			return true
		}
	}
	return false
}

func (r rendered) config(t *testing.T) map[string]any {
	return r.get(t, "ConfigMap", "cilium-config")["data"].(object)
}

// secret is a Secret's data, decoded.
func (r rendered) secret(t *testing.T, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range r.get(t, "Secret", name)["data"].(object) {
		b, err := base64.StdEncoding.DecodeString(v.(string))
		require.NoError(t, err, "%s %s", name, k)
		out[k] = string(b)
	}
	return out
}

// container is a container of a workload's pod template.
func (r rendered) container(t *testing.T, kind, name, container string) object {
	t.Helper()
	for _, c := range dig(r.get(t, kind, name), "spec", "template", "spec", "containers").([]any) {
		if c.(object)["name"] == container {
			return c.(object)
		}
	}
	t.Fatalf("%s %s has no container %s", kind, name, container)
	return nil
}

func dig(o any, path ...string) any {
	for _, p := range path {
		m, ok := o.(object)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func env(c object, name string) string {
	for _, e := range c["env"].([]any) {
		if e.(object)["name"] == name {
			s, _ := e.(object)["value"].(string)
			return s
		}
	}
	return ""
}

func TestChartNativeSingleCluster(t *testing.T) {
	r := render(t, nativeProfile())
	cfg := r.config(t)
	assert.Equal(t, "aio", cfg["cluster-name"])
	assert.Equal(t, "3", cfg["cluster-id"])
	assert.Equal(t, "true", cfg["kube-proxy-replacement"])
	assert.Equal(t, "native", cfg["routing-mode"])
	assert.Equal(t, "10.244.0.0/16", cfg["ipv4-native-routing-cidr"])
	assert.Equal(t, "true", cfg["auto-direct-node-routes"])
	assert.Equal(t, "true", cfg["enable-bpf-masquerade"])
	assert.Equal(t, "1450", cfg["mtu"], "the base MTU is the node network's: Cilium takes its own overheads off")
	assert.Equal(t, "cluster-pool", cfg["ipam"])
	assert.Equal(t, "10.244.0.0/16", cfg["cluster-pool-ipv4-cidr"])
	assert.Equal(t, "24", cfg["cluster-pool-ipv4-mask-size"])
	assert.Equal(t, "true", cfg["enable-hubble"])
	assert.NotContains(t, cfg, "enable-wireguard")

	agent := r.container(t, "DaemonSet", "cilium", "cilium-agent")
	assert.Equal(t, "10.20.0.10", env(agent, "KUBERNETES_SERVICE_HOST"), "with kube-proxy replaced the agent dials the API directly")
	assert.Equal(t, "6443", env(agent, "KUBERNETES_SERVICE_PORT"))
	assert.Equal(t, []string{"--config-dir=/tmp/cilium/config-map"}, strs(agent["args"]), "off devstack the agent keeps its flags")

	assert.EqualValues(t, 2, dig(r.get(t, "Deployment", "cilium-operator"), "spec", "replicas"))
	assert.True(t, r.has("Deployment", "hubble-relay"))
	assert.False(t, r.has("Deployment", "hubble-ui"))
	assert.False(t, r.has("Deployment", "clustermesh-apiserver"), "no mesh, no clustermesh-apiserver")
}

func TestChartTunnelVXLAN(t *testing.T) {
	p := nativeProfile()
	p.RoutingMode, p.TunnelProtocol, p.KubeProxyReplacement, p.Nodes, p.HubbleUI = "tunnel", "vxlan", false, 1, true
	r := render(t, p)
	cfg := r.config(t)
	assert.Equal(t, "tunnel", cfg["routing-mode"])
	assert.Equal(t, "vxlan", cfg["tunnel-protocol"])
	assert.NotContains(t, cfg, "ipv4-native-routing-cidr", "nothing is routed natively")
	assert.Equal(t, "false", cfg["auto-direct-node-routes"])
	assert.Equal(t, "false", cfg["kube-proxy-replacement"])
	assert.Equal(t, "1450", cfg["mtu"])
	assert.Equal(t, 1400, PodMTU(p), "pods route 50 bytes less for Cilium's VXLAN header")
	assert.EqualValues(t, 1, dig(r.get(t, "Deployment", "cilium-operator"), "spec", "replicas"), "one node holds one operator")
	assert.True(t, r.has("Deployment", "hubble-ui"))
	assert.Empty(t, env(r.container(t, "DaemonSet", "cilium", "cilium-agent"), "KUBERNETES_SERVICE_HOST"),
		"with kube-proxy the agent uses the kubernetes Service")
}

func TestChartWireGuard(t *testing.T) {
	p := nativeProfile()
	p.WireGuard = true
	cfg := render(t, p).config(t)
	assert.Equal(t, "true", cfg["enable-wireguard"])
	assert.Equal(t, "1450", cfg["mtu"], "the base MTU stays the network's; Cilium subtracts WireGuard's 95 bytes itself")
	assert.Equal(t, 1355, PodMTU(p))
}

func TestChartTwoClusterMesh(t *testing.T) {
	cert, key := testCA(t)
	mk := func(name string, id int, pods string, peer string, peerIPs []string) Profile {
		p := nativeProfile()
		p.ClusterName, p.ClusterID, p.PodCIDR, p.RoutingMode, p.TunnelProtocol = name, id, pods, "tunnel", "vxlan"
		p.Mesh = &Mesh{CACert: cert, CAKey: key, ServiceType: "NodePort", MaxConnectedClusters: 255,
			Peers: []MeshPeer{{Name: peer, IPs: peerIPs, Port: MeshAPIServerPort}}}
		return p
	}
	clusters := map[string]struct {
		profile Profile
		peer    string
		peerIPs []string
	}{
		"east": {mk("east", 1, "10.1.0.0/16", "west", []string{"10.30.0.10", "10.30.0.11"}), "west", []string{"10.30.0.10", "10.30.0.11"}},
		"west": {mk("west", 2, "10.2.0.0/16", "east", []string{"10.20.0.10"}), "east", []string{"10.20.0.10"}},
	}
	roots := map[string]*x509.CertPool{}
	remoteCerts := map[string]*x509.Certificate{}
	for name, c := range clusters {
		r := render(t, c.profile)
		cfg := r.config(t)
		assert.Equal(t, name, cfg["cluster-name"])
		assert.Equal(t, map[string]string{"east": "1", "west": "2"}[name], cfg["cluster-id"])
		assert.Equal(t, "255", cfg["max-connected-clusters"])
		assert.Equal(t, "tunnel", cfg["routing-mode"], "a mesh shares one datapath mode")

		// the agents reach the peer through the local KVStoreMesh...
		agents := r.secret(t, "cilium-clustermesh")
		require.Contains(t, agents, c.peer, "the agents' mesh config names the peer")
		assert.Contains(t, agents[c.peer], "https://clustermesh-apiserver.kube-system.svc:2379")
		// ...which reaches the peer's clustermesh-apiserver on its nodes' NodePort
		var remote struct {
			Endpoints []string `yaml:"endpoints"`
			Aliases   []struct {
				Hostname string   `yaml:"hostname"`
				IPs      []string `yaml:"ips"`
			} `yaml:"cilium-host-aliases"`
		}
		kvstoremesh := r.secret(t, "cilium-kvstoremesh")
		require.Contains(t, kvstoremesh, c.peer)
		require.NoError(t, yaml.Unmarshal([]byte(kvstoremesh[c.peer]), &remote))
		assert.Equal(t, []string{"https://" + c.peer + ".mesh.cilium.io:32379"}, remote.Endpoints)
		require.Len(t, remote.Aliases, 1)
		assert.Equal(t, c.peerIPs, remote.Aliases[0].IPs, "the peer's node IPs")

		svc := r.get(t, "Service", "clustermesh-apiserver")
		assert.Equal(t, "NodePort", dig(svc, "spec", "type"))
		port := dig(svc, "spec", "ports").([]any)[0].(object)
		assert.EqualValues(t, 32379, port["nodePort"])
		assert.EqualValues(t, 2379, port["port"])

		// one CA for both clusters: the provided one, not a generated one
		assert.Equal(t, cert, r.secret(t, "cilium-ca")["ca.crt"])
		roots[name] = x509.NewCertPool()
		require.True(t, roots[name].AppendCertsFromPEM([]byte(r.secret(t, "cilium-ca")["ca.crt"])))
		block, _ := pem.Decode([]byte(r.secret(t, "clustermesh-apiserver-remote-cert")["tls.crt"]))
		require.NotNil(t, block)
		remoteCerts[name], _ = x509.ParseCertificate(block.Bytes)
		require.NotNil(t, remoteCerts[name])
	}
	// each cluster's client certificate is trusted by the other's CA
	for name, c := range clusters {
		_, err := remoteCerts[name].Verify(x509.VerifyOptions{Roots: roots[c.peer], KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		assert.NoError(t, err, "%s's remote certificate against %s's CA", name, c.peer)
	}
}

func TestChartDevstackHostLeaves9890ToTacker(t *testing.T) {
	r := render(t, devstackProfile())
	cfg := r.config(t)
	assert.Equal(t, "tunnel", cfg["routing-mode"])
	assert.Equal(t, "vxlan", cfg["tunnel-protocol"], "OVN's Geneve owns 6081/udp on the host")
	assert.Equal(t, "0", cfg["cluster-id"])

	agent := r.container(t, "DaemonSet", "cilium", "cilium-agent")
	assert.Contains(t, strs(agent["args"]), "--gops-port=9895", "the agent's gops server moves off Tacker's port")
	assert.NotContains(t, cfg, "gops-port", "cilium-config would move the operator's gops too")
	for _, a := range strs(r.container(t, "Deployment", "cilium-operator", "cilium-operator")["args"]) {
		assert.NotContains(t, a, "gops", "the operator keeps 9891")
	}
	assert.NotContains(t, r.raw, "9890", "nothing of the release uses Tacker's port: args, cilium-config, probes")
	assert.EqualValues(t, 1, dig(r.get(t, "Deployment", "cilium-operator"), "spec", "replicas"))
}

// The flag the devstack profile passes is cilium-agent's in the pinned
// release, and 9890 is its default there: the chart's Go module holds the
// agent's source.
func TestGopsFlagIsTheAgentsInThePinnedRelease(t *testing.T) {
	dir, err := filepath.EvalSymlinks(chart(t))
	require.NoError(t, err)
	src := filepath.Join(dir, "..", "..", "..") // install/kubernetes/cilium
	read := func(path string) string {
		b, err := os.ReadFile(filepath.Join(src, path))
		require.NoError(t, err, "the chart should sit in github.com/cilium/cilium's module")
		return string(b)
	}
	assert.Contains(t, read("pkg/option/config.go"), `GopsPort = "gops-port"`)
	assert.Contains(t, read("pkg/gops/cell.go"), "flags.Uint16(option.GopsPort, def.GopsPort")
	assert.Contains(t, read("daemon/cmd/cells.go"), "gops.Cell(defaults.EnableGops, defaults.GopsPortAgent)")
	defaults := read("pkg/defaults/defaults.go")
	assert.Contains(t, defaults, "GopsPortAgent = 9890")
	assert.Contains(t, defaults, "GopsPortOperator = 9891")
	assert.NotContains(t, defaults, "= 9895", "the devstack port is none of Cilium's defaults")
}

// Every key the program sets is one of the chart's: the schema does not
// refuse unknown keys, so a misspelt one would be silently ignored.
func TestEveryKeyIsTheCharts(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chart(t), "values.yaml"))
	require.NoError(t, err)
	var chartValues object
	require.NoError(t, yaml.Unmarshal(b, &chartValues))

	p := meshProfile(t)
	p.WireGuard, p.DevstackHost, p.Devices = true, true, []string{"eth0"}
	ours, err := Build(p).Map(nil)
	require.NoError(t, err)
	var walk func(path string, ours, theirs object)
	walk = func(path string, ours, theirs object) {
		for k, v := range ours {
			tv, ok := theirs[k]
			if !assert.True(t, ok, "%s%s is not a value of the chart", path, k) {
				continue
			}
			if sub, ok := v.(object); ok {
				tsub, _ := tv.(object)
				walk(path+k+".", sub, tsub)
			}
		}
	}
	walk("", ours, chartValues)
}

func TestChartSchemaRefusesWrongValues(t *testing.T) {
	v, err := Build(nativeProfile()).Map(map[string]any{"cluster": map[string]any{"id": "x"}})
	require.NoError(t, err)
	file := valuesFile(t, v)
	out, err := helm(t, append([]string{"template"}, templateArgs(t, file)...)...)
	require.Error(t, err, "values.schema.json is checked on template")
	assert.Contains(t, out, "/cluster/id")
	out, err = helm(t, "lint", chart(t), "--values", file)
	require.Error(t, err, "and on lint")
	assert.Contains(t, out, "got string, want integer")
}

func TestChartRefusesABadCA(t *testing.T) {
	// The chart decodes tls.ca.* as base64 PEM: PEM given as is fails.
	p := meshProfile(t)
	v, err := Build(p).Map(map[string]any{"tls": map[string]any{"ca": map[string]any{"cert": p.Mesh.CACert}}})
	require.NoError(t, err)
	out, err := helm(t, append([]string{"template"}, templateArgs(t, valuesFile(t, v))...)...)
	require.Error(t, err)
	assert.Contains(t, out, "unable to decode base64 certificate")
}
