// Package pki makes the keys and CAs the program generates (pulumi-tls), so
// that every CA of the product is made the same way.
package pki

import (
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CAValidityHours is kubeadm's CA lifetime (10 years).
const CAValidityHours = 87600

// KeyPair is a private key and, for a CA, its self-signed certificate.
type KeyPair struct {
	KeyPem  pulumi.StringOutput // secret
	PubPem  pulumi.StringOutput
	CertPem pulumi.StringOutput
}

// NewKey is an ECDSA P-256 key: accepted by kubeadm, etcd and Cilium, and
// quick to generate.
func NewKey(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) (*tls.PrivateKey, error) {
	return tls.NewPrivateKey(ctx, name, &tls.PrivateKeyArgs{
		Algorithm:  pulumi.String("ECDSA"),
		EcdsaCurve: pulumi.String("P256"),
	}, opts...)
}

// NewCA is a key and its self-signed CA certificate.
func NewCA(ctx *pulumi.Context, name, commonName string, opts ...pulumi.ResourceOption) (KeyPair, error) {
	key, err := NewKey(ctx, name, opts...)
	if err != nil {
		return KeyPair{}, err
	}
	cert, err := tls.NewSelfSignedCert(ctx, name, &tls.SelfSignedCertArgs{
		PrivateKeyPem:       key.PrivateKeyPem,
		IsCaCertificate:     pulumi.Bool(true),
		ValidityPeriodHours: pulumi.Int(CAValidityHours),
		Subject:             &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String(commonName)},
		AllowedUses:         pulumi.ToStringArray([]string{"cert_signing", "crl_signing", "digital_signature", "key_encipherment"}),
		SetSubjectKeyId:     pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{KeyPem: key.PrivateKeyPem, PubPem: key.PublicKeyPem, CertPem: cert.CertPem}, nil
}
