package cloudinit

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests that hand the rendered files to the real consumers. Missing tools
// fail the test (see tool): install them with scripts/tools.sh.

func TestBootstrapScriptShellcheck(t *testing.T) {
	sc := tool(t, "shellcheck")
	out, err := exec.Command(sc, "-s", "bash", writeTemp(t, "bootstrap.sh", BootstrapScript())).CombinedOutput()
	assert.NoError(t, err, "shellcheck findings:\n%s", out)
}

func TestBootstrapScriptIsBashStrict(t *testing.T) {
	s := BootstrapScript()
	assert.True(t, strings.HasPrefix(s, "#!/usr/bin/env bash\n"))
	assert.Contains(t, s, "\nset -euo pipefail\n")
	out, err := exec.Command("bash", "-n", writeTemp(t, "bootstrap.sh", s)).CombinedOutput()
	assert.NoError(t, err, "%s", out)
}

// The script must refuse a bad node.env before it touches the host. Both
// exits happen before any system change, so running it here is harmless.
func TestBootstrapScriptRejectsBadEnv(t *testing.T) {
	script := writeTemp(t, "bootstrap.sh", BootstrapScript())
	run := func(env string) string {
		out, err := exec.Command("bash", script, writeTemp(t, "node.env", env)).CombinedOutput()
		require.Error(t, err, "script accepted node.env:\n%s\noutput:\n%s", env, out)
		return string(out)
	}
	if os.Geteuid() != 0 {
		assert.Contains(t, run(""), "tacker-cilium: ERROR: must run as root")
		return
	}
	assert.Contains(t, run("ROLE=init\n"), "NODE_NAME: missing in node.env")
	f := mustRender(t, testCluster(t), workerNode)
	assert.Contains(t, run(strings.Replace(f.Env, "ROLE='worker'", "ROLE='master'", 1)),
		"tacker-cilium: ERROR: unknown ROLE 'master'")
}

func TestUserDataCloudInitSchema(t *testing.T) {
	ci := tool(t, "cloud-init")
	for _, tc := range renderCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			f := mustRender(t, tc.cluster, tc.node)
			out, err := exec.Command(ci, "schema", "--config-file", writeTemp(t, "user-data", f.UserData)).CombinedOutput()
			require.NoError(t, err, "cloud-init schema:\n%s", out)
			assert.Contains(t, string(out), "Valid cloud-config")
		})
	}
}

// Every config as kubeadm gets it on the node, with what bootstrap.sh fills
// in at boot; a node named at boot is refused without it.
func TestKubeadmConfigValidate(t *testing.T) {
	kubeadm := tool(t, "kubeadm")
	validate := func(config string) (string, error) {
		out, err := exec.Command(kubeadm, "config", "validate", "--config", writeTemp(t, "kubeadm.yaml", config)).CombinedOutput()
		return string(out), err
	}
	for _, tc := range renderCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			raw := mustRender(t, tc.cluster, tc.node).KubeadmConfig
			config := fillAtBoot(raw, bootName, bootIP, bootInstanceID)
			out, err := validate(config)
			require.NoError(t, err, "kubeadm config validate:\n%s\nconfig:\n%s", out, config)
			// validate only warns about fields it does not know; those would be
			// silently ignored on the node.
			assert.NotContains(t, strings.ToLower(out), "unknown field", "%s", out)
			assert.NotContains(t, strings.ToLower(out), "strict decoding error", "%s", out)
			if tc.node.Name == "" {
				out, err = validate(raw)
				assert.Error(t, err, "kubeadm accepted the placeholders:\n%s", out)
			}
		})
	}
}

func TestSSHScriptShellcheck(t *testing.T) {
	sc := tool(t, "shellcheck")
	for _, tc := range renderCases(t) {
		script, err := SSHScript(mustRender(t, tc.cluster, tc.node))
		require.NoError(t, err)
		out, err := exec.Command(sc, "-s", "bash", writeTemp(t, "ssh-bootstrap.sh", script)).CombinedOutput()
		assert.NoError(t, err, "%s: shellcheck findings:\n%s", tc.name, out)
	}
}
