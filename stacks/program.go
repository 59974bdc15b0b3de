// Package stacks turns a stack's typed configuration into components. Each
// stack file (Pulumi.<stack>.yaml) picks values; this package decides what
// they build: the clusters of the use case (openstack.go, aio.go,
// vnfpackage.go, or an existing cluster, existing.go), then on each of them
// Cilium and the Tacker VIM (addons.go), joined by Cluster Mesh (mesh.go).
package stacks

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Keys are the short names of every config key, in declaration order.
func Keys() []string {
	var keys []string
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		if k := t.Field(i).Tag.Get("key"); k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

// Load reads and validates the stack's configuration. It runs before any
// resource is registered, so bad config leaves nothing half-created.
func Load(ctx *pulumi.Context) (*Config, error) {
	raw := map[string]string{}
	for _, k := range Keys() {
		if v := config.Get(ctx, Key(k)); v != "" {
			raw[k] = v
		}
	}
	cfg, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(plainSecrets(raw, ctx.IsConfigSecret)...); err != nil {
		return nil, fmt.Errorf("invalid configuration of stack %q:\n%w", ctx.Stack(), err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration of stack %q:\n%w", ctx.Stack(), err)
	}
	return cfg, nil
}

// plainSecrets are the errors of credentials given in plain text: the
// stack file would hold them in clear.
func plainSecrets(raw map[string]string, isSecret func(string) bool) []error {
	var errs []error
	t := reflect.TypeOf(Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		k := f.Tag.Get("key")
		if f.Tag.Get("secret") == "true" && raw[k] != "" && !isSecret(Key(k)) {
			errs = append(errs, fmt.Errorf("%s is set in plain text; it is a credential: set it with pulumi config set --secret %s", Key(k), Key(k)))
		}
	}
	return errs
}

// target is a cluster the addons go onto, however it was made.
type target struct {
	spec ClusterSpec
	// kubeconfig is the admin kubeconfig (secret).
	kubeconfig pulumi.StringOutput
	// apiEndpoint is the API as Tacker and users reach it, https://host:port.
	apiEndpoint pulumi.StringOutput
	// apiHost and apiPort are the API as nodes reach it: with kube-proxy
	// replaced, Cilium's agents find the API server only through them.
	apiHost   pulumi.StringOutput
	apiPort   int
	caCertPem pulumi.StringOutput
	nodeIPs   pulumi.StringArrayOutput
	// nodes is how many nodes the cluster starts with; 0 when unknown.
	nodes int
	mtu   pulumi.IntOutput
	// after is what must be done before anything is installed: the first
	// control plane's readiness; gates are every node's.
	after, gates []pulumi.Resource
	// identity changes when the cluster is made anew (a new first control
	// plane runs kubeadm init again): what was installed on the old one
	// is then installed again. Nil for a cluster that is never remade here.
	identity pulumi.Input
	// ssh reaches the first control plane, for the Cilium verification;
	// nil when the program cannot log in (an existing cluster).
	ssh *remote.ConnectionArgs
	// outputs are what the stack exports of the cluster, beside the
	// common ones.
	outputs pulumi.Map
}

// Program is the Pulumi program of every stack.
func Program(ctx *pulumi.Context) error {
	cfg, err := Load(ctx)
	if err != nil {
		return err
	}
	mesh, err := newMesh(ctx, cfg)
	if err != nil {
		return err
	}
	var targets []*target
	switch {
	case cfg.Kubeconfig != "":
		t, err := existing(ctx, cfg)
		if err != nil {
			return err
		}
		targets = []*target{t}
	case cfg.HostMode():
		t, err := aioHost(ctx, cfg)
		if err != nil {
			return err
		}
		targets = []*target{t}
	case cfg.UseCase == "vnf-package":
		t, err := vnfPackage(ctx, cfg, mesh)
		if err != nil {
			return err
		}
		targets = []*target{t}
	default: // multinode, and aio on a VM: clusters of VMs
		if targets, err = openstackClusters(ctx, cfg, mesh); err != nil {
			return err
		}
	}
	if err := installAddons(ctx, cfg, targets, mesh); err != nil {
		return err
	}
	export(ctx, targets, mesh)
	return nil
}

// export publishes how to reach each cluster. The first cluster's facts
// are also top-level outputs, the ones a one-cluster stack is used with.
func export(ctx *pulumi.Context, targets []*target, mesh *mesh) {
	clusters := pulumi.Map{}
	for i, t := range targets {
		out := pulumi.Map{
			"apiEndpoint": t.apiEndpoint,
			"kubeconfig":  t.kubeconfig,
			"caCertPem":   t.caCertPem,
		}
		for k, v := range t.outputs {
			out[k] = v
		}
		clusters[t.spec.Name] = out
		if i == 0 {
			for k, v := range out {
				ctx.Export(k, v)
			}
		}
	}
	if len(targets) > 1 {
		ctx.Export("clusters", clusters)
	}
	mesh.export(ctx)
}
