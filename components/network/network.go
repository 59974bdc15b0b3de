// Package network is the OpenStack network of a cluster: network, subnet and
// router (or an existing network), and the security groups of its nodes,
// generated from the port table in ports.go.
package network

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-openstack/sdk/v3/go/openstack/networking"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args configure a Network.
type Args struct {
	CIDR              string
	DNSServers        []string
	ExternalNetwork   string // name or ID
	ExistingNetworkID string // reuse instead of creating network, subnet, router
	ExistingSubnetID  string

	SSHAllowedCIDRs      []string
	APIAllowedCIDRs      []string
	NodePortAllowedCIDRs []string
	PodCIDR              string
	Datapath             Datapath
	// MeshPeerCIDRs are the node subnets of the other clusters of a mesh.
	MeshPeerCIDRs []string
	// Router, when set, is an existing router to attach the new subnet to,
	// so that the clusters of one stack reach each other's nodes.
	Router pulumi.StringInput
}

// Network is the component.
type Network struct {
	pulumi.ResourceState

	NetworkID pulumi.StringOutput
	SubnetID  pulumi.StringOutput
	// ExternalNetworkName is the floating-IP pool.
	ExternalNetworkName    pulumi.StringOutput
	NodeSecGroupID         pulumi.StringOutput
	ControlPlaneSecGroupID pulumi.StringOutput
	RouterID               pulumi.StringOutput // empty with an existing network
	// MTU of the node network, as Neutron reports it.
	MTU pulumi.IntOutput
	// Routed is what must exist before a floating IP can be bound to a port
	// of the subnet: the router interface, when the network is created here.
	Routed []pulumi.Resource
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$`)

// New creates the network of a cluster.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Network, error) {
	n := &Network{}
	if err := ctx.RegisterComponentResource("tacker-cilium:network:Network", name, n, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(n)

	ext := networking.LookupNetworkOutputArgs{External: pulumi.BoolPtr(true)}
	if uuidRE.MatchString(args.ExternalNetwork) {
		ext.NetworkId = pulumi.StringPtr(args.ExternalNetwork)
	} else {
		ext.Name = pulumi.StringPtr(args.ExternalNetwork)
	}
	extNet := networking.LookupNetworkOutput(ctx, ext, pulumi.Parent(n))
	n.ExternalNetworkName = extNet.Name().Elem()

	if args.ExistingNetworkID != "" {
		n.NetworkID = pulumi.String(args.ExistingNetworkID).ToStringOutput()
		n.SubnetID = pulumi.String(args.ExistingSubnetID).ToStringOutput()
		n.RouterID = pulumi.String("").ToStringOutput()
		existing := networking.LookupNetworkOutput(ctx, networking.LookupNetworkOutputArgs{NetworkId: pulumi.StringPtr(args.ExistingNetworkID)}, parent)
		n.MTU = existing.Mtu().Elem()
	} else {
		net, err := networking.NewNetwork(ctx, name, &networking.NetworkArgs{
			Name:         pulumi.String(name),
			AdminStateUp: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return nil, err
		}
		subnet, err := networking.NewSubnet(ctx, name, &networking.SubnetArgs{
			Name:           pulumi.String(name),
			NetworkId:      net.ID(),
			Cidr:           pulumi.String(args.CIDR),
			IpVersion:      pulumi.Int(4),
			DnsNameservers: pulumi.ToStringArray(args.DNSServers),
		}, parent)
		if err != nil {
			return nil, err
		}
		routerID := args.Router
		if routerID == nil {
			router, err := networking.NewRouter(ctx, name, &networking.RouterArgs{
				Name:              pulumi.String(name),
				ExternalNetworkId: extNet.Id(),
			}, parent)
			if err != nil {
				return nil, err
			}
			routerID = router.ID()
		}
		iface, err := networking.NewRouterInterface(ctx, name, &networking.RouterInterfaceArgs{
			RouterId: routerID,
			SubnetId: subnet.ID(),
		}, parent)
		if err != nil {
			return nil, err
		}
		n.NetworkID = net.ID().ToStringOutput()
		n.SubnetID = subnet.ID().ToStringOutput()
		n.RouterID = routerID.ToStringOutput()
		n.MTU = net.Mtu
		n.Routed = []pulumi.Resource{iface}
	}

	groups := map[Target]*networking.SecGroup{}
	for _, t := range []Target{OnNodes, OnControlPlanes} {
		sg, err := networking.NewSecGroup(ctx, fmt.Sprintf("%s-%s", name, t), &networking.SecGroupArgs{
			Name:        pulumi.Sprintf("%s-%s", name, t),
			Description: pulumi.Sprintf("tacker-cilium %s of %s", t, name),
		}, parent)
		if err != nil {
			return nil, err
		}
		groups[t] = sg
	}
	n.NodeSecGroupID = groups[OnNodes].ID().ToStringOutput()
	n.ControlPlaneSecGroupID = groups[OnControlPlanes].ID().ToStringOutput()

	cidrs := map[Source][]string{
		FromSSHCIDRs:      args.SSHAllowedCIDRs,
		FromAPICIDRs:      args.APIAllowedCIDRs,
		FromNodePortCIDRs: args.NodePortAllowedCIDRs,
		FromPodCIDR:       {args.PodCIDR},
		FromMeshPeers:     args.MeshPeerCIDRs,
	}
	remoteGroups := map[Source]*networking.SecGroup{FromNodes: groups[OnNodes], FromControlPlanes: groups[OnControlPlanes]}
	for _, r := range Rules(args.Datapath) {
		rule := &networking.SecGroupRuleArgs{
			Description:     pulumi.Sprintf("%s from %s", r.Name, r.Source),
			Direction:       pulumi.String("ingress"),
			Ethertype:       pulumi.String("IPv4"),
			SecurityGroupId: groups[r.Target].ID(),
		}
		if r.Protocol != "" {
			rule.Protocol = pulumi.String(r.Protocol)
			rule.PortRangeMin, rule.PortRangeMax = pulumi.Int(r.From), pulumi.Int(r.To)
		}
		if sg, ok := remoteGroups[r.Source]; ok {
			rule.RemoteGroupId = sg.ID()
			if _, err := networking.NewSecGroupRule(ctx, fmt.Sprintf("%s-%s", name, r.Name), rule, parent); err != nil {
				return nil, err
			}
			continue
		}
		for i, cidr := range cidrs[r.Source] {
			each := *rule
			each.RemoteIpPrefix = pulumi.String(cidr)
			if _, err := networking.NewSecGroupRule(ctx, fmt.Sprintf("%s-%s-%d", name, r.Name, i), &each, parent); err != nil {
				return nil, err
			}
		}
	}

	return n, ctx.RegisterResourceOutputs(n, pulumi.Map{
		"mtu":                    n.MTU,
		"networkId":              n.NetworkID,
		"subnetId":               n.SubnetID,
		"nodeSecGroupId":         n.NodeSecGroupID,
		"controlPlaneSecGroupId": n.ControlPlaneSecGroupID,
	})
}
