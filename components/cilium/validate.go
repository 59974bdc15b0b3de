package cilium

import (
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// clusterName is Cilium's rule for cluster.name (chart values.yaml).
var clusterName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

// hostPorts are the ports Cilium's own pods listen on in a node's host
// network (Cilium's system requirements), which the agent's gops server
// must not take.
var hostPorts = map[int]string{
	4240: "cluster health checks", 4244: "the Hubble server", 9234: "the operator's health probe",
	9878: "cilium-envoy's health listener", 9879: "the agent's health API", 9891: "the operator's gops server",
	9962: "the agent's metrics", 9963: "the operator's metrics", 9964: "cilium-envoy's metrics",
}

// Validate checks the profile before any value is derived from it. Each
// error names the field, the value and what is accepted.
func (p Profile) Validate() error {
	var errs []error
	bad := func(field string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("cilium profile: %s %#v: %s", field, value, accepted))
	}

	maxID := 255
	if p.Mesh != nil && p.Mesh.MaxConnectedClusters == 511 {
		maxID = 511
	}
	if !clusterName.MatchString(p.ClusterName) {
		bad("ClusterName", p.ClusterName, "use at most 32 lowercase alphanumerics and dashes, beginning and ending with an alphanumeric")
	} else if p.ClusterName == "default" && p.ClusterID != 0 {
		bad("ClusterName", p.ClusterName, "Cilium reserves \"default\" for cluster ID 0: name the cluster")
	}
	switch {
	case p.Mesh != nil && (p.ClusterID < 1 || p.ClusterID > maxID):
		bad("ClusterID", p.ClusterID, fmt.Sprintf("a meshed cluster needs an ID of 1-%d, unique in the mesh", maxID))
	case p.ClusterID < 0 || p.ClusterID > maxID:
		bad("ClusterID", p.ClusterID, fmt.Sprintf("use 0-%d", maxID))
	}

	switch p.RoutingMode {
	case "native", "tunnel":
	default:
		bad("RoutingMode", p.RoutingMode, "use native or tunnel")
	}
	switch {
	case p.DevstackHost && p.TunnelProtocol == "geneve":
		bad("TunnelProtocol", p.TunnelProtocol, "on a devstack host OVN's overlay owns Geneve's 6081/udp: use vxlan (8472/udp) or native routing")
	case !slices.Contains([]string{"", "vxlan", "geneve"}, p.TunnelProtocol):
		bad("TunnelProtocol", p.TunnelProtocol, "use vxlan or geneve")
	}

	if p.KubeProxyReplacement {
		if p.APIHost == "" {
			bad("APIHost", p.APIHost, "kube-proxy replacement needs the control-plane address: nothing else tells the agent where the API server is")
		}
		if p.APIPort < 1 || p.APIPort > 65535 {
			bad("APIPort", p.APIPort, "use the API server's port, 1-65535")
		}
	}

	if p.Nodes < 1 {
		bad("Nodes", p.Nodes, "a cluster has at least 1 node")
	}
	pods, err := netip.ParsePrefix(p.PodCIDR)
	switch {
	case err != nil || !pods.Addr().Is4():
		bad("PodCIDR", p.PodCIDR, "use an IPv4 CIDR, like 10.244.0.0/16")
	case pods != pods.Masked():
		bad("PodCIDR", p.PodCIDR, fmt.Sprintf("use the network address, %s", pods.Masked()))
	case pods.Bits() > PodMaskSize || 1<<(PodMaskSize-pods.Bits()) < max(p.Nodes, 1):
		bad("PodCIDR", p.PodCIDR, fmt.Sprintf("each node takes a /%d of it: give at least %d nodes' worth, a /%d or larger network",
			PodMaskSize, max(p.Nodes, 1), PodMaskSize-bitsFor(max(p.Nodes, 1))))
	}
	if p.RoutingMode == "native" {
		if p.NativeRoutingCIDR != "" {
			native, err := netip.ParsePrefix(p.NativeRoutingCIDR)
			switch {
			case err != nil || !native.Addr().Is4() || native != native.Masked():
				bad("NativeRoutingCIDR", p.NativeRoutingCIDR, "use an IPv4 network CIDR, like 10.0.0.0/8")
			case pods.IsValid() && (native.Bits() > pods.Bits() || !native.Contains(pods.Addr())):
				bad("NativeRoutingCIDR", p.NativeRoutingCIDR, fmt.Sprintf("it must cover PodCIDR %s", p.PodCIDR))
			}
		} else if p.Mesh != nil {
			bad("NativeRoutingCIDR", p.NativeRoutingCIDR, "a Cluster Mesh in native routing needs a CIDR that covers the pod CIDRs of every cluster, like 10.0.0.0/8")
		}
	}

	if p.NetworkMTU != 0 && (p.NetworkMTU < 1280 || p.NetworkMTU > 65520) {
		bad("NetworkMTU", p.NetworkMTU, "use the node network's MTU, 1280-65520, or 0 to let Cilium detect it")
	}

	port := p.GopsPort()
	switch {
	case p.AgentGopsPort < 0 || p.AgentGopsPort > 65535:
		bad("AgentGopsPort", p.AgentGopsPort, "use a port of 1-65535, or 0 for the default")
	case p.DevstackHost && port == CiliumAgentGopsPort:
		bad("AgentGopsPort", p.AgentGopsPort, fmt.Sprintf("on a devstack host Tacker's API owns %d: use another port, or 0 for %d", CiliumAgentGopsPort, DevstackAgentGopsPort))
	case hostPorts[port] != "":
		bad("AgentGopsPort", p.AgentGopsPort, fmt.Sprintf("Cilium uses %d for %s: use another port", port, hostPorts[port]))
	}
	for _, d := range p.Devices {
		if d == "" || strings.ContainsAny(d, ", \t\n") {
			bad("Devices", p.Devices, "give interface names or wildcards (eth0, ens+), one per item")
			break
		}
	}

	if m := p.Mesh; m != nil {
		errs = append(errs, m.validate(p.ClusterName)...)
	}
	return errors.Join(errs...)
}

func (m *Mesh) validate(self string) []error {
	var errs []error
	bad := func(field string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("cilium profile: Mesh.%s %#v: %s", field, value, accepted))
	}
	// The chart's helm TLS method signs every mesh certificate with this CA
	// (sprig buildCustomCert): a certificate and a private key, PEM.
	if b, _ := pem.Decode([]byte(m.CACert)); b == nil || b.Type != "CERTIFICATE" {
		bad("CACert", "(not shown)", "give the mesh CA's certificate, PEM")
	}
	if b, _ := pem.Decode([]byte(m.CAKey)); b == nil || !strings.HasSuffix(b.Type, "PRIVATE KEY") {
		errs = append(errs, errors.New("cilium profile: Mesh.CAKey: give the mesh CA's private key, PEM"))
	}
	if !slices.Contains([]string{"", "NodePort", "LoadBalancer"}, m.ServiceType) {
		bad("ServiceType", m.ServiceType, "use NodePort or LoadBalancer: the peers reach the clustermesh-apiserver from outside the cluster")
	}
	if !slices.Contains([]int{0, 255, 511}, m.MaxConnectedClusters) {
		bad("MaxConnectedClusters", m.MaxConnectedClusters, "use 255 or 511, the same in every cluster of the mesh")
	}
	seen := map[string]bool{self: true}
	for i, peer := range m.Peers {
		field := fmt.Sprintf("Peers[%d]", i)
		switch {
		case !clusterName.MatchString(peer.Name):
			bad(field+".Name", peer.Name, "use the peer's cluster name: at most 32 lowercase alphanumerics and dashes")
		case peer.Name == self:
			bad(field+".Name", peer.Name, "that is this cluster: a peer is another cluster")
		case seen[peer.Name]:
			bad(field+".Name", peer.Name, "names another peer already: cluster names are unique in a mesh")
		}
		seen[peer.Name] = true
		if len(peer.IPs) == 0 {
			bad(field+".IPs", peer.IPs, "give the addresses the peer's clustermesh-apiserver is reached on (its node IPs for a NodePort)")
		}
		for _, ip := range peer.IPs {
			if _, err := netip.ParseAddr(ip); err != nil {
				bad(field+".IPs", ip, "use IP addresses")
			}
		}
		if peer.Port < 0 || peer.Port > 65535 {
			bad(field+".Port", peer.Port, fmt.Sprintf("use the peer's clustermesh-apiserver port, or 0 for %d", MeshAPIServerPort))
		}
	}
	return errs
}

// bitsFor is the prefix bits n blocks take: ceil(log2 n).
func bitsFor(n int) int {
	b := 0
	for 1<<b < n {
		b++
	}
	return b
}
