package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tacker-cilium/tacker-cilium/components/cluster"
)

// aioHost makes an existing host, typically the devstack host itself, a
// single-node cluster over SSH: the bootstrap cloud-init runs on VMs,
// delivered by one remote command. aio on a VM is a cluster of one VM
// (openstackClusters).
func aioHost(ctx *pulumi.Context, cfg *Config) (*target, error) {
	spec := cfg.ClusterSpecs()[0]
	host := &cluster.Host{Address: cfg.HostAddress, NodeIP: cfg.NodeIP()}
	if cfg.HostPrivateKey != "" {
		host.PrivateKey = pulumi.ToSecret(pulumi.String(cfg.HostPrivateKey)).(pulumi.StringOutput)
	}
	a := clusterArgs(cfg, spec, nil)
	a.Host = host
	k8s, err := cluster.New(ctx, spec.Name, &a)
	if err != nil {
		return nil, err
	}
	t := clusterTarget(spec, k8s)
	// bootstrap.sh leaves a bootstrapped host's cluster alone, whatever
	// re-runs it: the cluster is never made anew here.
	t.identity = nil
	// 0 lets Cilium take the MTU of the host's own interface.
	t.mtu = pulumi.Int(cfg.NetworkMTU).ToIntOutput()
	return t, nil
}
