package network

// The one table of the ports a cluster opens (Kubernetes and Cilium system
// requirements, REFERENCE.md). Security groups are generated from it and
// nothing else, so a port is added or removed here only.

// Source is who a rule admits.
type Source int

const (
	FromSSHCIDRs      Source = iota // sshAllowedCidrs
	FromAPICIDRs                    // apiAllowedCidrs
	FromNodePortCIDRs               // nodePortAllowedCidrs
	FromControlPlanes               // the control-plane security group
	FromNodes                       // the security group of every node
	FromPodCIDR                     // pods, when routed natively
	FromMeshPeers                   // node subnets of the other clusters of a Cluster Mesh
)

func (s Source) String() string {
	return [...]string{"ssh-cidrs", "api-cidrs", "nodeport-cidrs", "control-planes", "nodes", "pod-cidr", "mesh-peers"}[s]
}

// Target is the security group a rule belongs to.
type Target int

const (
	OnNodes         Target = iota // every node
	OnControlPlanes               // control-plane nodes only
)

func (t Target) String() string { return [...]string{"nodes", "control-planes"}[t] }

// Datapath is what decides which optional ports open.
type Datapath struct {
	RoutingMode    string // native | tunnel
	TunnelProtocol string // vxlan | geneve
	WireGuard      bool
	NodePortFrom   int // 0: NodePorts closed
	NodePortTo     int
}

// Rule is one row of the table: protocol and ports, admitted sources, the
// group it goes on, and when it applies.
type Rule struct {
	Name     string
	Protocol string // tcp | udp | icmp | "" (any)
	From, To int    // ports; for icmp, type and code
	Source   Source
	Target   Target
	When     func(Datapath) bool
}

func always(Datapath) bool { return true }
func tunnel(p string) func(Datapath) bool {
	return func(d Datapath) bool { return d.RoutingMode == "tunnel" && d.TunnelProtocol == p }
}

const (
	PortSSH          = 22
	PortAPIServer    = 6443
	PortEtcdClient   = 2379
	PortEtcdPeer     = 2380
	PortKubelet      = 10250
	PortCiliumHealth = 4240
	PortHubble       = 4244
	PortVXLAN        = 8472
	PortGeneve       = 6081
	PortWireGuard    = 51871
	// PortClusterMesh is the clustermesh-apiserver's NodePort.
	PortClusterMesh = 32379
)

// Table is every rule the program may create.
var Table = []Rule{
	{"ssh", "tcp", PortSSH, PortSSH, FromSSHCIDRs, OnNodes, always},
	{"api", "tcp", PortAPIServer, PortAPIServer, FromAPICIDRs, OnControlPlanes, always},
	// kubelets, kube-proxy replacement and pods reach the API from the nodes.
	{"api-from-nodes", "tcp", PortAPIServer, PortAPIServer, FromNodes, OnControlPlanes, always},
	{"etcd", "tcp", PortEtcdClient, PortEtcdPeer, FromControlPlanes, OnControlPlanes, always},
	{"kubelet", "tcp", PortKubelet, PortKubelet, FromNodes, OnNodes, always},
	{"cilium-health", "tcp", PortCiliumHealth, PortCiliumHealth, FromNodes, OnNodes, always},
	{"cilium-health-icmp", "icmp", 8, 0, FromNodes, OnNodes, always},
	{"hubble", "tcp", PortHubble, PortHubble, FromNodes, OnNodes, always},
	{"vxlan", "udp", PortVXLAN, PortVXLAN, FromNodes, OnNodes, tunnel("vxlan")},
	{"geneve", "udp", PortGeneve, PortGeneve, FromNodes, OnNodes, tunnel("geneve")},
	// Natively routed pod traffic keeps pod source addresses.
	{"pods", "", 0, 0, FromPodCIDR, OnNodes, func(d Datapath) bool { return d.RoutingMode == "native" }},
	{"wireguard", "udp", PortWireGuard, PortWireGuard, FromNodes, OnNodes, func(d Datapath) bool { return d.WireGuard }},
	{"nodeports", "tcp", 0, 0, FromNodePortCIDRs, OnNodes, func(d Datapath) bool { return d.NodePortFrom > 0 }},
	// Cluster Mesh: the peers' agents read this cluster's clustermesh-apiserver,
	// probe its nodes' health and tunnel to its pods.
	{"mesh-apiserver", "tcp", PortClusterMesh, PortClusterMesh, FromMeshPeers, OnNodes, always},
	{"mesh-health", "tcp", PortCiliumHealth, PortCiliumHealth, FromMeshPeers, OnNodes, always},
	{"mesh-health-icmp", "icmp", 8, 0, FromMeshPeers, OnNodes, always},
	{"mesh-vxlan", "udp", PortVXLAN, PortVXLAN, FromMeshPeers, OnNodes, tunnel("vxlan")},
	{"mesh-geneve", "udp", PortGeneve, PortGeneve, FromMeshPeers, OnNodes, tunnel("geneve")},
	{"mesh-wireguard", "udp", PortWireGuard, PortWireGuard, FromMeshPeers, OnNodes, func(d Datapath) bool { return d.WireGuard }},
	{"nodeports-udp", "udp", 0, 0, FromNodePortCIDRs, OnNodes, func(d Datapath) bool { return d.NodePortFrom > 0 }},
}

// Rules are the rows that apply to a datapath, with the NodePort range filled in.
func Rules(d Datapath) []Rule {
	var out []Rule
	for _, r := range Table {
		if !r.When(d) {
			continue
		}
		if r.Source == FromNodePortCIDRs {
			r.From, r.To = d.NodePortFrom, d.NodePortTo
		}
		out = append(out, r)
	}
	return out
}
