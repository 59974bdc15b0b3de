package mocks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
)

// privateKey generates a key as pulumi-tls does and fills its PEM and
// OpenSSH outputs.
func privateKey(algorithm, curve string, out resource.PropertyMap) error {
	var key crypto.Signer
	var err error
	switch algorithm {
	case "ED25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "ECDSA":
		c := map[string]elliptic.Curve{"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()}[curve]
		if c == nil {
			return fmt.Errorf("unknown ecdsaCurve %q", curve)
		}
		key, err = ecdsa.GenerateKey(c, rand.Reader)
	case "RSA":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return fmt.Errorf("unknown algorithm %q", algorithm)
	}
	if err != nil {
		return err
	}
	var block *pem.Block
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		der, e := x509.MarshalECPrivateKey(k)
		block, err = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}, e
	case *rsa.PrivateKey:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	default:
		der, e := x509.MarshalPKCS8PrivateKey(k)
		block, err = &pem.Block{Type: "PRIVATE KEY", Bytes: der}, e
	}
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	sshPub, err := ssh.NewPublicKey(key.Public())
	if err != nil {
		return err
	}
	sshPriv, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		return err
	}
	out["privateKeyPem"] = resource.NewProperty(string(pem.EncodeToMemory(block)))
	out["privateKeyOpenssh"] = resource.NewProperty(string(pem.EncodeToMemory(sshPriv)))
	out["publicKeyPem"] = resource.NewProperty(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
	out["publicKeyOpenssh"] = resource.NewProperty(string(ssh.MarshalAuthorizedKey(sshPub)))
	return nil
}

func parseKey(pemText string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, fmt.Errorf("no PEM private key")
	}
	switch block.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return k.(crypto.Signer), nil
}

// template is the certificate pulumi-tls would issue for these inputs.
func template(in resource.PropertyMap, subject pkix.Name) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	hours := 24
	if v := in["validityPeriodHours"]; v.IsNumber() {
		hours = int(v.NumberValue())
	}
	now := time.Now()
	t := &x509.Certificate{
		SerialNumber: serial, Subject: subject,
		NotBefore: now, NotAfter: now.Add(time.Duration(hours) * time.Hour),
		BasicConstraintsValid: true,
	}
	if v := in["isCaCertificate"]; v.IsBool() && v.BoolValue() {
		t.IsCA = true
	}
	for _, u := range stringList(in["allowedUses"]) {
		switch u {
		case "cert_signing":
			t.KeyUsage |= x509.KeyUsageCertSign
		case "crl_signing":
			t.KeyUsage |= x509.KeyUsageCRLSign
		case "digital_signature":
			t.KeyUsage |= x509.KeyUsageDigitalSignature
		case "key_encipherment":
			t.KeyUsage |= x509.KeyUsageKeyEncipherment
		case "client_auth":
			t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
		case "server_auth":
			t.ExtKeyUsage = append(t.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		}
	}
	t.DNSNames = stringList(in["dnsNames"])
	for _, ip := range stringList(in["ipAddresses"]) {
		t.IPAddresses = append(t.IPAddresses, net.ParseIP(ip))
	}
	return t, nil
}

func subjectOf(v resource.PropertyValue) pkix.Name {
	var n pkix.Name
	if v.IsObject() {
		o := v.ObjectValue()
		n.CommonName = plain(o["commonName"])
		if org := plain(o["organization"]); org != "" {
			n.Organization = []string{org}
		}
	}
	return n
}

func selfSignedCert(in, out resource.PropertyMap) error {
	key, err := parseKey(plain(in["privateKeyPem"]))
	if err != nil {
		return err
	}
	t, err := template(in, subjectOf(in["subject"]))
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, t, key.Public(), key)
	if err != nil {
		return err
	}
	out["certPem"] = resource.NewProperty(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	return nil
}

func certRequest(in, out resource.PropertyMap) error {
	key, err := parseKey(plain(in["privateKeyPem"]))
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: subjectOf(in["subject"])}, key)
	if err != nil {
		return err
	}
	out["certRequestPem"] = resource.NewProperty(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})))
	return nil
}

func locallySignedCert(in, out resource.PropertyMap) error {
	caKey, err := parseKey(plain(in["caPrivateKeyPem"]))
	if err != nil {
		return err
	}
	caBlock, _ := pem.Decode([]byte(plain(in["caCertPem"])))
	csrBlock, _ := pem.Decode([]byte(plain(in["certRequestPem"])))
	if caBlock == nil || csrBlock == nil {
		return fmt.Errorf("caCertPem or certRequestPem is not PEM")
	}
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		return err
	}
	csr, err := x509.ParseCertificateRequest(csrBlock.Bytes)
	if err != nil {
		return err
	}
	t, err := template(in, csr.Subject)
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, ca, csr.PublicKey, caKey)
	if err != nil {
		return err
	}
	out["certPem"] = resource.NewProperty(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	return nil
}

// randomString honours the character-class switches of pulumi-random.
func randomString(in resource.PropertyMap) string {
	on := func(k string) bool { v := in[resource.PropertyKey(k)]; return !v.IsBool() || v.BoolValue() }
	chars := ""
	if on("lower") {
		chars += "abcdefghijklmnopqrstuvwxyz"
	}
	if on("upper") {
		chars += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	if on("numeric") {
		chars += "0123456789"
	}
	if on("special") {
		chars += "!@#$%&*()-_=+[]{}<>:?"
	}
	n := int(in["length"].NumberValue())
	b := make([]byte, n)
	for i := range b {
		j, _ := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		b[i] = chars[j.Int64()]
	}
	return string(b)
}

func stringList(v resource.PropertyValue) []string {
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, plain(e))
	}
	return out
}
