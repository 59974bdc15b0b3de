package vnfpackage

import (
	"archive/zip"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// testSpec is a valid two-flavour package spec.
func testSpec() Spec {
	vdu := func(flavor string, cpu, mem int) VDU {
		return VDU{Flavor: flavor, VCPUs: cpu, MemoryMB: mem, DiskGB: 20, Image: Image{
			Name: "ubuntu-24.04", Version: "24.04", ChecksumAlgorithm: "sha-256",
			Checksum: strings.Repeat("ab", 32), SizeBytes: 600 << 20, MinDiskGB: 4,
		}}
	}
	cp := vdu("m1.medium", 2, 4096)
	cp.Count = 1
	return Spec{
		ClusterName:     "vnf",
		SoftwareVersion: "1.36.4",
		Flavours: []Flavour{
			{ID: "simple", ControlPlane: cp, Workers: Workers{VDU: vdu("m1.large", 4, 8192), Min: 1, Max: 5, Initial: 2}},
			{ID: "small", ControlPlane: cp, Workers: Workers{VDU: vdu("m1.small", 1, 2048), Min: 0, Max: 2, Initial: 0}, ServerGroupPolicy: "anti-affinity"},
		},
	}
}

func build(t *testing.T, s Spec) *CSAR {
	t.Helper()
	c, err := Build(s)
	require.NoError(t, err)
	return c
}

// entries is the zip's content by name.
func entries(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, f := range r.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		out[f.Name] = data
	}
	return out
}

// extract writes the zip under a temporary directory, as Tacker extracts it.
func extract(t *testing.T, b []byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range entries(t, b) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	return dir
}

func writeZip(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "package.zip")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// rezip returns the package with one entry replaced.
func rezip(t *testing.T, b []byte, name string, data []byte) []byte {
	t.Helper()
	files := entries(t, b)
	files[name] = data
	out, _, err := zipFiles(files)
	require.NoError(t, err)
	return out
}

// python runs one of testdata/'s scripts with Debian's python3, which sees
// Debian's python3-* packages; stdin is JSON-encoded when not nil.
func python(t *testing.T, stdin any, script string, args ...string) (string, error) {
	t.Helper()
	py := tooltest.Path(t, "/usr/bin/python3")
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", script)}, args...)...)
	if stdin != nil {
		in, err := json.Marshal(stdin)
		require.NoError(t, err)
		cmd.Stdin = bytes.NewReader(in)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// lastJSON decodes the last line of out (tosca-parser logs before it).
func lastJSON(t *testing.T, out string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), v), out)
}

func yamlMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal(b, &m))
	return m
}

// testCA is a fresh CA certificate and key in PEM.
func testCA(t *testing.T, cn string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}
