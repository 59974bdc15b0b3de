package cluster

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	cloudinit "github.com/tacker-cilium/tacker-cilium/cloud-init"
	"github.com/tacker-cilium/tacker-cilium/internal/pki"
)

// Validity of the admin certificate, in hours: kubeadm's default for
// client certificates (1 year).
const adminValidityHours = 8760

// Identity is everything a node needs to join that the program makes
// before any node exists: the shared PKI and the bootstrap token. Nodes that
// Heat creates get it through CloudInit too.
type Identity struct {
	CA, FrontProxyCA, EtcdCA, ServiceAccount pki.KeyPair
	Token                                    pulumi.StringOutput // secret, "id.secret"
	CACertHash                               pulumi.StringOutput
}

// NewIdentity makes the three CAs kubeadm expects (common names as kubeadm
// gives them), the service-account key pair and the bootstrap token.
func NewIdentity(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) (*Identity, error) {
	var id Identity
	var err error
	for _, ca := range []struct {
		kp         *pki.KeyPair
		suffix, cn string
	}{
		{&id.CA, "ca", "kubernetes"},
		{&id.FrontProxyCA, "front-proxy-ca", "front-proxy-ca"},
		{&id.EtcdCA, "etcd-ca", "etcd-ca"},
	} {
		if *ca.kp, err = pki.NewCA(ctx, name+"-"+ca.suffix, ca.cn, opts...); err != nil {
			return nil, err
		}
	}
	sa, err := pki.NewKey(ctx, name+"-sa", opts...)
	if err != nil {
		return nil, err
	}
	id.ServiceAccount = pki.KeyPair{KeyPem: sa.PrivateKeyPem, PubPem: sa.PublicKeyPem}

	// The token id is public (it names the bootstrap Secret); only the
	// second half is a credential, so only it is a RandomPassword.
	tokenID, err := random.NewRandomString(ctx, name+"-token-id", &random.RandomStringArgs{
		Length: pulumi.Int(6), Upper: pulumi.Bool(false), Special: pulumi.Bool(false),
	}, opts...)
	if err != nil {
		return nil, err
	}
	tokenSecret, err := random.NewRandomPassword(ctx, name+"-token-secret", &random.RandomPasswordArgs{
		Length: pulumi.Int(16), Upper: pulumi.Bool(false), Special: pulumi.Bool(false),
	}, opts...)
	if err != nil {
		return nil, err
	}
	id.Token = pulumi.ToSecret(pulumi.Sprintf("%s.%s", tokenID.Result, tokenSecret.Result)).(pulumi.StringOutput)
	id.CACertHash = id.CA.PubPem.ApplyT(CACertHash).(pulumi.StringOutput)
	return &id, nil
}

// CloudInit completes base, what the nodes of one cluster share, with the
// identity, the in-cluster API endpoint (host:port) and the API
// certificate's extra SANs. The output holds the cloudinit.Cluster that
// every node's cloudinit.Render takes; it is secret, as the token and the CA
// keys are.
func (id *Identity) CloudInit(base cloudinit.Cluster, endpoint pulumi.StringInput, sans pulumi.StringArrayInput) pulumi.AnyOutput {
	return pulumi.All(endpoint, sans, id.Token, id.CACertHash,
		id.CA.CertPem, id.CA.KeyPem, id.FrontProxyCA.CertPem, id.FrontProxyCA.KeyPem,
		id.EtcdCA.CertPem, id.EtcdCA.KeyPem, id.ServiceAccount.KeyPem, id.ServiceAccount.PubPem,
	).ApplyT(func(v []any) cloudinit.Cluster {
		c := base
		c.ControlPlaneEndpoint, c.CertSANs = v[0].(string), v[1].([]string)
		c.BootstrapToken, c.CACertHash = v[2].(string), v[3].(string)
		c.PKI = cloudinit.PKI{
			CACert: v[4].(string), CAKey: v[5].(string),
			FrontProxyCACert: v[6].(string), FrontProxyCAKey: v[7].(string),
			EtcdCACert: v[8].(string), EtcdCAKey: v[9].(string),
			ServiceAccountKey: v[10].(string), ServiceAccountPub: v[11].(string),
		}
		return c
	}).(pulumi.AnyOutput)
}

// CACertHash is kubeadm's discovery-token-ca-cert-hash: the SHA-256 of the
// CA's DER-encoded SubjectPublicKeyInfo, which is what a PUBLIC KEY PEM holds.
func CACertHash(publicKeyPem string) (string, error) {
	block, _ := pem.Decode([]byte(publicKeyPem))
	if block == nil || block.Type != "PUBLIC KEY" {
		return "", fmt.Errorf("CA public key is not a PUBLIC KEY PEM")
	}
	sum := sha256.Sum256(block.Bytes)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// NewAdminKubeconfig signs a client certificate in kubeadm's admin group
// with ca and wraps it in a kubeconfig for server (https://host:port). The
// result is secret.
func NewAdminKubeconfig(ctx *pulumi.Context, name, clusterName string, ca pki.KeyPair, server pulumi.StringOutput, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	key, err := pki.NewKey(ctx, name+"-admin", opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	csr, err := tls.NewCertRequest(ctx, name+"-admin", &tls.CertRequestArgs{
		PrivateKeyPem: key.PrivateKeyPem,
		Subject: &tls.CertRequestSubjectArgs{
			CommonName:   pulumi.String("kubernetes-admin"),
			Organization: pulumi.String("kubeadm:cluster-admins"),
		},
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	cert, err := tls.NewLocallySignedCert(ctx, name+"-admin", &tls.LocallySignedCertArgs{
		CertRequestPem:      csr.CertRequestPem,
		CaPrivateKeyPem:     ca.KeyPem,
		CaCertPem:           ca.CertPem,
		ValidityPeriodHours: pulumi.Int(adminValidityHours),
		AllowedUses:         pulumi.ToStringArray([]string{"digital_signature", "key_encipherment", "client_auth"}),
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	kc := pulumi.All(server, ca.CertPem, cert.CertPem, key.PrivateKeyPem).ApplyT(func(v []any) (string, error) {
		return Kubeconfig(clusterName, v[0].(string), v[1].(string), v[2].(string), v[3].(string))
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(kc).(pulumi.StringOutput), nil
}

// Kubeconfig is a client-certificate kubeconfig with one cluster, user and context.
func Kubeconfig(clusterName, server, caPem, certPem, keyPem string) (string, error) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	user := clusterName + "-admin"
	doc := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": clusterName, "cluster": map[string]any{
			"server": server, "certificate-authority-data": b64(caPem)}}},
		"users": []any{map[string]any{"name": user, "user": map[string]any{
			"client-certificate-data": b64(certPem), "client-key-data": b64(keyPem)}}},
		"contexts": []any{map[string]any{"name": user + "@" + clusterName, "context": map[string]any{
			"cluster": clusterName, "user": user}}},
		"current-context": user + "@" + clusterName,
	}
	out, err := yaml.Marshal(doc)
	return string(out), err
}
