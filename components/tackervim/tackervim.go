// Package tackervim registers a cluster in Tacker as a VIM, the way Tacker's
// documentation does it by hand: a service account bound to a cluster
// role, a service-account-token Secret whose token Tacker acts with, and
// the VIM itself pointing at the API endpoint with the cluster's CA.
//
// It needs two providers, passed on the component (pulumi.Providers): the
// cluster's Kubernetes provider and a Tacker provider.
package tackervim

import (
	"encoding/base64"
	"errors"
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tacker-cilium/tacker-cilium/sdk/go/tacker"
)

// Args configure the registration.
type Args struct {
	VimName     string // name in Tacker; defaults to the component's name
	Description string
	// APIEndpoint is the cluster's API as Tacker reaches it, https://IP:6443.
	APIEndpoint pulumi.StringInput
	// CACertPem is the cluster CA; Tacker verifies the API with it.
	CACertPem pulumi.StringInput
	Project   string // namespace Tacker deploys into; default "default"
	IsDefault bool
	UseHelm   bool
	// ClusterRole is what Tacker may do; Tacker's documentation binds
	// cluster-admin (the default).
	ClusterRole string
	// Namespace and ServiceAccount name the account Tacker acts as;
	// defaults kube-system and tacker.
	Namespace      string
	ServiceAccount string
	// ClusterIdentity changes when the cluster behind APIEndpoint is made
	// anew: the account, its binding and token are then made again, and
	// the VIM gets the new token. Nil for a cluster never remade here.
	ClusterIdentity pulumi.Input
}

func (a Args) withDefaults(name string) Args {
	if a.VimName == "" {
		a.VimName = name
	}
	if a.Project == "" {
		a.Project = "default"
	}
	if a.ClusterRole == "" {
		a.ClusterRole = "cluster-admin"
	}
	if a.Namespace == "" {
		a.Namespace = "kube-system"
	}
	if a.ServiceAccount == "" {
		a.ServiceAccount = "tacker"
	}
	return a
}

// TackerVim is the component.
type TackerVim struct {
	pulumi.ResourceState

	VimID   pulumi.StringOutput
	Status  pulumi.StringOutput
	Regions pulumi.StringArrayOutput // the namespaces Tacker saw
	// Token is the service account's token Tacker was given (secret).
	Token pulumi.StringOutput
}

// New registers the cluster. A token rotated in the cluster (the Secret
// replaced) reaches Tacker as an update of the same VIM.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*TackerVim, error) {
	if args == nil || args.APIEndpoint == nil {
		return nil, errors.New("tackervim: APIEndpoint is required")
	}
	a := args.withDefaults(name)
	c := &TackerVim{}
	if err := ctx.RegisterComponentResource("tacker-cilium:tackervim:TackerVim", name, c, opts...); err != nil {
		return nil, err
	}
	// Every object has a fixed name: a replacement (a new cluster behind
	// the same endpoint) deletes the old one before making the new one.
	parent := pulumi.Composite(pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	inCluster := parent
	if a.ClusterIdentity != nil {
		inCluster = pulumi.Composite(parent, pulumi.ReplacementTrigger(a.ClusterIdentity))
	}

	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(a.ServiceAccount),
			Namespace: pulumi.String(a.Namespace),
			Labels:    labels(),
		},
	}, inCluster)
	if err != nil {
		return nil, err
	}
	binding, err := rbacv1.NewClusterRoleBinding(ctx, name+"-binding", &rbacv1.ClusterRoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:   pulumi.Sprintf("tacker-%s-%s", a.Namespace, a.ServiceAccount),
			Labels: labels(),
		},
		RoleRef: rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
			Kind:     pulumi.String("ClusterRole"),
			Name:     pulumi.String(a.ClusterRole),
		},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			Kind:      pulumi.String("ServiceAccount"),
			Name:      sa.Metadata.Name().Elem(),
			Namespace: sa.Metadata.Namespace().Elem(),
		}},
	}, inCluster)
	if err != nil {
		return nil, err
	}
	// Since Kubernetes 1.24 no token Secret is made for an account: ask for
	// one. pulumi-kubernetes waits until the token controller has filled it.
	secret, err := corev1.NewSecret(ctx, name+"-token", &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.Sprintf("%s-token", a.ServiceAccount),
			Namespace: sa.Metadata.Namespace().Elem(),
			Labels:    labels(),
			Annotations: pulumi.StringMap{
				"kubernetes.io/service-account.name": sa.Metadata.Name().Elem(),
			},
		},
		Type: pulumi.String("kubernetes.io/service-account-token"),
	}, inCluster)
	if err != nil {
		return nil, err
	}
	token := pulumi.ToSecret(secret.Data.MapIndex(pulumi.String("token")).ApplyT(func(b64 string) (string, error) {
		if b64 == "" {
			return "", fmt.Errorf("secret %s/%s-token has no token: is the token controller running?", a.Namespace, a.ServiceAccount)
		}
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return "", fmt.Errorf("secret %s/%s-token: token is not base64: %w", a.Namespace, a.ServiceAccount, err)
		}
		return string(b), nil
	})).(pulumi.StringOutput)

	vimArgs := &tacker.VimArgs{
		Name:        pulumi.String(a.VimName),
		AuthUrl:     args.APIEndpoint,
		BearerToken: token,
		Project:     pulumi.String(a.Project),
		IsDefault:   pulumi.Bool(a.IsDefault),
		Extra:       tacker.VimExtraArgs{UseHelm: pulumi.Bool(a.UseHelm)},
	}
	if a.Description != "" {
		vimArgs.Description = pulumi.String(a.Description)
	}
	if args.CACertPem != nil {
		vimArgs.SslCaCert = args.CACertPem
	}
	// Tacker calls the API with the token at once and lists namespaces:
	// the binding must be in place first.
	vim, err := tacker.NewVim(ctx, name, vimArgs, parent, pulumi.DependsOn([]pulumi.Resource{binding, secret}))
	if err != nil {
		return nil, err
	}

	c.VimID, c.Status, c.Regions, c.Token = vim.ID().ToStringOutput(), vim.Status, vim.Regions, token
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"vimId":   c.VimID,
		"status":  c.Status,
		"regions": c.Regions,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func labels() pulumi.StringMap {
	return pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("tacker-cilium"), "app.kubernetes.io/part-of": pulumi.String("tacker-vim")}
}
