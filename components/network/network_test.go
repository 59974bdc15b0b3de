package network

import (
	"fmt"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
)

func build(t *testing.T, args Args) *mocks.Mocks {
	t.Helper()
	m, err := mocks.Run(func(ctx *pulumi.Context) error {
		_, err := New(ctx, "c1", &args)
		return err
	}, "p", "s", "10.20.0.0/24", nil)
	require.NoError(t, err)
	return m
}

func baseArgs() Args {
	return Args{
		CIDR: "10.20.0.0/24", DNSServers: []string{"192.0.2.53"}, ExternalNetwork: "public",
		SSHAllowedCIDRs: []string{"198.51.100.0/24"},
		APIAllowedCIDRs: []string{"198.51.100.0/24", "192.0.2.0/24"},
		PodCIDR:         "10.244.0.0/16",
		Datapath:        Datapath{RoutingMode: "native", TunnelProtocol: "vxlan"},
	}
}

// rule is a created security-group rule, reduced to what decides access.
type rule struct {
	Group, Proto string
	Min, Max     int
	Remote       string // a CIDR, or the name of a remote group
}

func rules(t *testing.T, m *mocks.Mocks) []rule {
	groups := map[string]string{}
	for _, sg := range m.ByType("openstack:networking/secGroup:SecGroup") {
		groups[sg.Name+"-id"] = sg.Name
	}
	var out []rule
	for _, r := range m.ByType("openstack:networking/secGroupRule:SecGroupRule") {
		in := r.Inputs
		x := rule{Group: groups[mocks.Plain(in["securityGroupId"])], Proto: mocks.Plain(in["protocol"])}
		if v := in["portRangeMin"]; v.IsNumber() {
			x.Min, x.Max = int(v.NumberValue()), int(in["portRangeMax"].NumberValue())
		}
		x.Remote = mocks.Plain(in["remoteIpPrefix"])
		if g := mocks.Plain(in["remoteGroupId"]); g != "" {
			x.Remote = groups[g]
		}
		require.Equal(t, "ingress", mocks.Plain(in["direction"]))
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

func has(rs []rule, r rule) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func TestCreatesNetworkSubnetRouter(t *testing.T) {
	m := build(t, baseArgs())
	require.Len(t, m.ByType("openstack:networking/network:Network"), 1)
	subnets := m.ByType("openstack:networking/subnet:Subnet")
	require.Len(t, subnets, 1)
	require.Equal(t, "10.20.0.0/24", mocks.Plain(subnets[0].Inputs["cidr"]))
	require.Equal(t, "192.0.2.53", mocks.Plain(subnets[0].Inputs["dnsNameservers"].ArrayValue()[0]))
	routers := m.ByType("openstack:networking/router:Router")
	require.Len(t, routers, 1)
	require.Equal(t, "network-public", mocks.Plain(routers[0].Inputs["externalNetworkId"]), "router gateway on the looked-up external network")
	require.Len(t, m.ByType("openstack:networking/routerInterface:RouterInterface"), 1)
	for _, r := range m.Resources() {
		if r.Type != "tacker-cilium:network:Network" {
			require.Contains(t, r.Parent, "tacker-cilium:network:Network", "%s %s is not parented to the component", r.Type, r.Name)
		}
	}
}

func TestExistingNetworkIsReused(t *testing.T) {
	a := baseArgs()
	a.ExistingNetworkID, a.ExistingSubnetID = "net-1", "subnet-1"
	m := build(t, a)
	for _, typ := range []string{"network:Network", "subnet:Subnet", "router:Router", "routerInterface:RouterInterface"} {
		require.Empty(t, m.ByType("openstack:networking/"+typ), typ)
	}
	require.Len(t, m.ByType("openstack:networking/secGroup:SecGroup"), 2)
}

func TestAccessRulesOnlyFromConfiguredSources(t *testing.T) {
	rs := rules(t, build(t, baseArgs()))
	require.True(t, has(rs, rule{"c1-nodes", "tcp", 22, 22, "198.51.100.0/24"}))
	require.True(t, has(rs, rule{"c1-control-planes", "tcp", 6443, 6443, "198.51.100.0/24"}))
	require.True(t, has(rs, rule{"c1-control-planes", "tcp", 6443, 6443, "192.0.2.0/24"}))
	require.True(t, has(rs, rule{"c1-control-planes", "tcp", 2379, 2380, "c1-control-planes"}))
	for _, p := range []int{10250, 4240, 4244} {
		require.True(t, has(rs, rule{"c1-nodes", "tcp", p, p, "c1-nodes"}), "port %d between nodes", p)
	}
	require.True(t, has(rs, rule{"c1-nodes", "icmp", 8, 0, "c1-nodes"}))
	for _, r := range rs {
		switch {
		case r.Min == 22:
			require.Equal(t, "198.51.100.0/24", r.Remote, "SSH only from sshAllowedCidrs")
		case r.Min == 6443 && r.Remote != "c1-nodes":
			require.Contains(t, []string{"198.51.100.0/24", "192.0.2.0/24"}, r.Remote, "API only from apiAllowedCidrs and nodes")
		case r.Min == 2379:
			require.Equal(t, "c1-control-planes", r.Remote, "etcd only between control planes")
			require.Equal(t, "c1-control-planes", r.Group)
		}
		require.NotEqual(t, "0.0.0.0/0", r.Remote)
	}
}

func TestDatapathPorts(t *testing.T) {
	udp := func(rs []rule, port int) bool { return has(rs, rule{"c1-nodes", "udp", port, port, "c1-nodes"}) }
	native := rules(t, build(t, baseArgs()))
	require.False(t, udp(native, 8472), "no tunnel port in native routing")
	require.False(t, udp(native, 6081))
	require.False(t, udp(native, 51871), "no WireGuard without encryption")
	require.True(t, has(native, rule{"c1-nodes", "", 0, 0, "10.244.0.0/16"}), "native pod traffic admitted from the pod CIDR")

	a := baseArgs()
	a.Datapath = Datapath{RoutingMode: "tunnel", TunnelProtocol: "vxlan", WireGuard: true}
	vx := rules(t, build(t, a))
	require.True(t, udp(vx, 8472))
	require.False(t, udp(vx, 6081))
	require.True(t, udp(vx, 51871))
	require.False(t, has(vx, rule{"c1-nodes", "", 0, 0, "10.244.0.0/16"}))

	a.Datapath = Datapath{RoutingMode: "tunnel", TunnelProtocol: "geneve"}
	gn := rules(t, build(t, a))
	require.True(t, udp(gn, 6081))
	require.False(t, udp(gn, 8472))
}

func TestNodePortsOnlyWhenConfigured(t *testing.T) {
	for _, r := range rules(t, build(t, baseArgs())) {
		require.False(t, r.Min >= 30000 && r.Min <= 32767, "NodePort rule without nodePortRange: %+v", r)
	}
	a := baseArgs()
	a.Datapath.NodePortFrom, a.Datapath.NodePortTo = 30000, 32767
	a.NodePortAllowedCIDRs = []string{"203.0.113.0/24"}
	rs := rules(t, build(t, a))
	require.True(t, has(rs, rule{"c1-nodes", "tcp", 30000, 32767, "203.0.113.0/24"}))
	require.True(t, has(rs, rule{"c1-nodes", "udp", 30000, 32767, "203.0.113.0/24"}))
}

// The table is the single source: every rule created comes from a row.
func TestEveryRuleComesFromTheTable(t *testing.T) {
	a := baseArgs()
	a.Datapath = Datapath{RoutingMode: "tunnel", TunnelProtocol: "vxlan", WireGuard: true, NodePortFrom: 30000, NodePortTo: 32767}
	a.NodePortAllowedCIDRs = []string{"203.0.113.0/24"}
	a.MeshPeerCIDRs = []string{"10.21.0.0/24", "10.22.0.0/24"}
	created := rules(t, build(t, a))
	want := 0
	for _, r := range Rules(a.Datapath) {
		switch r.Source {
		case FromSSHCIDRs:
			want += len(a.SSHAllowedCIDRs)
		case FromAPICIDRs:
			want += len(a.APIAllowedCIDRs)
		case FromNodePortCIDRs:
			want += len(a.NodePortAllowedCIDRs)
		case FromMeshPeers:
			want += len(a.MeshPeerCIDRs)
		default:
			want++
		}
	}
	require.Len(t, created, want)
}

func TestMeshPeersReachOnlyTheMeshPorts(t *testing.T) {
	a := baseArgs()
	a.Datapath = Datapath{RoutingMode: "tunnel", TunnelProtocol: "vxlan"}
	a.MeshPeerCIDRs = []string{"10.21.0.0/24"}
	var fromPeer []rule
	for _, r := range rules(t, build(t, a)) {
		if r.Remote == "10.21.0.0/24" {
			fromPeer = append(fromPeer, r)
		}
	}
	require.ElementsMatch(t, []rule{
		{"c1-nodes", "tcp", 32379, 32379, "10.21.0.0/24"},
		{"c1-nodes", "tcp", 4240, 4240, "10.21.0.0/24"},
		{"c1-nodes", "icmp", 8, 0, "10.21.0.0/24"},
		{"c1-nodes", "udp", 8472, 8472, "10.21.0.0/24"},
	}, fromPeer)
}

func TestSecondClusterSharesTheRouter(t *testing.T) {
	a := baseArgs()
	a.Router = pulumi.String("router-east")
	m := build(t, a)
	require.Empty(t, m.ByType("openstack:networking/router:Router"))
	ifaces := m.ByType("openstack:networking/routerInterface:RouterInterface")
	require.Len(t, ifaces, 1)
	require.Equal(t, "router-east", mocks.Plain(ifaces[0].Inputs["routerId"]))
}
