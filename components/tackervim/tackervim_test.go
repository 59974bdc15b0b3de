package tackervim

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
	"github.com/tacker-cilium/tacker-cilium/sdk/go/tacker"
)

const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func build(t *testing.T, args *Args) *mocks.Mocks {
	t.Helper()
	m, err := mocks.Run(func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
		if err != nil {
			return err
		}
		tk, err := tacker.NewProvider(ctx, "tacker", &tacker.ProviderArgs{Cloud: pulumi.String("devstack")})
		if err != nil {
			return err
		}
		_, err = New(ctx, "multinode", args, pulumi.Providers(k8s, tk))
		return err
	}, "tacker-cilium", "multinode", "10.20.0.0/24", nil)
	require.NoError(t, err)
	return m
}

func one(t *testing.T, m *mocks.Mocks, typ string) mocks.Resource {
	t.Helper()
	rs := m.ByType(typ)
	require.Len(t, rs, 1, typ)
	return rs[0]
}

func obj(v resource.PropertyValue) resource.PropertyMap { return mocks.Open(v).ObjectValue() }

func TestRegistersTheClusterAsTackerDocumentsIt(t *testing.T) {
	m := build(t, &Args{
		VimName: "multinode", Description: "k8s with Cilium",
		APIEndpoint: pulumi.String("https://203.0.113.10:6443"), CACertPem: pulumi.String(ca),
		IsDefault: true, UseHelm: true,
	})
	comp := one(t, m, "tacker-cilium:tackervim:TackerVim")

	sa := one(t, m, "kubernetes:core/v1:ServiceAccount")
	meta := obj(sa.Inputs["metadata"])
	assert.Equal(t, "tacker", mocks.Plain(meta["name"]))
	assert.Equal(t, "kube-system", mocks.Plain(meta["namespace"]))

	crb := one(t, m, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
	ref := obj(crb.Inputs["roleRef"])
	assert.Equal(t, "ClusterRole", mocks.Plain(ref["kind"]))
	assert.Equal(t, "cluster-admin", mocks.Plain(ref["name"]), "Tacker's documentation binds cluster-admin")
	subject := obj(crb.Inputs["subjects"].ArrayValue()[0])
	assert.Equal(t, map[string]string{"kind": "ServiceAccount", "name": "tacker", "namespace": "kube-system"},
		map[string]string{"kind": mocks.Plain(subject["kind"]), "name": mocks.Plain(subject["name"]), "namespace": mocks.Plain(subject["namespace"])})

	secret := one(t, m, "kubernetes:core/v1:Secret")
	assert.Equal(t, "kubernetes.io/service-account-token", mocks.Plain(secret.Inputs["type"]))
	smeta := obj(secret.Inputs["metadata"])
	assert.Equal(t, "tacker", mocks.Plain(obj(smeta["annotations"])["kubernetes.io/service-account.name"]))
	assert.Equal(t, "kube-system", mocks.Plain(smeta["namespace"]))

	vim := one(t, m, "tacker:index:Vim")
	in := vim.Inputs
	assert.Equal(t, "multinode", mocks.Plain(in["name"]))
	assert.Equal(t, "k8s with Cilium", mocks.Plain(in["description"]))
	assert.Equal(t, "https://203.0.113.10:6443", mocks.Plain(in["authUrl"]))
	assert.Equal(t, ca, mocks.Plain(in["sslCaCert"]))
	assert.Equal(t, "default", mocks.Plain(in["project"]))
	assert.True(t, in["isDefault"].BoolValue())
	assert.True(t, obj(in["extra"])["useHelm"].BoolValue())

	// the token is the Secret's, decoded, and stays a secret
	assert.True(t, in["bearerToken"].IsSecret(), "bearerToken must be a secret input")
	assert.Equal(t, mocks.MockSAToken("multinode-token"), mocks.Plain(in["bearerToken"]))

	for _, r := range []mocks.Resource{sa, crb, secret, vim} {
		assert.Equal(t, comp.URN, r.Parent, "%s is the component's child", r.Type)
	}
	assert.Contains(t, vim.Dependencies, crb.URN, "Tacker calls the API with the token at once: the binding comes first")
	assert.Contains(t, vim.Dependencies, secret.URN)
}

func TestConfigurableRoleNamespaceAndProject(t *testing.T) {
	m := build(t, &Args{
		APIEndpoint: pulumi.String("https://203.0.113.10:6443"),
		ClusterRole: "tacker-cnf", Namespace: "tacker", ServiceAccount: "vim", Project: "cnf",
	})
	assert.Equal(t, "tacker-cnf", mocks.Plain(obj(one(t, m, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").Inputs["roleRef"])["name"]))
	assert.Equal(t, "tacker", mocks.Plain(obj(one(t, m, "kubernetes:core/v1:ServiceAccount").Inputs["metadata"])["namespace"]))
	vim := one(t, m, "tacker:index:Vim")
	assert.Equal(t, "multinode", mocks.Plain(vim.Inputs["name"]), "the VIM name defaults to the component's")
	assert.Equal(t, "cnf", mocks.Plain(vim.Inputs["project"]))
	assert.False(t, vim.Inputs["isDefault"].BoolValue())
	assert.False(t, obj(vim.Inputs["extra"])["useHelm"].BoolValue(), "use_helm is sent either way")
	_, hasCA := vim.Inputs["sslCaCert"]
	assert.False(t, hasCA)
	_, hasDescription := vim.Inputs["description"]
	assert.False(t, hasDescription)
}

func TestAPIEndpointIsRequired(t *testing.T) {
	_, err := mocks.Run(func(ctx *pulumi.Context) error {
		_, err := New(ctx, "multinode", &Args{})
		return err
	}, "p", "s", "10.20.0.0/24", nil)
	assert.ErrorContains(t, err, "APIEndpoint is required")
}
