package cilium

import (
	"encoding/base64"
	"encoding/json"
)

// Values are the chart values the program sets, typed so that each one has
// one place where it is decided. JSON names are the chart's.
type Values struct {
	Cluster               ClusterID    `json:"cluster"`
	KubeProxyReplacement  bool         `json:"kubeProxyReplacement"`
	K8sServiceHost        string       `json:"k8sServiceHost,omitempty"`
	K8sServicePort        int          `json:"k8sServicePort,omitempty"`
	RoutingMode           string       `json:"routingMode"`
	TunnelProtocol        string       `json:"tunnelProtocol,omitempty"`
	AutoDirectNodeRoutes  bool         `json:"autoDirectNodeRoutes"`
	IPv4NativeRoutingCIDR string       `json:"ipv4NativeRoutingCIDR,omitempty"`
	BPF                   BPF          `json:"bpf"`
	IPAM                  IPAM         `json:"ipam"`
	MTU                   int          `json:"MTU,omitempty"`
	Hubble                Hubble       `json:"hubble"`
	Operator              Operator     `json:"operator"`
	Encryption            *Encryption  `json:"encryption,omitempty"`
	ClusterMesh           *ClusterMesh `json:"clustermesh,omitempty"`
	TLS                   *TLS         `json:"tls,omitempty"`
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

// MeshPeer is another cluster of the mesh, as this cluster's agents reach it.
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

// TLSCA is the shared CA of a mesh, base64-encoded PEM as the chart wants.
type TLSCA struct {
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// Profile is what the values are derived from.
type Profile struct {
	ClusterName string
	ClusterID   int
	// APIHost and APIPort are the control-plane endpoint: with kube-proxy
	// replaced, nothing else tells the agent where the API server is.
	APIHost              string
	APIPort              int
	PodCIDR              string
	RoutingMode          string // native | tunnel
	TunnelProtocol       string // vxlan | geneve
	KubeProxyReplacement bool
	NetworkMTU           int // MTU of the node network; 0 lets Cilium detect it
	WireGuard            bool
	Nodes                int
	HubbleUI             bool
	Mesh                 *Mesh // nil: a cluster on its own
}

// Mesh is this cluster's part of a Cluster Mesh.
type Mesh struct {
	CACert, CAKey        string // PEM
	ServiceType          string // NodePort | LoadBalancer
	MaxConnectedClusters int
	Peers                []MeshPeer
}

// MeshAPIServerPort is the clustermesh-apiserver's NodePort (REFERENCE.md).
const MeshAPIServerPort = 32379

// Encapsulation overheads on IPv4 (Cilium's MTU documentation).
const (
	tunnelOverhead    = 50 // VXLAN and Geneve: outer IP, UDP, header, inner Ethernet
	wireguardOverhead = 80
)

// PodMTU is the MTU pods end up with: Cilium takes MTU as the node
// network's and subtracts its own encapsulation, so that nothing is
// fragmented or encapsulated twice.
func PodMTU(p Profile) int {
	if p.NetworkMTU == 0 {
		return 0
	}
	mtu := p.NetworkMTU
	if p.RoutingMode == "tunnel" {
		mtu -= tunnelOverhead
	}
	if p.WireGuard {
		mtu -= wireguardOverhead
	}
	return mtu
}

// Build derives the values of a profile: the high-performance defaults of
// the product (kube-proxy replacement, BPF masquerading, native routing
// where the network allows, cluster-pool IPAM, Hubble with relay).
func Build(p Profile) Values {
	v := Values{
		Cluster:              ClusterID{Name: p.ClusterName, ID: p.ClusterID},
		KubeProxyReplacement: p.KubeProxyReplacement,
		RoutingMode:          p.RoutingMode,
		BPF:                  BPF{Masquerade: true},
		IPAM:                 IPAM{Mode: "cluster-pool", Operator: IPAMOperator{ClusterPoolIPv4PodCIDRList: []string{p.PodCIDR}}},
		MTU:                  p.NetworkMTU,
		Hubble:               Hubble{Enabled: true, Relay: Enabled{true}, UI: Enabled{p.HubbleUI}},
		// The operator's pods repel each other: a second replica on a
		// single node would stay Pending.
		Operator: Operator{Replicas: min(2, max(1, p.Nodes))},
	}
	if p.KubeProxyReplacement {
		v.K8sServiceHost, v.K8sServicePort = p.APIHost, p.APIPort
	}
	if p.RoutingMode == "native" {
		// One L2 subnet: each node is the next hop of its own pod range.
		v.AutoDirectNodeRoutes = true
		v.IPv4NativeRoutingCIDR = p.PodCIDR
	} else {
		v.TunnelProtocol = p.TunnelProtocol
	}
	if p.WireGuard {
		v.Encryption = &Encryption{Enabled: true, Type: "wireguard"}
	}
	if m := p.Mesh; m != nil {
		svc := MeshService{Type: m.ServiceType}
		if svc.Type == "NodePort" {
			svc.NodePort = MeshAPIServerPort
		}
		v.ClusterMesh = &ClusterMesh{
			UseAPIServer:         true,
			MaxConnectedClusters: m.MaxConnectedClusters,
			Config:               MeshConfig{Enabled: true, Clusters: m.Peers},
			APIServer:            MeshAPIServer{Service: svc, TLS: MeshTLS{Auto: MeshTLSAuto{Enabled: true, Method: "helm"}}},
		}
		b64 := base64.StdEncoding.EncodeToString
		v.TLS = &TLS{CA: TLSCA{Cert: b64([]byte(m.CACert)), Key: b64([]byte(m.CAKey))}}
	}
	return v
}

// Map is the values as Helm takes them, with extra merged over them: a user
// value wins, and maps merge key by key.
func (v Values) Map(extra map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return merge(m, extra), nil
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
