package cilium

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/tacker-cilium/tacker-cilium/components/network"
)

// Values are the chart values the program sets, typed so that each one has
// one place where it is decided. JSON names and nesting are those of the
// chart's values.yaml (chart 1.20.2).
type Values struct {
	Cluster              ClusterID `json:"cluster"`
	KubeProxyReplacement bool      `json:"kubeProxyReplacement"`
	K8sServiceHost       string    `json:"k8sServiceHost,omitempty"`
	K8sServicePort       int       `json:"k8sServicePort,omitempty"`
	RoutingMode          string    `json:"routingMode"`
	TunnelProtocol       string    `json:"tunnelProtocol,omitempty"`
	AutoDirectNodeRoutes bool      `json:"autoDirectNodeRoutes"`
	// IPv4NativeRoutingCIDR is where pod traffic leaves unmasqueraded.
	IPv4NativeRoutingCIDR string `json:"ipv4NativeRoutingCIDR,omitempty"`
	BPF                   BPF    `json:"bpf"`
	IPAM                  IPAM   `json:"ipam"`
	// MTU is the base MTU, that of the node network: Cilium gives it to
	// cilium_host and the pods' devices and takes its own tunnel and
	// WireGuard overheads off the pods' routes (pkg/mtu, getRouteMTU).
	MTU      int      `json:"MTU,omitempty"`
	Hubble   Hubble   `json:"hubble"`
	Operator Operator `json:"operator"`
	// Devices are the interfaces the eBPF datapath (NodePort, BPF
	// masquerading) attaches to; empty lets the agent detect them.
	Devices []string `json:"devices,omitempty"`
	// ExtraArgs are cilium-agent's own flags (not the operator's).
	ExtraArgs   []string     `json:"extraArgs,omitempty"`
	Encryption  *Encryption  `json:"encryption,omitempty"`
	ClusterMesh *ClusterMesh `json:"clustermesh,omitempty"`
	TLS         *TLS         `json:"tls,omitempty"`
}

type ClusterID struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

type BPF struct {
	Masquerade bool `json:"masquerade"`
}

type IPAM struct {
	Mode     string       `json:"mode"`
	Operator IPAMOperator `json:"operator"`
}

type IPAMOperator struct {
	ClusterPoolIPv4PodCIDRList []string `json:"clusterPoolIPv4PodCIDRList"`
	ClusterPoolIPv4MaskSize    int      `json:"clusterPoolIPv4MaskSize"`
}

type Hubble struct {
	Enabled bool    `json:"enabled"`
	Relay   Enabled `json:"relay"`
	UI      Enabled `json:"ui"`
}

type Enabled struct {
	Enabled bool `json:"enabled"`
}

type Operator struct {
	Replicas int `json:"replicas"`
}

type Encryption struct {
	Enabled bool   `json:"enabled"`
	Type    string `json:"type"`
}

type ClusterMesh struct {
	UseAPIServer         bool          `json:"useAPIServer"`
	MaxConnectedClusters int           `json:"maxConnectedClusters"`
	Config               MeshConfig    `json:"config"`
	APIServer            MeshAPIServer `json:"apiserver"`
}

type MeshConfig struct {
	Enabled  bool       `json:"enabled"`
	Clusters []MeshPeer `json:"clusters"`
}

// MeshPeer is another cluster of the mesh, as this cluster's
// clustermesh-apiserver (KVStoreMesh) reaches it: its node IPs and the
// NodePort of its clustermesh-apiserver.
type MeshPeer struct {
	Name string   `json:"name"`
	IPs  []string `json:"ips"`
	Port int      `json:"port"`
}

type MeshAPIServer struct {
	Service MeshService `json:"service"`
	TLS     MeshTLS     `json:"tls"`
}

type MeshService struct {
	Type     string `json:"type"`
	NodePort int    `json:"nodePort,omitempty"`
}

type MeshTLS struct {
	Auto MeshTLSAuto `json:"auto"`
}

type MeshTLSAuto struct {
	Enabled bool   `json:"enabled"`
	Method  string `json:"method"`
}

type TLS struct {
	CA TLSCA `json:"ca"`
}

// TLSCA is the shared CA of a mesh, base64-encoded PEM: the chart hands
// both to sprig's buildCustomCert, which decodes base64 (cilium.ca.setup in
// the chart's _helpers.tpl).
type TLSCA struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// Profile is what the values are derived from. Validate says what each
// field accepts.
type Profile struct {
	ClusterName string
	ClusterID   int
	// APIHost and APIPort are the control-plane endpoint: with kube-proxy
	// replaced, nothing else tells the agent where the API server is.
	APIHost string
	APIPort int
	PodCIDR string
	// NativeRoutingCIDR is where pods are reached without masquerading in
	// native routing; empty is PodCIDR. A mesh in native routing needs one
	// that covers the pod CIDRs of every cluster.
	NativeRoutingCIDR    string
	RoutingMode          string // native | tunnel
	TunnelProtocol       string // vxlan | geneve
	KubeProxyReplacement bool
	NetworkMTU           int // MTU of the node network; 0 lets Cilium detect it
	WireGuard            bool
	Nodes                int
	HubbleUI             bool
	Mesh                 *Mesh // nil: a cluster on its own

	// DevstackHost: the node is a devstack host, where Tacker's API owns
	// 9890 (cilium-agent's gops port) and OVN's overlay owns 6081/udp
	// (Geneve). The agent's gops server moves to DevstackAgentGopsPort
	// unless AgentGopsPort says otherwise, and Geneve is refused.
	DevstackHost bool
	// AgentGopsPort is where cilium-agent's gops server listens
	// (127.0.0.1, host network); 0 is Cilium's 9890, or
	// DevstackAgentGopsPort on a devstack host. The operator keeps 9891.
	AgentGopsPort int
	// Devices pin the eBPF datapath to these interfaces (names or
	// wildcards like "eth+"); empty lets the agent detect them, which
	// already skips OVS and Linux bridges and their ports.
	Devices []string
}

// Mesh is this cluster's part of a Cluster Mesh.
type Mesh struct {
	CACert, CAKey        string // PEM
	ServiceType          string // NodePort | LoadBalancer
	MaxConnectedClusters int    // 255 | 511, the same across the mesh
	Peers                []MeshPeer
}

// MeshAPIServerPort is the clustermesh-apiserver's NodePort, from the
// port table the security groups are made of.
const MeshAPIServerPort = network.PortClusterMesh

// Ports of cilium-agent's gops server (Cilium's pkg/defaults GopsPortAgent)
// and the one it moves to on a devstack host, where Tacker's API listens on
// 0.0.0.0:9890. 9895 is none of Cilium's ports (gops 9890-9894, health
// 9876-9879, metrics 9962-9964) and none of devstack's services.
const (
	CiliumAgentGopsPort   = 9890
	DevstackAgentGopsPort = 9895
)

// PodMaskSize is the prefix length of the pod CIDR block each node gets
// from the cluster pool.
const PodMaskSize = 24

// Overheads Cilium 1.20 takes off the pods' route MTU on an IPv4 underlay
// (pkg/mtu: TunnelOverheadIPv4, WireguardOverhead).
const (
	TunnelOverhead    = 50 // VXLAN or Geneve: outer IP 20, UDP 8, header 8, inner Ethernet 14
	WireGuardOverhead = 95 // message 32, outer IP 40 (sized for IPv6), UDP 8, padding 15
)

// PodMTU is the route MTU of the pods, the largest packet they send
// without fragmenting: the node network's MTU less Cilium's VXLAN/Geneve
// header in tunnel mode and less WireGuard's when encrypting. Native
// routing adds no header. 0 when the network MTU is left to detection.
func PodMTU(p Profile) int {
	if p.NetworkMTU == 0 {
		return 0
	}
	mtu := p.NetworkMTU
	if p.RoutingMode == "tunnel" {
		mtu -= TunnelOverhead
	}
	if p.WireGuard {
		mtu -= WireGuardOverhead
	}
	return mtu
}

// GopsPort is the port cilium-agent's gops server ends up on.
func (p Profile) GopsPort() int {
	switch {
	case p.AgentGopsPort != 0:
		return p.AgentGopsPort
	case p.DevstackHost:
		return DevstackAgentGopsPort
	}
	return CiliumAgentGopsPort
}

// Build derives the values of a profile: the high-performance defaults of
// the product (kube-proxy replacement, BPF masquerading, native routing
// where the network allows, cluster-pool IPAM, Hubble with relay). It
// assumes a valid profile: New calls Validate first.
func Build(p Profile) Values {
	v := Values{
		Cluster:              ClusterID{Name: p.ClusterName, ID: p.ClusterID},
		KubeProxyReplacement: p.KubeProxyReplacement,
		RoutingMode:          p.RoutingMode,
		BPF:                  BPF{Masquerade: true},
		IPAM: IPAM{Mode: "cluster-pool", Operator: IPAMOperator{
			ClusterPoolIPv4PodCIDRList: []string{p.PodCIDR}, ClusterPoolIPv4MaskSize: PodMaskSize,
		}},
		MTU:    p.NetworkMTU,
		Hubble: Hubble{Enabled: true, Relay: Enabled{true}, UI: Enabled{p.HubbleUI}},
		// The operator's pods repel each other: a second replica on a
		// single node would stay Pending.
		Operator: Operator{Replicas: min(2, max(1, p.Nodes))},
		Devices:  p.Devices,
	}
	if p.KubeProxyReplacement {
		v.K8sServiceHost, v.K8sServicePort = p.APIHost, p.APIPort
	}
	if p.RoutingMode == "native" {
		// One L2 subnet: each node is the next hop of its own pod range.
		v.AutoDirectNodeRoutes = true
		v.IPv4NativeRoutingCIDR = p.PodCIDR
		if p.NativeRoutingCIDR != "" {
			v.IPv4NativeRoutingCIDR = p.NativeRoutingCIDR
		}
	} else {
		v.TunnelProtocol = p.TunnelProtocol
	}
	// A flag of the agent alone: gops-port in cilium-config would move the
	// operator too, which reads the same ConfigMap.
	if port := p.GopsPort(); port != CiliumAgentGopsPort {
		v.ExtraArgs = append(v.ExtraArgs, fmt.Sprintf("--gops-port=%d", port))
	}
	if p.WireGuard {
		v.Encryption = &Encryption{Enabled: true, Type: "wireguard"}
	}
	if m := p.Mesh; m != nil {
		svc := MeshService{Type: m.ServiceType}
		if svc.Type == "" {
			svc.Type = "NodePort"
		}
		if svc.Type == "NodePort" {
			svc.NodePort = MeshAPIServerPort
		}
		maxClusters := m.MaxConnectedClusters
		if maxClusters == 0 {
			maxClusters = 255
		}
		peers := make([]MeshPeer, len(m.Peers))
		for i, peer := range m.Peers {
			if peer.Port == 0 {
				peer.Port = MeshAPIServerPort
			}
			peers[i] = peer
		}
		v.ClusterMesh = &ClusterMesh{
			UseAPIServer:         true,
			MaxConnectedClusters: maxClusters,
			Config:               MeshConfig{Enabled: true, Clusters: peers},
			APIServer:            MeshAPIServer{Service: svc, TLS: MeshTLS{Auto: MeshTLSAuto{Enabled: true, Method: "helm"}}},
		}
		b64 := base64.StdEncoding.EncodeToString
		v.TLS = &TLS{CA: TLSCA{Cert: b64([]byte(m.CACert)), Key: b64([]byte(m.CAKey))}}
	}
	return v
}

// Map is the values as Helm takes them, with extra merged over them: a user
// value wins, maps merge key by key, and the user's extraArgs come after
// the profile's, so that a flag given twice takes the user's value without
// losing the profile's other flags.
func (v Values) Map(extra map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	ours, _ := m["extraArgs"].([]any)
	m = merge(m, extra)
	if theirs, ok := list(extra["extraArgs"]); ok && len(ours) > 0 {
		m["extraArgs"] = append(append([]any{}, ours...), theirs...)
	}
	return m, nil
}

// list is a list value as it comes from stack config ([]any) or Go ([]string).
func list(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []string:
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func merge(dst, src map[string]any) map[string]any {
	for k, sv := range src {
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = merge(dm, sm)
				continue
			}
		}
		dst[k] = sv
	}
	return dst
}
