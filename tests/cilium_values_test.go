package tests

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
	"github.com/tacker-cilium/tacker-cilium/internal/versions"
)

// chartConfig renders the pinned Cilium chart with a values file written by
// render, through the real helm, and returns the cilium-config ConfigMap's
// data and the whole manifest.
func chartConfig(t *testing.T, valuesFile string) (map[string]string, string) {
	t.Helper()
	// helm assumes an old Kubernetes unless told; the chart needs >= 1.21.
	out, err := tooltest.Run(t, "helm", "template", "cilium", tooltest.Chart(t, "cilium-chart"),
		"--namespace", "kube-system", "--values", valuesFile, "--kube-version", "v"+versions.Default().KubernetesPatch)
	require.NoError(t, err, "helm template with %s:\n%s", valuesFile, out)
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var doc struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Data map[string]string `yaml:"data"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if doc.Kind == "ConfigMap" && doc.Metadata.Name == "cilium-config" {
			return doc.Data, out
		}
	}
	t.Fatalf("helm template of %s rendered no cilium-config", valuesFile)
	return nil, ""
}

func helmLint(t *testing.T, valuesFile string) {
	t.Helper()
	out, err := tooltest.Run(t, "helm", "lint", tooltest.Chart(t, "cilium-chart"), "--values", valuesFile,
		"--kube-version", "v"+versions.Default().KubernetesPatch)
	require.NoError(t, err, "helm lint with %s:\n%s", valuesFile, out)
}

// What render writes for the multinode stack is what the real 1.20 chart
// takes: kube-proxy replacement and the stack's cluster name reach the
// agents' configuration.
func TestRenderedCiliumValuesThroughTheChart(t *testing.T) {
	dir, log, err := render(t, "..", "multinode")
	require.NoError(t, err, log)
	values := filepath.Join(dir, "multinode", "cilium-values.yaml")
	cfg, _ := chartConfig(t, values)
	require.Equal(t, "true", cfg["kube-proxy-replacement"])
	require.Equal(t, "multinode", cfg["cluster-name"])
	require.Equal(t, "1", cfg["cluster-id"])
	require.Equal(t, "native", cfg["routing-mode"])
	require.Equal(t, "10.244.0.0/16", cfg["ipv4-native-routing-cidr"])
	require.Equal(t, "true", cfg["enable-bpf-masquerade"])
	helmLint(t, values)
}

// The mesh stack: two values files with distinct ids, each naming the other
// cluster as a peer, with the CA shown in render only with --show-secrets.
func TestRenderedMeshValuesThroughTheChart(t *testing.T) {
	dir, log, err := render(t, "..", "mesh", "--show-secrets")
	require.NoError(t, err, log)
	ids := map[string]string{}
	for _, c := range []struct{ cluster, peer string }{{"east", "west"}, {"west", "east"}} {
		values := filepath.Join(dir, c.cluster, "cilium-values.yaml")
		cfg, manifest := chartConfig(t, values)
		require.Equal(t, c.cluster, cfg["cluster-name"])
		require.Equal(t, "tunnel", cfg["routing-mode"])
		require.Equal(t, "vxlan", cfg["tunnel-protocol"])
		ids[c.cluster] = cfg["cluster-id"]
		// The agents' mesh configuration names the peer, at its NodePort.
		require.Contains(t, manifest, "name: cilium-clustermesh")
		require.Contains(t, manifest, c.peer+": ", "the clustermesh secret of %s has an entry for %s", c.cluster, c.peer)
		require.Contains(t, manifest, "nodePort: 32379")
		helmLint(t, values)
	}
	require.NotEqual(t, ids["east"], ids["west"])

	// Redacted, the CA key is [secret] and nothing else of it is left.
	redacted, log, err := render(t, "..", "mesh")
	require.NoError(t, err, log)
	shown := read(t, filepath.Join(dir, "east", "cilium-values.yaml"))
	hidden := read(t, filepath.Join(redacted, "east", "cilium-values.yaml"))
	require.Contains(t, hidden, "key: [secret]")
	require.NotEqual(t, shown, hidden)
}

func TestRenderRefusesTwoClustersWithOneID(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "stacks"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "Pulumi.yaml"), []byte(read(t, "../Pulumi.yaml")), 0o644))
	mesh := strings.Replace(read(t, "../stacks/Pulumi.mesh.yaml"), "name: west, id: 2", "name: west, id: 1", 1)
	require.NoError(t, os.WriteFile(filepath.Join(root, "stacks", "Pulumi.mesh.yaml"), []byte(mesh), 0o644))
	_, log, err := render(t, root, "mesh")
	require.Error(t, err)
	for _, want := range []string{`"east"`, `"west"`, "cluster id 1", "tacker-cilium:clusters[0].id", "tacker-cilium:clusters[1].id"} {
		require.Contains(t, log, want)
	}
}

// The aio stack: one node whose user-data cloud-init accepts, and Cilium
// values that keep off devstack's ports: nothing on 9890 (Tacker's API), no
// Geneve (OVN's).
func TestRenderAIO(t *testing.T) {
	dir, log, err := render(t, "..", "aio")
	require.NoError(t, err, log)
	userData := glob(t, filepath.Join(dir, "*", "*", "user-data"))
	require.Len(t, userData, 1)
	out, err := tooltest.Run(t, "cloud-init", "schema", "--config-file", userData[0])
	require.NoError(t, err, out)

	values := filepath.Join(dir, "aio", "cilium-values.yaml")
	require.NotContains(t, strings.ToLower(read(t, values)), "geneve")
	cfg, manifest := chartConfig(t, values)
	require.NotEqual(t, "geneve", cfg["tunnel-protocol"])
	require.False(t, bytes.Contains([]byte(manifest), []byte("9890")), "the rendered chart uses 9890")
	require.Contains(t, manifest, "--gops-port=9895", "the agent's gops server is moved off Tacker's port")
	helmLint(t, values)
}
