package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tacker-cilium/tacker-cilium/components/network"
	"github.com/tacker-cilium/tacker-cilium/components/vnfpackage"
	"github.com/tacker-cilium/tacker-cilium/sdk/go/tacker"
)

// vnfPackage has Tacker build the cluster from the program's VNF package:
// the network and the control plane's address are made here, the servers
// by Tacker through Heat, which can then scale and heal the workers.
func vnfPackage(ctx *pulumi.Context, cfg *Config, mesh *mesh) (*target, error) {
	spec := cfg.ClusterSpecs()[0]
	na := networkArgs(cfg, spec)
	na.MeshPeerCIDRs = mesh.peerNodeCIDRs(spec.Name)
	net, err := network.New(ctx, spec.Name, na)
	if err != nil {
		return nil, err
	}
	args := &vnfpackage.Args{
		Cluster:        clusterArgs(cfg, spec, net),
		MinWorkers:     cfg.VnfMinWorkers,
		MaxWorkers:     cfg.VnfMaxWorkers,
		HealGeneration: cfg.VnfHealGeneration,
		HealVnfcIDs:    cfg.VnfHealServers,
		AutoHeal:       cfg.VnfAutoHeal,
		AutoScale:      cfg.VnfAutoScale,
	}
	if cfg.VnfVimAuthURL != "" {
		access := tacker.VimAccessInfoArgs{
			Username: pulumi.String(cfg.VnfVimUsername),
			Password: pulumi.ToSecret(pulumi.String(cfg.VnfVimPassword)).(pulumi.StringOutput),
			Project:  pulumi.String(cfg.VnfVimProject),
		}
		if cfg.VnfVimDomain != "" {
			access.ProjectDomain, access.UserDomain = pulumi.StringPtr(cfg.VnfVimDomain), pulumi.StringPtr(cfg.VnfVimDomain)
		}
		if cfg.VnfVimRegion != "" {
			access.Region = pulumi.StringPtr(cfg.VnfVimRegion)
		}
		args.VimConnectionInfo = tacker.VimConnectionInfoMap{"vim1": tacker.VimConnectionInfoArgs{
			InterfaceInfo: tacker.VimInterfaceInfoArgs{Endpoint: pulumi.String(cfg.VnfVimAuthURL)},
			AccessInfo:    access,
		}}
	}
	vnf, err := vnfpackage.New(ctx, spec.Name, args)
	if err != nil {
		return nil, err
	}
	ssh := vnf.SSH
	t := &target{
		spec:        spec,
		kubeconfig:  vnf.Kubeconfig,
		apiEndpoint: vnf.APIEndpoint,
		apiHost:     vnf.ControlPlaneIP,
		apiPort:     network.PortAPIServer,
		caCertPem:   vnf.CACertPem,
		// The workers' addresses are Heat's: a mesh peer reaches this
		// cluster through its control plane.
		nodeIPs: pulumi.StringArray{vnf.ControlPlaneIP}.ToStringArrayOutput(),
		nodes:   1 + spec.Workers(),
		mtu:     net.MTU,
		after:   []pulumi.Resource{vnf.Gate},
		// A new instance (a changed package, a replaced instance) is a new
		// cluster on the same address.
		identity: vnf.Instance.ID(),
		// Cilium's verification waits for every node: after the sweep,
		// only the servers Tacker lists are nodes.
		gates: []pulumi.Resource{vnf.Gate, vnf.Sweep},
		ssh:   &ssh,
		outputs: pulumi.Map{
			"controlPlaneEndpoint": vnf.ControlPlaneEndpoint,
			"caCertHash":           vnf.CACertHash,
			"sshPrivateKey":        vnf.SSHPrivateKey,
			"vnfPackageId":         vnf.Package.ID(),
			"vnfdId":               vnf.Package.VnfdId,
			"vnfPackageHash":       vnf.PackageHash,
			"vnfInstanceId":        vnf.Instance.ID(),
			"vnfScaleStatus":       vnf.Instance.ScaleStatus,
		},
	}
	if cfg.NetworkMTU != 0 {
		t.mtu = pulumi.Int(cfg.NetworkMTU).ToIntOutput()
	}
	return t, nil
}
