// Package stacks turns a stack's typed configuration into components. Each
// stack file (Pulumi.<stack>.yaml) picks values; this package decides what
// they build.
package stacks

import (
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/tacker-cilium/tacker-cilium/components/cluster"
	"github.com/tacker-cilium/tacker-cilium/components/network"
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
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration of stack %q:\n%w", ctx.Stack(), err)
	}
	return cfg, nil
}

// Program is the Pulumi program of every stack.
func Program(ctx *pulumi.Context) error {
	cfg, err := Load(ctx)
	if err != nil {
		return err
	}
	_, err = Multinode(ctx, cfg)
	return err
}

// Multinode builds one cluster on its own network and exports how to reach it.
func Multinode(ctx *pulumi.Context, cfg *Config) (*cluster.Cluster, error) {
	datapath := network.Datapath{
		RoutingMode:    cfg.RoutingMode,
		TunnelProtocol: cfg.TunnelProtocol,
		WireGuard:      cfg.Encryption == "wireguard",
	}
	if cfg.NodePortRange != "" {
		datapath.NodePortFrom, datapath.NodePortTo, _ = ParsePortRange(cfg.NodePortRange)
	}
	net, err := network.New(ctx, cfg.ClusterName, &network.Args{
		CIDR:                 cfg.NodeCIDR,
		DNSServers:           cfg.DNSServers,
		ExternalNetwork:      cfg.ExternalNetwork,
		ExistingNetworkID:    cfg.ExistingNetworkID,
		ExistingSubnetID:     cfg.ExistingSubnetID,
		SSHAllowedCIDRs:      cfg.SSHAllowedCIDRs,
		APIAllowedCIDRs:      cfg.APIAllowedCIDRs,
		NodePortAllowedCIDRs: cfg.NodePortAllowedCIDRs,
		PodCIDR:              cfg.PodCIDR,
		Datapath:             datapath,
	})
	if err != nil {
		return nil, err
	}
	k8s, err := cluster.New(ctx, cfg.ClusterName, &cluster.Args{
		Name:              cfg.ClusterName,
		Versions:          cfg.Versions,
		KubernetesRepo:    cfg.KubernetesRepo,
		CRIORepo:          cfg.CRIORepo,
		ControlPlane:      cluster.Pool{Count: cfg.ControlPlaneCount, Flavor: cfg.ControlPlaneFlavor, Image: cfg.ControlPlaneImage, VolumeSize: cfg.ControlPlaneVolumeSize},
		Workers:           cluster.Pool{Count: cfg.WorkerCount, Flavor: cfg.WorkerFlavor, Image: cfg.WorkerImage, VolumeSize: cfg.WorkerVolumeSize},
		VolumeType:        cfg.VolumeType,
		ServerGroupPolicy: cfg.ServerGroupPolicy,
		SSHUser:           cfg.SSHUser,
		KeypairName:       cfg.KeypairName,
		Network: cluster.Network{
			NetworkID: net.NetworkID, SubnetID: net.SubnetID,
			NodeSecGroupID: net.NodeSecGroupID, ControlPlaneSecGroupID: net.ControlPlaneSecGroupID,
			FloatingIPPool: net.ExternalNetworkName, Routed: net.Routed,
		},
		PodCIDR:       cfg.PodCIDR,
		ServiceCIDR:   cfg.ServiceCIDR,
		NativeRouting: cfg.RoutingMode == "native",
		SkipKubeProxy: cfg.KubeProxyReplacement,
		TokenTTL:      cfg.BootstrapTokenTTL,
	})
	if err != nil {
		return nil, err
	}

	var nodes pulumi.Array
	for _, n := range k8s.Nodes {
		nodes = append(nodes, pulumi.Map{"name": pulumi.String(n.Name), "role": pulumi.String(string(n.Role)), "ip": n.IP})
	}
	ctx.Export("apiEndpoint", k8s.APIEndpoint)
	ctx.Export("controlPlaneEndpoint", k8s.ControlPlaneEndpoint)
	ctx.Export("kubeconfig", k8s.Kubeconfig)
	ctx.Export("caCertHash", k8s.CACertHash)
	ctx.Export("nodes", nodes)
	if cfg.KeypairName == "" {
		ctx.Export("sshPrivateKey", k8s.SSHPrivateKey)
	}
	return k8s, nil
}
