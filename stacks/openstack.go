package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tacker-cilium/tacker-cilium/components/cluster"
	"github.com/tacker-cilium/tacker-cilium/components/network"
)

// datapath is what the security groups open for the chosen Cilium datapath.
func datapath(cfg *Config) network.Datapath {
	d := network.Datapath{
		RoutingMode:    cfg.RoutingMode,
		TunnelProtocol: cfg.TunnelProtocol,
		WireGuard:      cfg.Encryption == "wireguard",
	}
	if cfg.NodePortRange != "" {
		d.NodePortFrom, d.NodePortTo, _ = ParsePortRange(cfg.NodePortRange)
	}
	return d
}

// openstackClusters builds each cluster of the stack on its own subnet,
// all behind one router so that meshed clusters reach each other's nodes.
func openstackClusters(ctx *pulumi.Context, cfg *Config, mesh *mesh) ([]*target, error) {
	var targets []*target
	var router pulumi.StringInput
	for _, spec := range cfg.ClusterSpecs() {
		na := networkArgs(cfg, spec)
		na.MeshPeerCIDRs, na.Router = mesh.peerNodeCIDRs(spec.Name), router
		net, err := network.New(ctx, spec.Name, na)
		if err != nil {
			return nil, err
		}
		if router == nil && cfg.ExistingNetworkID == "" {
			router = net.RouterID
		}
		ca := clusterArgs(cfg, spec, net)
		k8s, err := cluster.New(ctx, spec.Name, &ca)
		if err != nil {
			return nil, err
		}
		t := clusterTarget(spec, k8s)
		t.mtu = net.MTU
		if cfg.NetworkMTU != 0 {
			t.mtu = pulumi.Int(cfg.NetworkMTU).ToIntOutput()
		}
		if cfg.KeypairName == "" {
			t.outputs["sshPrivateKey"] = k8s.SSHPrivateKey
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// networkArgs are a cluster's network and security groups from the config.
func networkArgs(cfg *Config, spec ClusterSpec) *network.Args {
	return &network.Args{
		CIDR:                 spec.NodeCIDR,
		DNSServers:           cfg.DNSServers,
		ExternalNetwork:      cfg.ExternalNetwork,
		ExistingNetworkID:    cfg.ExistingNetworkID,
		ExistingSubnetID:     cfg.ExistingSubnetID,
		SSHAllowedCIDRs:      cfg.SSHAllowedCIDRs,
		APIAllowedCIDRs:      cfg.APIAllowedCIDRs,
		NodePortAllowedCIDRs: cfg.NodePortAllowedCIDRs,
		PodCIDR:              spec.PodCIDR,
		Datapath:             datapath(cfg),
	}
}

// clusterArgs are what a cluster's nodes are made of, from the config; net
// is the network they go on (nil for an existing host).
func clusterArgs(cfg *Config, spec ClusterSpec, net *network.Network) cluster.Args {
	a := cluster.Args{
		Name:              spec.Name,
		Versions:          cfg.Versions,
		KubernetesRepo:    cfg.KubernetesRepo,
		CRIORepo:          cfg.CRIORepo,
		ControlPlane:      cluster.Pool{Count: spec.ControlPlanes(), Flavor: cfg.ControlPlaneFlavor, Image: cfg.ControlPlaneImage, VolumeSize: cfg.ControlPlaneVolumeSize},
		Workers:           cluster.Pool{Count: spec.Workers(), Flavor: cfg.WorkerFlavor, Image: cfg.WorkerImage, VolumeSize: cfg.WorkerVolumeSize},
		VolumeType:        cfg.VolumeType,
		ServerGroupPolicy: cfg.ServerGroupPolicy,
		SSHUser:           cfg.SSHUser,
		KeypairName:       cfg.KeypairName,
		PodCIDR:           spec.PodCIDR,
		ServiceCIDR:       spec.ServiceCIDR,
		NativeRouting:     cfg.RoutingMode == "native",
		SkipKubeProxy:     cfg.KubeProxyReplacement,
		TokenTTL:          cfg.BootstrapTokenTTL,
	}
	if net != nil {
		a.Network = cluster.Network{
			NetworkID: net.NetworkID, SubnetID: net.SubnetID,
			NodeSecGroupID: net.NodeSecGroupID, ControlPlaneSecGroupID: net.ControlPlaneSecGroupID,
			FloatingIPPool: net.ExternalNetworkName, Routed: net.Routed,
		}
	}
	return a
}

// clusterTarget is what the addons need of a cluster the program built.
func clusterTarget(spec ClusterSpec, k8s *cluster.Cluster) *target {
	var nodes pulumi.Array
	for _, n := range k8s.Nodes {
		nodes = append(nodes, pulumi.Map{"name": pulumi.String(n.Name), "role": pulumi.String(string(n.Role)), "ip": n.IP})
	}
	ssh := k8s.SSH
	return &target{
		spec:        spec,
		kubeconfig:  k8s.Kubeconfig,
		apiEndpoint: k8s.APIEndpoint,
		apiHost:     k8s.Nodes[0].IP,
		apiPort:     network.PortAPIServer,
		caCertPem:   k8s.CACertPem,
		nodeIPs:     k8s.NodeIPs(),
		nodes:       len(k8s.Nodes),
		after:       []pulumi.Resource{k8s.Nodes[0].Gate},
		// The first control plane's gate is remade with its VM.
		identity: k8s.Nodes[0].Gate.(pulumi.CustomResource).ID(),
		gates:    k8s.Gates(),
		ssh:      &ssh,
		outputs: pulumi.Map{
			"controlPlaneEndpoint": k8s.ControlPlaneEndpoint,
			"caCertHash":           k8s.CACertHash,
			"nodes":                nodes,
		},
	}
}
