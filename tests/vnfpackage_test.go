package tests

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	cloudinit "github.com/tacker-cilium/tacker-cilium/cloud-init"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// The vnf-package stack renders a CSAR that python3-tosca-parser reads as
// Tacker's package validation does, the same bytes every time, and the
// user-data of both VDUs that cloud-init and kubeadm accept.
func TestRenderVNFPackage(t *testing.T) {
	dir, log, err := render(t, "..", "vnf-package")
	require.NoError(t, err, log)
	zipPath := filepath.Join(dir, "vnf.zip")
	data, err := os.ReadFile(zipPath)
	require.NoError(t, err)

	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var meta, entry string
	files := map[string]bool{}
	for _, f := range zr.File {
		files[f.Name] = true
		if f.Name == "TOSCA-Metadata/TOSCA.meta" {
			rc, err := f.Open()
			require.NoError(t, err)
			var b bytes.Buffer
			_, err = b.ReadFrom(rc)
			require.NoError(t, err)
			meta = b.String()
		}
	}
	require.NotEmpty(t, meta, "no TOSCA-Metadata/TOSCA.meta in %v", files)
	for _, line := range strings.Split(meta, "\n") {
		if v, ok := strings.CutPrefix(line, "Entry-Definitions:"); ok {
			entry = strings.TrimSpace(v)
		}
	}
	require.True(t, files[entry], "Entry-Definitions %q is not in the zip", entry)

	py := tooltest.Path(t, "/usr/bin/python3")
	out, err := exec.Command(py, "../components/vnfpackage/testdata/parse_vnfd.py", zipPath).CombinedOutput()
	require.NoError(t, err, "tosca-parser refused the package:\n%s", out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var parsed struct {
		Flavours map[string]struct {
			NodeTemplates map[string]struct {
				Type string `json:"type"`
			} `json:"node_templates"`
			Policies map[string]struct {
				Type string `json:"type"`
			} `json:"policies"`
		} `json:"flavours"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &parsed), string(out))
	simple, ok := parsed.Flavours["simple"]
	require.True(t, ok, "flavours %v", parsed.Flavours)
	require.Equal(t, "tosca.nodes.nfv.Vdu.Compute", simple.NodeTemplates["controlplane"].Type)
	require.Equal(t, "tosca.nodes.nfv.Vdu.Compute", simple.NodeTemplates["worker"].Type)
	var policies []string
	for _, p := range simple.Policies {
		policies = append(policies, p.Type)
	}
	for _, want := range []string{"tosca.policies.nfv.ScalingAspects", "tosca.policies.nfv.VduInitialDelta", "tosca.policies.nfv.InstantiationLevels"} {
		require.Contains(t, policies, want)
	}

	again, log, err := render(t, "..", "vnf-package")
	require.NoError(t, err, log)
	second, err := os.ReadFile(filepath.Join(again, "vnf.zip"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, second), "two renders of the package differ")

	for _, vdu := range []string{"controlplane", "worker"} {
		userData := filepath.Join(dir, "vnf", vdu, "user-data")
		out, err := tooltest.Run(t, "cloud-init", "schema", "--config-file", userData)
		require.NoError(t, err, "%s:\n%s", userData, out)
		// Heat names the workers: bootstrap.sh fills in what the node finds
		// at boot, as cloud-init/bootstrap_run_test.go shows it doing.
		filled := strings.NewReplacer(cloudinit.NameAtBoot, "vnf-worker-x7k2ab", cloudinit.IPAtBoot, "10.40.0.23",
			cloudinit.InstanceIDAtBoot, "6a0c6f4e-3b1e-4b8e-9f38-5d0f6c4e2a11").Replace(read(t, filepath.Join(dir, "vnf", vdu, "kubeadm.yaml")))
		require.NotContains(t, filled, "@", "%s: a boot-time value is left", vdu)
		cfg := filepath.Join(t.TempDir(), vdu+"-kubeadm.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte(filled), 0o600))
		out, err = tooltest.Run(t, "kubeadm", "config", "validate", "--config", cfg)
		require.NoError(t, err, "%s:\n%s", vdu, out)
	}
}
