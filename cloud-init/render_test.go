package cloudinit

import (
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// userData is the test's own view of the cloud-config, decoded from text.
type userData struct {
	Hostname          string              `yaml:"hostname"`
	PreserveHostname  *bool               `yaml:"preserve_hostname"`
	ManageEtcHosts    *bool               `yaml:"manage_etc_hosts"`
	WriteFiles        []map[string]string `yaml:"write_files"`
	RunCmd            [][]string          `yaml:"runcmd"`
	SSHAuthorizedKeys []string            `yaml:"ssh_authorized_keys"`
}

func parseUserData(t *testing.T, s string) (userData, map[string]any) {
	t.Helper()
	var ud userData
	require.NoError(t, yaml.Unmarshal([]byte(s), &ud), "user-data is not valid YAML:\n%s", s)
	var top map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(s), &top))
	return ud, top
}

func TestUserDataStructure(t *testing.T) {
	// cloud-init 22.4's schema check ignores unknown top-level keys, so a typo
	// would silently do nothing on the node: only these modules are used.
	modules := []string{"hostname", "preserve_hostname", "manage_etc_hosts", "write_files", "runcmd", "ssh_authorized_keys"}
	for _, tc := range renderCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			f := mustRender(t, tc.cluster, tc.node)
			assert.True(t, strings.HasPrefix(f.UserData, "#cloud-config\n"), "first line must be #cloud-config")

			ud, top := parseUserData(t, f.UserData)
			for k := range top {
				assert.Contains(t, modules, k, "unexpected top-level key")
			}
			if keys := tc.cluster.SSHAuthorizedKeys; len(keys) > 0 {
				assert.Equal(t, keys, ud.SSHAuthorizedKeys)
			} else {
				assert.NotContains(t, top, "ssh_authorized_keys")
			}
			if tc.node.Name == "" {
				assert.NotContains(t, top, "hostname", "a node named at boot keeps the metadata's hostname")
			} else {
				assert.Equal(t, tc.node.Name, ud.Hostname)
			}
			require.NotNil(t, ud.PreserveHostname)
			assert.False(t, *ud.PreserveHostname)
			require.NotNil(t, ud.ManageEtcHosts)
			assert.True(t, *ud.ManageEtcHosts)

			type file struct{ mode, content string }
			want := map[string]file{
				"/etc/tacker-cilium/node.env":     {"0600", f.Env},
				"/etc/tacker-cilium/bootstrap.sh": {"0700", BootstrapScript()},
				"/etc/tacker-cilium/kubeadm.yaml": {"0600", f.KubeadmConfig},
			}
			if tc.node.Role != RoleWorker {
				p := tc.cluster.PKI
				want["/etc/kubernetes/pki/ca.crt"] = file{"0644", p.CACert}
				want["/etc/kubernetes/pki/ca.key"] = file{"0600", p.CAKey}
				want["/etc/kubernetes/pki/front-proxy-ca.crt"] = file{"0644", p.FrontProxyCACert}
				want["/etc/kubernetes/pki/front-proxy-ca.key"] = file{"0600", p.FrontProxyCAKey}
				want["/etc/kubernetes/pki/etcd/ca.crt"] = file{"0644", p.EtcdCACert}
				want["/etc/kubernetes/pki/etcd/ca.key"] = file{"0600", p.EtcdCAKey}
				want["/etc/kubernetes/pki/sa.key"] = file{"0600", p.ServiceAccountKey}
				want["/etc/kubernetes/pki/sa.pub"] = file{"0644", p.ServiceAccountPub}
			}
			got := map[string]file{}
			var paths []string
			for _, wf := range ud.WriteFiles {
				assert.Equal(t, "root:root", wf["owner"], wf["path"])
				assert.NotContains(t, wf, "encoding", "%s: secrets must stay plain text for line redaction", wf["path"])
				got[wf["path"]] = file{wf["permissions"], wf["content"]}
				paths = append(paths, wf["path"])
			}
			assert.Equal(t, want, got)
			// Written, what SSHScript puts on a host, is what cloud-init writes.
			written := map[string]file{}
			var writtenPaths []string
			for _, w := range f.Written {
				written[w.Path] = file{w.Mode, w.Content}
				writtenPaths = append(writtenPaths, w.Path)
			}
			assert.Equal(t, want, written)
			assert.Equal(t, paths, writtenPaths, "same order")

			require.Len(t, ud.RunCmd, 1)
			assert.Equal(t, "/etc/tacker-cilium/bootstrap.sh", ud.RunCmd[0][0])
		})
	}
}

// The program redacts secrets by replacing their lines in the rendered text,
// which only works if each PEM line appears verbatim on a line of its own.
func TestUserDataSecretLinesVerbatim(t *testing.T) {
	c := testCluster(t)
	f := mustRender(t, c, cpNode)
	lines := map[string]bool{}
	for _, l := range strings.Split(f.UserData, "\n") {
		lines[strings.TrimLeft(l, " ")] = true
	}
	for _, p := range pkiFiles(c.PKI) {
		for _, l := range strings.Split(strings.TrimSpace(p.pem), "\n") {
			assert.True(t, lines[l], "%s line %q not verbatim in user-data", p.field, l)
		}
	}
	assert.True(t, lines[`token: "`+c.BootstrapToken+`"`], "token line")
	// The script too, so that operators can read it in the Nova metadata.
	for _, l := range strings.Split(strings.TrimSpace(BootstrapScript()), "\n") {
		if l != "" {
			require.True(t, lines[strings.TrimLeft(l, " ")], "bootstrap.sh line %q not verbatim", l)
		}
	}
}

// checkRoundTrip renders with a hostile string in free-form fields and
// demands that YAML parsing gives it back unchanged, or a Render error.
func checkRoundTrip(t *testing.T, s string) {
	c := testCluster(t)
	c.PKI.CACert = "-----BEGIN CERTIFICATE-----\n" + s
	if !utf8.ValidString(s) {
		_, err := Render(c, initNode)
		require.ErrorContains(t, err, "Cluster.PKI.CACert")
		return
	}
	if printable(s) {
		c.Name = s
	}
	f := mustRender(t, c, initNode)

	ud, _ := parseUserData(t, f.UserData)
	contents := map[string]string{}
	for _, wf := range ud.WriteFiles {
		contents[wf["path"]] = wf["content"]
	}
	require.Equal(t, c.PKI.CACert, contents["/etc/kubernetes/pki/ca.crt"])
	require.Equal(t, f.KubeadmConfig, contents["/etc/tacker-cilium/kubeadm.yaml"])

	docs := yamlDocs(t, f.KubeadmConfig)
	require.Len(t, docs, 3, "kubeadm config lost its documents:\n%s", f.KubeadmConfig)
	require.Equal(t, c.Name, docs[1]["clusterName"])

	var v map[string]string
	require.NoError(t, yaml.Unmarshal([]byte("v: "+quoteYAML(s)), &v), "quoteYAML(%q)", s)
	require.Equal(t, s, v["v"], "quoteYAML(%q)", s)
}

var hostile = []string{
	"", " ", "plain", "two\nlines\n", "no trailing newline", "\n\n\nblank lines\n\n",
	"  leading spaces\n", "trailing spaces   \n", "\ttabs\tand\r\ncarriage returns\r\n",
	"---\nkind: Secret\n...\n", "#cloud-config", "key: value", "- item", "'single' \"double\" `back`",
	"{flow: [x]}", "&anchor *alias !tag %directive @at", "|\n  block", "\x00nul\x01ctl\x7f", "ünïcødé ☸ \u2028\u2029\u0085\ufeff\ufffe",
	"\xff\xfe invalid utf-8", "0600", "true", "null", "~",
}

func TestUserDataValidYAMLForAnyInput(t *testing.T) {
	for _, s := range hostile {
		checkRoundTrip(t, s)
	}
}

func FuzzUserDataRoundTrip(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkRoundTrip(t, s) })
}

// Nova caps user_data at 65535 bytes after base64. The worst case is a
// control plane (it carries the PKI) with RSA-4096 keys: keep a quarter of
// the limit free even then.
func TestUserDataSizeBudget(t *testing.T) {
	c := testCluster(t)
	c.PKI, c.CACertHash = testPKI(t, rsaKey4096(t))
	c.CertSANs = []string{"203.0.113.7", "203.0.113.8", "203.0.113.9", "api.k8s.example.org"}
	for _, n := range []Node{initNode, cpNode, {Name: "cp-2", Role: RoleControlPlane, IP: "10.0.0.13"}, workerNode} {
		f := mustRender(t, c, n)
		size := base64.StdEncoding.EncodedLen(len(f.UserData))
		t.Logf("%s: %d bytes, %d base64", n.Name, len(f.UserData), size)
		assert.Less(t, size, 65535*3/4, n.Name)
	}
}

func TestKubeadmConfigFields(t *testing.T) {
	for _, tc := range renderCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			raw := mustRender(t, tc.cluster, tc.node).KubeadmConfig
			for p, want := range map[string]bool{NameAtBoot: tc.node.Name == "", IPAtBoot: tc.node.IP == "", InstanceIDAtBoot: !tc.node.ExistingHost} {
				assert.Equal(t, want, strings.Contains(raw, p), "placeholder %s", p)
			}
			// The fields as kubeadm gets them, once bootstrap.sh filled them in.
			c, n := tc.cluster, atBoot(tc.node)
			docs := yamlDocs(t, fillAtBoot(raw, bootName, bootIP, bootInstanceID))
			byKind := map[string]map[string]any{}
			for _, d := range docs {
				byKind[d["kind"].(string)] = d
			}
			var nodeReg map[string]any
			if n.Role == RoleInit {
				require.Len(t, docs, 3)
				ic, cc, kc := byKind["InitConfiguration"], byKind["ClusterConfiguration"], byKind["KubeletConfiguration"]
				require.NotNil(t, ic)
				require.NotNil(t, cc)
				require.NotNil(t, kc)
				assert.Equal(t, "kubeadm.k8s.io/v1beta4", ic["apiVersion"])
				assert.Equal(t, "kubeadm.k8s.io/v1beta4", cc["apiVersion"])
				assert.Equal(t, "kubelet.config.k8s.io/v1beta1", kc["apiVersion"])
				assert.Equal(t, "systemd", kc["cgroupDriver"])

				tok := ic["bootstrapTokens"].([]any)[0].(map[string]any)
				assert.Equal(t, c.BootstrapToken, tok["token"])
				assert.Equal(t, c.TokenTTL, tok["ttl"])
				assert.Equal(t, []any{"system:bootstrappers:kubeadm:default-node-token"}, tok["groups"])
				assert.Equal(t, []any{"signing", "authentication"}, tok["usages"])
				assert.Equal(t, map[string]any{"advertiseAddress": n.IP, "bindPort": 6443}, ic["localAPIEndpoint"])
				if c.SkipKubeProxy {
					assert.Equal(t, []any{"addon/kube-proxy"}, ic["skipPhases"])
				} else {
					assert.NotContains(t, ic, "skipPhases")
				}
				nodeReg = ic["nodeRegistration"].(map[string]any)

				if n.ExistingHost {
					// Off devstack's etcd: loopback only, peers on another port.
					assert.Equal(t, map[string]any{"local": map[string]any{"extraArgs": []any{
						map[string]any{"name": "listen-client-urls", "value": "https://127.0.0.1:2379"},
						map[string]any{"name": "advertise-client-urls", "value": "https://127.0.0.1:2379"},
						map[string]any{"name": "listen-peer-urls", "value": "https://127.0.0.1:2382"},
						map[string]any{"name": "initial-advertise-peer-urls", "value": "https://127.0.0.1:2382"},
						map[string]any{"name": "initial-cluster", "value": n.Name + "=https://127.0.0.1:2382"},
					}}}, cc["etcd"])
				} else {
					assert.NotContains(t, cc, "etcd", "kubeadm's default stacked etcd")
				}
				assert.Equal(t, c.Name, cc["clusterName"])
				assert.Equal(t, "v"+c.KubernetesVersion, cc["kubernetesVersion"])
				assert.Equal(t, c.ControlPlaneEndpoint, cc["controlPlaneEndpoint"])
				assert.Equal(t, map[string]any{"podSubnet": c.PodCIDR, "serviceSubnet": c.ServiceCIDR, "dnsDomain": "cluster.local"}, cc["networking"])
				sans := cc["apiServer"].(map[string]any)["certSANs"].([]any)
				for _, want := range append(slices.Clone(c.CertSANs), n.IP) {
					assert.Contains(t, sans, want)
				}
			} else {
				require.Len(t, docs, 1)
				jc := byKind["JoinConfiguration"]
				require.NotNil(t, jc)
				assert.Equal(t, "kubeadm.k8s.io/v1beta4", jc["apiVersion"])
				bt := jc["discovery"].(map[string]any)["bootstrapToken"].(map[string]any)
				assert.Equal(t, c.ControlPlaneEndpoint, bt["apiServerEndpoint"])
				assert.Equal(t, c.BootstrapToken, bt["token"])
				assert.Equal(t, []any{c.CACertHash}, bt["caCertHashes"])
				if n.Role == RoleControlPlane {
					assert.Equal(t, map[string]any{"localAPIEndpoint": map[string]any{"advertiseAddress": n.IP, "bindPort": 6443}}, jc["controlPlane"])
				} else {
					assert.NotContains(t, jc, "controlPlane")
				}
				assert.NotContains(t, jc, "skipPhases")
				nodeReg = jc["nodeRegistration"].(map[string]any)
			}

			assert.Equal(t, n.Name, nodeReg["name"])
			assert.Equal(t, "unix:///var/run/crio/crio.sock", nodeReg["criSocket"])
			kubeletArgs := []any{map[string]any{"name": "node-ip", "value": n.IP}}
			if !n.ExistingHost {
				kubeletArgs = append(kubeletArgs, map[string]any{"name": "provider-id", "value": "openstack:///" + bootInstanceID})
			}
			assert.Equal(t, kubeletArgs, nodeReg["kubeletExtraArgs"])
			if n.ExistingHost {
				assert.Equal(t, []any{"Port-2379", "Port-2380"}, nodeReg["ignorePreflightErrors"])
			} else {
				assert.NotContains(t, nodeReg, "ignorePreflightErrors")
			}
			if c.UntaintControlPlane && n.Role != RoleWorker {
				assert.Equal(t, []any{}, nodeReg["taints"])
			} else {
				assert.NotContains(t, nodeReg, "taints", "kubeadm's default control-plane taint must stay")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := testCluster(t)
	c.KubernetesMinor, c.KubernetesVersion, c.CRIOMinor = "1.35", "1.35.4", "1.35"
	c.DNSDomain = ""
	f := mustRender(t, c, initNode)
	env := sourceEnv(t, f.Env, "K8S_REPO", "CRIO_REPO")
	assert.Equal(t, "https://pkgs.k8s.io/core:/stable:/v"+c.KubernetesMinor+"/deb/", env[0])
	assert.Equal(t, "https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v"+c.CRIOMinor+"/deb/", env[1])
	assert.Equal(t, "cluster.local", yamlDocs(t, f.KubeadmConfig)[1]["networking"].(map[string]any)["dnsDomain"])

	c.DNSDomain = "k8s.internal"
	c.KubernetesRepo = "https://mirror.example/k8s" // bootstrap.sh appends Release.key: needs the "/"
	f = mustRender(t, c, initNode)
	assert.Equal(t, c.KubernetesRepo+"/", sourceEnv(t, f.Env, "K8S_REPO")[0])
	assert.Equal(t, c.DNSDomain, yamlDocs(t, f.KubeadmConfig)[1]["networking"].(map[string]any)["dnsDomain"])
}

// sourceEnv sources node.env in bash and returns the named variables.
func sourceEnv(t *testing.T, env string, names ...string) []string {
	t.Helper()
	script := `set -eu; . "$1"; shift; for n in "$@"; do printf '%s\0' "${!n}"; done`
	out, err := exec.Command("bash", append([]string{"-c", script, "bash", writeTemp(t, "node.env", env)}, names...)...).Output()
	require.NoError(t, err)
	got := strings.Split(string(out), "\x00")
	return got[:len(got)-1]
}

func TestEnvSourcesInBash(t *testing.T) {
	c := testCluster(t)
	c.UntaintControlPlane = true
	c.KubernetesRepo = "https://mirror.example/it's a \"repo\"/$(touch /tmp/pwned)`id`\\/"
	c.CRIORepo = "http://mirror.example/cri-o/"
	n := cpNode
	f := mustRender(t, c, n)
	names := []string{"ROLE", "NODE_NAME", "NODE_IP", "K8S_VERSION", "K8S_MINOR", "CRIO_MINOR", "K8S_REPO", "CRIO_REPO", "KUBEADM_CONFIG", "UNTAINT"}
	want := []string{string(n.Role), n.Name, n.IP, c.KubernetesVersion, c.KubernetesMinor, c.CRIOMinor, c.KubernetesRepo, c.CRIORepo,
		"/etc/tacker-cilium/kubeadm.yaml", "true"}
	assert.Equal(t, want, sourceEnv(t, f.Env, names...))
}

func TestShellQuote(t *testing.T) {
	values := []string{"", "it's", "''", `"$HOME" $(id) ` + "`id`", "a\nb", `back\slash\`, " spaced  out ", "*?[glob]", "!history"}
	var env strings.Builder
	var names []string
	for i, v := range values {
		name := "V" + string(rune('A'+i))
		names = append(names, name)
		env.WriteString(name + "=" + shellQuote(v) + "\n")
	}
	assert.Equal(t, values, sourceEnv(t, env.String(), names...))
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Cluster, *Node)
		wants  []string
		secret string // must not leak into the error
	}{
		{"bad role", func(_ *Cluster, n *Node) { n.Role = "master" }, []string{"Node.Role", `"master"`}, ""},
		{"bad IP", func(_ *Cluster, n *Node) { n.IP = "10.0.0.300" }, []string{"Node.IP", `"10.0.0.300"`, "IPv4"}, ""},
		{"IPv6 IP", func(_ *Cluster, n *Node) { n.IP = "fd00::1" }, []string{"Node.IP", `"fd00::1"`}, ""},
		{"bad name", func(_ *Cluster, n *Node) { n.Name = "CP_0" }, []string{"Node.Name", `"CP_0"`}, ""},
		{"existing host joining", func(_ *Cluster, n *Node) { *n = workerNode; n.ExistingHost = true }, []string{"Node.Role", `"worker"`, "init"}, ""},
		{"placeholder in the cluster name", func(c *Cluster, _ *Node) { c.Name = "x@NODE_IP@" }, []string{"Cluster.Name", `"x@NODE_IP@"`, "@NODE_IP@"}, ""},
		{"placeholder in the endpoint", func(c *Cluster, _ *Node) { c.ControlPlaneEndpoint = "@NODE_NAME@:6443" }, []string{"Cluster.ControlPlaneEndpoint", "@NODE_NAME@"}, ""},
		{"malformed token", func(c *Cluster, _ *Node) { c.BootstrapToken = "abcdef-0123456789abcdef" }, []string{"Cluster.BootstrapToken", `"abcdef-0123456789abcdef"`}, ""},
		{"empty version", func(c *Cluster, _ *Node) { c.KubernetesVersion = "" }, []string{"Cluster.KubernetesVersion", `""`}, ""},
		{"v-prefixed version", func(c *Cluster, _ *Node) { c.KubernetesVersion = "v1.36.4" }, []string{"Cluster.KubernetesVersion", `"v1.36.4"`}, ""},
		{"version of another minor", func(c *Cluster, _ *Node) { c.KubernetesVersion = "1.35.4" }, []string{"Cluster.KubernetesVersion", `"1.35.4"`, "1.36"}, ""},
		{"empty crio minor", func(c *Cluster, _ *Node) { c.CRIOMinor = "" }, []string{"Cluster.CRIOMinor", `""`}, ""},
		{"empty k8s minor", func(c *Cluster, _ *Node) { c.KubernetesMinor = "" }, []string{"Cluster.KubernetesMinor", `""`}, ""},
		{"bad TTL", func(c *Cluster, _ *Node) { c.TokenTTL = "forever" }, []string{"Cluster.TokenTTL", `"forever"`}, ""},
		{"endpoint without port", func(c *Cluster, _ *Node) { c.ControlPlaneEndpoint = "10.0.0.10" }, []string{"Cluster.ControlPlaneEndpoint", `"10.0.0.10"`}, ""},
		{"repo not a URL", func(c *Cluster, _ *Node) { c.CRIORepo = "ftp://x/" }, []string{"Cluster.CRIORepo", `"ftp://x/"`}, ""},
		{"cluster name with a line break", func(c *Cluster, _ *Node) { c.Name = "a\nb" }, []string{"Cluster.Name", `"a\nb"`}, ""},
		{"bad SAN", func(c *Cluster, _ *Node) { c.CertSANs = []string{"203.0.113.7", "bad san"} }, []string{"Cluster.CertSANs[1]", `"bad san"`}, ""},
		{"bad pod CIDR", func(c *Cluster, _ *Node) { c.PodCIDR = "10.244.0.0" }, []string{"Cluster.PodCIDR", `"10.244.0.0"`}, ""},
		{"joiner without CA hash", func(c *Cluster, n *Node) { c.CACertHash = ""; *n = workerNode }, []string{"Cluster.CACertHash", `""`}, ""},
		{"control plane without CA key", func(c *Cluster, n *Node) { c.PKI.CAKey = "oops-secret"; *n = cpNode }, []string{"Cluster.PKI.CAKey", "/etc/kubernetes/pki/ca.key"}, "oops-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, n := testCluster(t), initNode
			tt.edit(&c, &n)
			_, err := Render(c, n)
			require.Error(t, err)
			for _, w := range tt.wants {
				assert.Contains(t, err.Error(), w)
			}
			if tt.secret != "" {
				assert.NotContains(t, err.Error(), tt.secret)
			}
		})
	}

	t.Run("name and IP may be left to boot", func(t *testing.T) {
		for _, r := range []Role{RoleInit, RoleControlPlane, RoleWorker} {
			_, err := Render(testCluster(t), Node{Role: r})
			assert.NoError(t, err, r)
		}
	})
	t.Run("workers need no PKI", func(t *testing.T) {
		c := testCluster(t)
		c.PKI = PKI{}
		_, err := Render(c, workerNode)
		assert.NoError(t, err)
	})
	t.Run("init needs no CA hash", func(t *testing.T) {
		c := testCluster(t)
		c.CACertHash = ""
		_, err := Render(c, initNode)
		assert.NoError(t, err)
	})
}

// cloud-init parses user-data with PyYAML (YAML 1.1), not yaml.v3: hostile
// file contents must come back unchanged through the real consumer too.
func TestUserDataPyYAMLRoundTrip(t *testing.T) {
	py := "/usr/bin/python3" // Debian's, which sees python3-yaml as cloud-init does
	const load = `import json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
json.dump({f["path"]: f["content"] for f in doc["write_files"]}, sys.stdout)`
	for _, s := range hostile {
		if !utf8.ValidString(s) {
			continue // Render rejects it, see checkRoundTrip
		}
		c := testCluster(t)
		c.PKI.CACert = "-----BEGIN CERTIFICATE-----\n" + s
		f := mustRender(t, c, initNode)
		out, err := exec.Command(py, "-c", load, writeTemp(t, "user-data", f.UserData)).CombinedOutput()
		require.NoError(t, err, "PyYAML rejected the user-data for %q:\n%s", s, out)
		var contents map[string]string
		require.NoError(t, json.Unmarshal(out, &contents))
		assert.Equal(t, c.PKI.CACert, contents["/etc/kubernetes/pki/ca.crt"], "input %q", s)
		assert.Equal(t, f.KubeadmConfig, contents["/etc/tacker-cilium/kubeadm.yaml"], "input %q", s)
	}
}
