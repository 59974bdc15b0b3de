package stacks

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tacker-cilium/tacker-cilium/components/cilium"
	"github.com/tacker-cilium/tacker-cilium/components/tackervim"
	"github.com/tacker-cilium/tacker-cilium/sdk/go/tacker"
)

// installAddons puts Cilium on every cluster, then registers each in
// Tacker. Whatever built a cluster, this is the same.
func installAddons(ctx *pulumi.Context, cfg *Config, targets []*target, mesh *mesh) error {
	for _, t := range targets {
		mesh.nodeIPs[t.spec.Name] = t.nodeIPs
	}
	var tackerProvider pulumi.ProviderResource
	if cfg.TackerVim {
		args := &tacker.ProviderArgs{}
		if cfg.TackerCloud != "" {
			args.Cloud = pulumi.StringPtr(cfg.TackerCloud)
		}
		if cfg.TackerEndpoint != "" {
			args.Endpoint = pulumi.StringPtr(cfg.TackerEndpoint)
		}
		// What is not set here comes from clouds.yaml or the OS_* variables
		// of the environment pulumi runs in, as with the openstack CLI.
		p, err := tacker.NewProvider(ctx, "tacker", args)
		if err != nil {
			return err
		}
		tackerProvider = p
	}

	for _, t := range targets {
		provider, err := kubernetes.NewProvider(ctx, t.spec.Name, &kubernetes.ProviderArgs{Kubeconfig: t.kubeconfig}, pulumi.DependsOn(t.after))
		if err != nil {
			return err
		}
		spec, nodes := t.spec, t.nodes
		profile := pulumi.All(t.apiHost, t.mtu, mesh.profile(cfg, spec.Name)).ApplyT(func(v []any) cilium.Profile {
			return cilium.Profile{
				ClusterName:          spec.Name,
				ClusterID:            spec.ID,
				APIHost:              v[0].(string),
				APIPort:              t.apiPort,
				PodCIDR:              spec.PodCIDR,
				RoutingMode:          cfg.RoutingMode,
				TunnelProtocol:       cfg.TunnelProtocol,
				KubeProxyReplacement: cfg.KubeProxyReplacement,
				NetworkMTU:           v[1].(int),
				WireGuard:            cfg.Encryption == "wireguard",
				Nodes:                nodes,
				HubbleUI:             cfg.HubbleUI,
				// An all-in-one cluster lives on a devstack: on its host,
				// Tacker's API owns 9890 and OVN 6081/udp. The VM of vm
				// mode gets the same values, so switching modes changes
				// nothing in Cilium.
				DevstackHost: cfg.UseCase == "aio",
				Mesh:         v[2].(*cilium.Mesh),
			}
		})
		c, err := cilium.New(ctx, spec.Name, &cilium.Args{
			Provider:     provider,
			ChartVersion: cfg.Versions.CiliumPatch,
			Repo:         cfg.CiliumChartRepo,
			ChartPath:    cfg.CiliumChartPath,
			Profile:      profile,
			Extra:        cfg.CiliumValues,
			After:        t.after,
			// What is installed on the cluster comes back on a new one.
			ClusterIdentity: t.identity,
			Wait:            cfg.CiliumWait,
			SSH:             t.ssh,
			VerifyAfter:     t.gates,
		})
		if err != nil {
			return err
		}
		if !cfg.TackerVim {
			continue
		}
		vimName := spec.Name
		if cfg.VimName != "" {
			vimName = cfg.VimName
			if len(targets) > 1 {
				vimName += "-" + spec.Name
			}
		}
		vim, err := tackervim.New(ctx, spec.Name, &tackervim.Args{
			VimName:         vimName,
			Description:     "Kubernetes cluster " + spec.Name + " with Cilium, managed by tacker-cilium",
			APIEndpoint:     t.apiEndpoint,
			CACertPem:       t.caCertPem,
			Project:         cfg.VimProject,
			IsDefault:       cfg.VimDefault,
			UseHelm:         cfg.VimUseHelm,
			ClusterRole:     cfg.VimClusterRole,
			ClusterIdentity: t.identity,
		}, pulumi.Providers(provider, tackerProvider), pulumi.DependsOn([]pulumi.Resource{c}))
		if err != nil {
			return err
		}
		t.outputs["vimId"] = vim.VimID
		t.outputs["vimStatus"] = vim.Status
	}
	return nil
}
