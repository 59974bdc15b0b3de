package cloudinit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
	"gopkg.in/yaml.v3"
)

// testPKI generates real CAs and a service-account key pair with keyFn, and
// the CA hash joiners pin, the way the program does.
func testPKI(t testing.TB, keyFn func() crypto.Signer) (PKI, string) {
	t.Helper()
	ca := func(cn string) (certPEM, keyPEM string, cert *x509.Certificate) {
		key := keyFn()
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(time.Now().UnixNano()),
			Subject:               pkix.Name{CommonName: cn},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		require.NoError(t, err)
		cert, err = x509.ParseCertificate(der)
		require.NoError(t, err)
		return pemOf("CERTIFICATE", der), privatePEM(t, key), cert
	}
	var p PKI
	var caCert *x509.Certificate
	p.CACert, p.CAKey, caCert = ca("kubernetes")
	p.FrontProxyCACert, p.FrontProxyCAKey, _ = ca("front-proxy-ca")
	p.EtcdCACert, p.EtcdCAKey, _ = ca("etcd-ca")
	sa := keyFn()
	p.ServiceAccountKey = privatePEM(t, sa)
	pub, err := x509.MarshalPKIXPublicKey(sa.Public())
	require.NoError(t, err)
	p.ServiceAccountPub = pemOf("PUBLIC KEY", pub)
	sum := sha256.Sum256(caCert.RawSubjectPublicKeyInfo)
	return p, "sha256:" + hex.EncodeToString(sum[:])
}

func ecdsaKey() crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func privatePEM(t testing.TB, key crypto.Signer) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pemOf("PRIVATE KEY", der)
}

func pemOf(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

var (
	sharedPKI  PKI
	sharedHash string
)

// testCluster is a 3-control-plane cluster with a floating IP SAN.
func testCluster(t testing.TB) Cluster {
	t.Helper()
	if sharedHash == "" {
		sharedPKI, sharedHash = testPKI(t, ecdsaKey)
	}
	return Cluster{
		Name:                 "prod-eu",
		KubernetesVersion:    "1.36.4",
		KubernetesMinor:      "1.36",
		CRIOMinor:            "1.36",
		ControlPlaneEndpoint: "10.0.0.10:6443",
		CertSANs:             []string{"203.0.113.7", "k8s.example.org"},
		PodCIDR:              "10.244.0.0/16",
		ServiceCIDR:          "10.96.0.0/12",
		SkipKubeProxy:        true,
		BootstrapToken:       "abcdef.0123456789abcdef",
		TokenTTL:             "0s",
		CACertHash:           sharedHash,
		PKI:                  sharedPKI,
	}
}

var (
	initNode   = Node{Name: "cp-0", Role: RoleInit, IP: "10.0.0.11"}
	cpNode     = Node{Name: "cp-1", Role: RoleControlPlane, IP: "10.0.0.12"}
	workerNode = Node{Name: "worker-0", Role: RoleWorker, IP: "10.0.0.21"}
)

// renderCase is one (cluster, node) pair the tool-driven tests check.
type renderCase struct {
	name    string
	cluster Cluster
	node    Node
}

func renderCases(t *testing.T) []renderCase {
	single := testCluster(t)
	single.ControlPlaneEndpoint = "10.0.0.11:6443"
	single.UntaintControlPlane = true
	single.SkipKubeProxy = false
	single.CertSANs = nil
	// Free text must survive every consumer's parser, kubeadm's included.
	odd := testCluster(t)
	odd.Name = `it's "odd": #x, - [y] {z} &a *b !c |d >e %f @g \h ☸`
	// A Heat scaling group's nodes: name and IP found at boot, and the SSH
	// key Heat cannot give as a Nova keypair.
	heat := testCluster(t)
	heat.SSHAuthorizedKeys = []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0xk1JtS5p2bHhYyG2qK0fV6R8wYQ9mXb3d7n8cT4uJ tacker-cilium"}
	// The devstack host itself (aio host mode).
	host := single
	host.CertSANs = []string{"devstack.example.org"}
	return []renderCase{
		{"3cp-init", testCluster(t), initNode},
		{"odd-cluster-name", odd, initNode},
		{"3cp-control-plane", testCluster(t), cpNode},
		{"3cp-worker", testCluster(t), workerNode},
		{"single-node-untainted", single, initNode},
		{"heat-init-named-at-boot", heat, Node{Role: RoleInit}},
		{"heat-worker-named-at-boot", heat, Node{Role: RoleWorker}},
		{"existing-host", host, hostNode},
	}
}

var hostNode = Node{Name: "aio-cp-0", Role: RoleInit, IP: "10.0.0.11", ExistingHost: true}

// fillAtBoot replaces the boot-time placeholders as bootstrap.sh does (see
// TestBootstrapFillsBootTimeValues for bootstrap.sh itself doing it).
func fillAtBoot(kubeadm, name, ip, instanceID string) string {
	return strings.NewReplacer(NameAtBoot, name, IPAtBoot, ip, InstanceIDAtBoot, instanceID).Replace(kubeadm)
}

// Values a node of renderCases would find at boot.
const (
	bootName       = "vdu1-worker-x7k2"
	bootIP         = "10.0.0.99"
	bootInstanceID = "6a0c6f4e-3b1e-4b8e-9f38-5d0f6c4e2a11"
)

// atBoot is n as bootstrap.sh completes it.
func atBoot(n Node) Node {
	if n.Name == "" {
		n.Name = bootName
	}
	if n.IP == "" {
		n.IP = bootIP
	}
	return n
}

func mustRender(t testing.TB, c Cluster, n Node) Files {
	t.Helper()
	f, err := Render(c, n)
	require.NoError(t, err)
	return f
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// tool finds a binary the tests drive; a missing one fails the test.
func tool(t *testing.T, name string) string { return tooltest.Path(t, name) }

// yamlDocs decodes every document of a multi-document YAML string.
func yamlDocs(t *testing.T, s string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(s))
	var docs []map[string]any
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			require.ErrorIs(t, err, io.EOF)
			return docs
		}
		docs = append(docs, m)
	}
}

// rsaKey4096 is the largest key the program could plausibly generate, for
// the user-data size budget. One key serves all pairs: only size matters.
func rsaKey4096(t testing.TB) func() crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 4096)
	require.NoError(t, err)
	return func() crypto.Signer { return k }
}
