package cloudinit

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bootstrap.sh, delivered by SSHScript, run for real in a sandbox (see
// sandbox): first run, second run, interrupted and failed runs, boot-time
// values.

func sshScript(t *testing.T, c Cluster, n Node) (Files, string) {
	t.Helper()
	f := mustRender(t, c, n)
	script, err := SSHScript(f)
	require.NoError(t, err)
	return f, script
}

// An existing host (aio host mode): the first run installs and inits, the
// second changes nothing at all and exits 0.
func TestBootstrapRunsOnceThenChangesNothing(t *testing.T) {
	c := testCluster(t)
	c.UntaintControlPlane = true
	f, script := sshScript(t, c, hostNode)
	s := newSandbox(t)

	out, calls, err := s.run(script)
	require.NoError(t, err, out)
	assert.Contains(t, out, "tacker-cilium: done: aio-cp-0 is a init node of the cluster")
	want := []string{
		"modprobe overlay",
		"modprobe br_netfilter",
		"sysctl -q -p /etc/sysctl.d/99-tacker-cilium.conf",
		"swapoff -a",
		"curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key",
		"gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes.gpg",
		"curl -fsSL https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.36/deb/Release.key",
		"gpg --batch --yes --dearmor -o /etc/apt/keyrings/cri-o.gpg",
		"apt-get -q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold update",
		"apt-get -q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install --allow-change-held-packages cri-o=1.36.* kubelet=1.36.4-* kubeadm=1.36.4-* kubectl=1.36.4-*",
		"apt-mark hold cri-o kubelet kubeadm kubectl",
		"systemctl enable --now crio",
		"systemctl enable kubelet",
		"kubeadm init --config /var/lib/tacker-cilium/kubeadm.yaml --skip-token-print",
	}
	// curl and gpg run side by side in a pipe: their order varies.
	assert.ElementsMatch(t, want, calls, "an existing host needs no cloud-init: no instance id is asked for")
	require.NotEmpty(t, calls)
	assert.Equal(t, want[len(want)-1], calls[len(calls)-1], "kubeadm comes last")

	// What the host holds afterwards.
	assert.Equal(t, f.KubeadmConfig, s.read("log/kubeadm-config-0.yaml"), "nothing to fill in for an existing host")
	for _, w := range f.Written {
		assert.Equal(t, w.Content, s.read(w.Path), w.Path)
		assert.Equal(t, "root "+w.Mode, s.ownerAndMode(w.Path), w.Path)
	}
	assert.Equal(t, "overlay\nbr_netfilter\n", s.read("etc/modules-load.d/tacker-cilium.conf"))
	assert.Contains(t, s.read("etc/sysctl.d/99-tacker-cilium.conf"), "net.ipv4.ip_forward = 1\n")
	assert.Equal(t, "UUID=0b1c /  ext4  defaults  0 1\n# /swap.img\tnone\tswap\tsw\t0\t0\n", s.read("etc/fstab"), "swap stays off after a reboot")
	assert.Equal(t, "deb [signed-by=/etc/apt/keyrings/kubernetes.gpg] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /\n",
		s.read("etc/apt/sources.list.d/kubernetes.list"))
	assert.Equal(t, "admin kubeconfig\n", s.read("root/.kube/config"))
	assert.Equal(t, "root 0600", s.ownerAndMode("root/.kube/config"))
	assert.Equal(t, "aio-cp-0 init\n", s.read("var/lib/tacker-cilium/done"))
	assert.Empty(t, s.read("var/lib/tacker-cilium/kubeadm-started"))
	assert.Empty(t, s.read("var/lib/tacker-cilium/pki-stash/ca.crt"), "the PKI copy is removed at exit")

	before := s.snapshot()
	out, calls, err = s.run(script)
	require.NoError(t, err, out)
	assert.Empty(t, calls, "second run: no apt, no kubeadm, no systemctl, nothing")
	assert.Equal(t, before, s.snapshot(), "second run changed the host")
	assert.Contains(t, out, "already is a node of the cluster (aio-cp-0 init), nothing to do")
}

// A run killed in the middle of kubeadm, then one whose kubeadm fails: each
// next run resumes without installing again, and resets what kubeadm left.
func TestBootstrapResumesAfterAnInterruptionAndAFailure(t *testing.T) {
	f, script := sshScript(t, testCluster(t), initNode)
	s := newSandbox(t)
	s.onOpenStack(bootInstanceID)

	s.write("shim-state/kubeadm-crash", 0o644, "")
	out, calls, err := s.run(script)
	require.Error(t, err, "bootstrap.sh was killed:\n%s", out)
	require.Len(t, matching(calls, "kubeadm init"), 1, out)
	require.Len(t, matching(calls, "apt-get"), 2, "update and install")

	// Resumed: the packages are there, the interrupted kubeadm is reset;
	// this kubeadm fails every attempt.
	s.write("shim-state/kubeadm-fail", 0o644, "3")
	out, calls, err = s.run(script)
	require.Error(t, err)
	assert.Contains(t, out, "tacker-cilium: ERROR: kubeadm init failed 3 times")
	assert.Empty(t, matching(calls, "apt-get"), "nothing installed again")
	assert.Empty(t, matching(calls, "curl"), "the repository keys are kept")
	assert.Equal(t, []string{"kubeadm reset", "kubeadm init", "kubeadm reset", "kubeadm init", "kubeadm reset", "kubeadm init", "kubeadm reset"},
		kubeadmSubcommands(calls), "an earlier run's leftovers are reset before the first attempt")
	assert.Equal(t, []string{"sleep 30", "sleep 30"}, matching(calls, "sleep"))
	for _, w := range f.Written {
		assert.Equal(t, w.Content, s.read(w.Path), "%s survives kubeadm reset", w.Path)
	}

	out, calls, err = s.run(script)
	require.NoError(t, err, out)
	assert.Empty(t, matching(calls, "apt-get install"))
	assert.Equal(t, []string{"kubeadm reset", "kubeadm init"}, kubeadmSubcommands(calls))
	assert.Equal(t, "cp-0 init\n", s.read("var/lib/tacker-cilium/done"))

	before := s.snapshot()
	out, calls, err = s.run(script)
	require.NoError(t, err, out)
	assert.Empty(t, calls)
	assert.Equal(t, before, s.snapshot())
}

func kubeadmSubcommands(calls []string) []string {
	var out []string
	for _, c := range matching(calls, "kubeadm ") {
		out = append(out, strings.Join(strings.Fields(c)[:2], " "))
	}
	return out
}

// A host that already is a node of a cluster it did not bootstrap is left
// alone: neither its PKI nor its kubelet is touched.
func TestBootstrapRefusesAnotherClustersNode(t *testing.T) {
	_, script := sshScript(t, testCluster(t), initNode)
	s := newSandbox(t)
	s.mkdir("etc/kubernetes/pki")
	s.write("etc/kubernetes/pki/ca.crt", 0o644, "another cluster's CA\n")
	out, calls, err := s.run(script)
	require.Error(t, err)
	assert.Contains(t, out, "/etc/kubernetes/pki/ca.crt exists with other content")
	assert.Empty(t, calls)
	assert.Equal(t, "another cluster's CA\n", s.read("etc/kubernetes/pki/ca.crt"))

	// A worker gets no PKI, so bootstrap.sh tells by kubelet.conf.
	_, script = sshScript(t, testCluster(t), workerNode)
	s.write("etc/kubernetes/kubelet.conf", 0o600, "another cluster's kubelet\n")
	out, calls, err = s.run(script)
	require.Error(t, err)
	assert.Contains(t, out, "this host is a Kubernetes node tacker-cilium did not make")
	assert.Empty(t, calls)
}

// Nodes of a Heat scaling group: bootstrap.sh names them after the host,
// takes the default route's address and the Nova instance id, and kubeadm
// accepts what it then gets.
func TestBootstrapFillsBootTimeValues(t *testing.T) {
	kubeadm := tool(t, "kubeadm")
	for _, role := range []Role{RoleInit, RoleWorker} {
		t.Run(string(role), func(t *testing.T) {
			_, script := sshScript(t, testCluster(t), Node{Role: role})
			s := newSandbox(t)
			s.Hostname = "VDU1-Worker-x7k2.novalocal"
			s.onOpenStack(bootInstanceID)
			out, calls, err := s.run(script)
			require.NoError(t, err, out)
			assert.Equal(t, []string{"cloud-init query v1.instance_id"}, matching(calls, "cloud-init"))

			config := s.read("log/kubeadm-config-0.yaml")
			assert.Equal(t, config, s.read("var/lib/tacker-cilium/kubeadm.yaml"))
			for _, p := range []string{NameAtBoot, IPAtBoot, InstanceIDAtBoot} {
				assert.NotContains(t, config, p)
			}
			var nodeReg map[string]any
			for _, d := range yamlDocs(t, config) {
				if r, ok := d["nodeRegistration"].(map[string]any); ok {
					nodeReg = r
				}
				if ep, ok := d["localAPIEndpoint"].(map[string]any); ok {
					assert.Equal(t, sandboxDefaultIP, ep["advertiseAddress"])
				}
				if api, ok := d["apiServer"].(map[string]any); ok {
					assert.Contains(t, api["certSANs"], sandboxDefaultIP)
				}
			}
			require.NotNil(t, nodeReg)
			assert.Equal(t, "vdu1-worker-x7k2", nodeReg["name"])
			assert.Equal(t, []any{
				map[string]any{"name": "node-ip", "value": sandboxDefaultIP},
				map[string]any{"name": "provider-id", "value": "openstack:///" + bootInstanceID},
			}, nodeReg["kubeletExtraArgs"])
			assert.Contains(t, out, "node name from the host name: vdu1-worker-x7k2")
			assert.Equal(t, "vdu1-worker-x7k2 "+string(role)+"\n", s.read("var/lib/tacker-cilium/done"))

			vout, err := exec.Command(kubeadm, "config", "validate", "--config", writeTemp(t, "kubeadm.yaml", config)).CombinedOutput()
			require.NoError(t, err, "kubeadm config validate:\n%s\n%s", vout, config)
		})
	}
}
