// Package tests drives the project's artifacts through the real tools that
// consume them, from the command users run.
package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	cloudinit "github.com/tacker-cilium/tacker-cilium/cloud-init"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

var cli string // the built tacker-cilium command

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tacker-cilium-cli")
	if err != nil {
		panic(err)
	}
	cli = filepath.Join(dir, "tacker-cilium")
	build := exec.Command("go", "build", "-o", cli, "../cmd/tacker-cilium")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// render runs `tacker-cilium render` in root and returns the output folder.
func render(t *testing.T, root, stack string, extra ...string) (string, string, error) {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command(cli, append([]string{"render", "--stack", stack, "--out", out}, extra...)...)
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	return filepath.Join(out, stack), string(b), err
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	require.NoError(t, err)
	return m
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func TestRenderMultinodePassesCloudInitAndKubeadm(t *testing.T) {
	dir, log, err := render(t, "..", "multinode")
	require.NoError(t, err, log)

	userData := glob(t, filepath.Join(dir, "*", "*", "user-data"))
	require.Len(t, userData, 3, "one user-data per node of 1 control plane + 2 workers")
	for _, f := range userData {
		out, err := tooltest.Run(t, "cloud-init", "schema", "--config-file", f)
		require.NoError(t, err, "%s:\n%s", f, out)
		require.Contains(t, out, "Valid cloud-config")
	}

	configs := glob(t, filepath.Join(dir, "*", "*", "kubeadm.yaml"))
	require.Len(t, configs, 3)
	kinds := map[string]int{}
	for _, f := range configs {
		// Every VM carries its Nova instance id as providerID, which
		// bootstrap.sh takes from cloud-init at boot.
		require.Contains(t, read(t, f), "- name: provider-id\n      value: \"openstack:///"+cloudinit.InstanceIDAtBoot+"\"\n", f)
		for _, config := range []string{f, filledAtBoot(t, f)} {
			out, err := tooltest.Run(t, "kubeadm", "config", "validate", "--config", config)
			require.NoError(t, err, "%s:\n%s", config, out)
		}
		for _, k := range []string{"InitConfiguration", "JoinConfiguration"} {
			if strings.Contains(read(t, f), "kind: "+k) {
				kinds[k]++
			}
		}
	}
	require.Equal(t, map[string]int{"InitConfiguration": 1, "JoinConfiguration": 2}, kinds)

	tree := read(t, filepath.Join(dir, "resources.txt"))
	require.Equal(t, 3, strings.Count(tree, "openstack:compute/instance:Instance "))
	// One readiness gate per node, and the Cilium verification.
	require.Equal(t, 3, len(regexp.MustCompile(`(?m)^  command:remote:Command multinode-(cp|worker)-\d-ready$`).FindAllString(tree, -1)))
	require.Regexp(t, `(?m)^  command:remote:Command multinode-verify$`, tree)
	require.Regexp(t, `(?m)^tacker-cilium:cluster:Cluster multinode$`, tree)
	require.Regexp(t, `(?m)^  openstack:compute/instance:Instance multinode-cp-0$`, tree, "nodes are children of the cluster")
}

// filledAtBoot is the kubeadm config at path as bootstrap.sh hands it to
// kubeadm on a Nova instance (cloud-init/bootstrap_run_test.go runs
// bootstrap.sh itself doing so).
func filledAtBoot(t *testing.T, path string) string {
	t.Helper()
	filled := strings.ReplaceAll(read(t, path), cloudinit.InstanceIDAtBoot, "6a0c6f4e-3b1e-4b8e-9f38-5d0f6c4e2a11")
	require.NotContains(t, filled, "@", "%s: only the instance id is left to boot for named VMs", path)
	out := filepath.Join(t.TempDir(), "kubeadm.yaml")
	require.NoError(t, os.WriteFile(out, []byte(filled), 0o600))
	return out
}

// The kubeadm the tests use rejects what it should, so a pass above means something.
func TestKubeadmValidateRejectsABrokenConfig(t *testing.T) {
	dir, log, err := render(t, "..", "multinode")
	require.NoError(t, err, log)
	f := glob(t, filepath.Join(dir, "*", "*-cp-0", "kubeadm.yaml"))[0]
	broken := strings.Replace(read(t, f), "podSubnet: \"10.244.0.0/16\"", "podSubnet: \"10.244.0.0/33\"", 1)
	require.NotEqual(t, read(t, f), broken)
	bad := filepath.Join(t.TempDir(), "kubeadm.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(broken), 0o600))
	out, err := tooltest.Run(t, "kubeadm", "config", "validate", "--config", bad)
	require.Error(t, err, out)
}

var privateKeyPEM = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)

func TestRenderRedactsSecretsUnlessAsked(t *testing.T) {
	dir, log, err := render(t, "..", "multinode")
	require.NoError(t, err, log)
	tokens := regexp.MustCompile(`token: "([a-z0-9]{6})\.([a-z0-9]{16})"`)
	for _, f := range glob(t, filepath.Join(dir, "*", "*", "*")) {
		text := read(t, f)
		require.NotRegexp(t, privateKeyPEM, text, f)
		for _, m := range tokens.FindAllStringSubmatch(text, -1) {
			require.Equal(t, "redactedredacted", m[2], "%s shows a bootstrap token secret", f)
		}
		if strings.Contains(f, "cp-0") && strings.HasSuffix(f, "user-data") {
			require.Contains(t, text, "[secret]", "the CA keys in the control plane's user-data are redacted")
			require.Contains(t, text, "BEGIN CERTIFICATE", "certificates are public and stay")
		}
	}

	shown, log, err := render(t, "..", "multinode", "--show-secrets")
	require.NoError(t, err, log)
	cp := read(t, glob(t, filepath.Join(shown, "*", "*-cp-0", "user-data"))[0])
	require.Regexp(t, privateKeyPEM, cp)
	m := tokens.FindStringSubmatch(read(t, glob(t, filepath.Join(shown, "*", "*-worker-0", "kubeadm.yaml"))[0]))
	require.NotNil(t, m)
	require.NotEqual(t, "redactedredacted", m[2])
	out, err := tooltest.Run(t, "cloud-init", "schema", "--config-file", glob(t, filepath.Join(shown, "*", "*-cp-0", "user-data"))[0])
	require.NoError(t, err, out)
}

// stackRoot is a project copy whose stack `name` is the multinode stack
// with replacements applied.
func stackRoot(t *testing.T, name string, replace ...string) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "stacks"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "Pulumi.yaml"), []byte(read(t, "../Pulumi.yaml")), 0o644))
	text := read(t, "../stacks/Pulumi.multinode.yaml")
	for i := 0; i+1 < len(replace); i += 2 {
		require.Contains(t, text, replace[i])
		text = strings.Replace(text, replace[i], replace[i+1], 1)
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "stacks", "Pulumi."+name+".yaml"), []byte(text), 0o644))
	return root
}

func TestRenderRefusesOverlappingPodCIDR(t *testing.T) {
	root := stackRoot(t, "bad", "tacker-cilium:podCidr: 10.244.0.0/16", "tacker-cilium:podCidr: 10.20.0.0/16")
	dir, log, err := render(t, root, "bad")
	require.Error(t, err)
	for _, want := range []string{"tacker-cilium:podCidr", "tacker-cilium:nodeCidr", "overlap"} {
		require.Contains(t, log, want)
	}
	_, statErr := os.Stat(dir)
	require.True(t, os.IsNotExist(statErr), "nothing written for a bad config")
}

func TestRenderThreeControlPlanes(t *testing.T) {
	root := stackRoot(t, "ha", "tacker-cilium:controlPlaneCount: 1", "tacker-cilium:controlPlaneCount: 3")
	dir, log, err := render(t, root, "ha")
	require.NoError(t, err, log)
	configs := glob(t, filepath.Join(dir, "*", "*", "kubeadm.yaml"))
	require.Len(t, configs, 5)
	for _, f := range configs {
		out, err := tooltest.Run(t, "kubeadm", "config", "validate", "--config", f)
		require.NoError(t, err, "%s:\n%s", f, out)
	}
	for _, f := range glob(t, filepath.Join(dir, "*", "*-cp-[12]", "kubeadm.yaml")) {
		require.Contains(t, read(t, f), "controlPlane:", "%s joins as a control plane", f)
	}
	for _, f := range glob(t, filepath.Join(dir, "*", "*-cp-*", "user-data")) {
		out, err := tooltest.Run(t, "cloud-init", "schema", "--config-file", f)
		require.NoError(t, err, "%s:\n%s", f, out)
	}
}
