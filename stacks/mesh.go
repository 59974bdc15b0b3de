package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tacker-cilium/tacker-cilium/components/cilium"
	"github.com/tacker-cilium/tacker-cilium/components/network"
	"github.com/tacker-cilium/tacker-cilium/internal/pki"
)

// meshMember is one cluster of a Cluster Mesh as the others see it. Every
// stack exports its own clusters' (output "mesh"), so that stacks naming
// it in meshPeers can mesh with them.
type meshMember struct {
	Name     string   `json:"name"`
	ID       int      `json:"id"`
	NodeCIDR string   `json:"nodeCidr"`
	PodCIDR  string   `json:"podCidr"`
	Port     int      `json:"port"`
	NodeIPs  []string `json:"nodeIps"`
	Stack    string   `json:"-"` // the peer stack it was read from; "" for this stack's
}

// mesh is the Cluster Mesh of the stack: its clusters, the clusters of the
// peer stacks, and the CA every member's Cilium shares.
type mesh struct {
	enabled bool
	local   []meshMember // this stack's clusters, node IPs known later
	remote  []meshMember
	// caCert and caKey (secret) are the shared Cilium CA; owned is true
	// when this stack made it (and exports it for its peers).
	caCert, caKey pulumi.StringOutput
	owned         bool
	// nodeIPs are the local clusters' node IPs, by cluster name, once built.
	nodeIPs map[string]pulumi.StringArrayOutput
}

// Outputs a stack exports for its mesh peers.
const (
	outputMesh       = "mesh"
	outputMeshCACert = "meshCaCert"
	outputMeshCAKey  = "meshCaKey"
)

// newMesh reads the peer stacks and makes or fetches the shared CA. The
// peers' facts are read as plain values, so that a conflict between this
// stack's clusters and theirs fails the preview, and their node subnets
// can be opened in this stack's security groups.
func newMesh(ctx *pulumi.Context, cfg *Config) (*mesh, error) {
	m := &mesh{enabled: cfg.Meshed(), nodeIPs: map[string]pulumi.StringArrayOutput{}}
	if cfg.Kubeconfig != "" {
		// A cluster made elsewhere: its nodes and subnet are not known, so
		// it offers peers nothing to mesh with (Validate refuses meshPeers).
		return m, nil
	}
	for _, s := range cfg.ClusterSpecs() {
		m.local = append(m.local, meshMember{Name: s.Name, ID: s.ID, NodeCIDR: s.NodeCIDR, PodCIDR: s.PodCIDR, Port: network.PortClusterMesh})
	}
	if !m.enabled {
		return m, nil
	}
	refs := map[string]*pulumi.StackReference{}
	for _, peer := range cfg.MeshPeers {
		ref, err := pulumi.NewStackReference(ctx, peer, nil)
		if err != nil {
			return nil, err
		}
		refs[peer] = ref
		out, err := ref.GetOutputDetails(outputMesh)
		if err != nil {
			return nil, fmt.Errorf("%s: reading %q of stack %s: %w", Key("meshPeers"), outputMesh, peer, err)
		}
		members, err := decodeMembers(out.Value)
		if err != nil || len(members) == 0 {
			return nil, fmt.Errorf("%s: stack %s exports no usable %q output (%v); run pulumi up on it first", Key("meshPeers"), peer, outputMesh, err)
		}
		for i := range members {
			members[i].Stack = peer
		}
		m.remote = append(m.remote, members...)
	}
	if err := m.check(); err != nil {
		return nil, err
	}

	if cfg.MeshCAOwner == "" {
		ca, err := pki.NewCA(ctx, "mesh-ca", "Cilium CA")
		if err != nil {
			return nil, err
		}
		m.caCert, m.caKey, m.owned = ca.CertPem, ca.KeyPem, true
		return m, nil
	}
	owner := refs[cfg.MeshCAOwner]
	cert, errC := owner.GetOutputDetails(outputMeshCACert)
	key, errK := owner.GetOutputDetails(outputMeshCAKey)
	certPem, _ := cert.Value.(string)
	keyPem, _ := key.SecretValue.(string)
	if errC != nil || errK != nil || certPem == "" || keyPem == "" {
		return nil, fmt.Errorf("%s: stack %s exports no mesh CA (%s and a secret %s); it must own the CA (its own meshCaOwner empty) and have been deployed", Key("meshCaOwner"), cfg.MeshCAOwner, outputMeshCACert, outputMeshCAKey)
	}
	m.caCert = pulumi.String(certPem).ToStringOutput()
	m.caKey = pulumi.ToSecret(pulumi.String(keyPem)).(pulumi.StringOutput)
	return m, nil
}

func decodeMembers(v any) ([]meshMember, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var ms []meshMember
	err = json.Unmarshal(b, &ms)
	return ms, err
}

// check is validateMesh across stacks: the peers' clusters must not share
// a name, an id, a pod CIDR or a node subnet with this stack's. Within the stack,
// Validate has checked already.
func (m *mesh) check() error {
	var errs []error
	for _, a := range m.local {
		for _, b := range m.remote {
			if a.Name == b.Name {
				errs = append(errs, fmt.Errorf("%s: cluster %q of this stack and cluster %q of stack %s have the same name; each cluster of a mesh needs its own", Key("meshPeers"), a.Name, b.Name, b.Stack))
			}
			if a.ID == b.ID {
				errs = append(errs, fmt.Errorf("%s: cluster %q of this stack and cluster %q of stack %s both have cluster id %d; each cluster of a mesh needs its own", Key("meshPeers"), a.Name, b.Name, b.Stack, a.ID))
			}
			for _, r := range []struct{ what, x, y string }{{"pod CIDR", a.PodCIDR, b.PodCIDR}, {"node subnet", a.NodeCIDR, b.NodeCIDR}} {
				pa, errA := netip.ParsePrefix(r.x)
				pb, errB := netip.ParsePrefix(r.y)
				if errA == nil && errB == nil && pa.Overlaps(pb) {
					errs = append(errs, fmt.Errorf("%s: %s %s of cluster %q and %s of cluster %q (stack %s) overlap; meshed clusters need disjoint ones", Key("meshPeers"), r.what, r.x, a.Name, r.y, b.Name, b.Stack))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// peerNodeCIDRs are the node subnets of the clusters cluster meshes with:
// its security groups admit the mesh's ports from them only.
func (m *mesh) peerNodeCIDRs(cluster string) []string {
	if !m.enabled {
		return nil
	}
	var out []string
	for _, p := range append(slices.Clone(m.local), m.remote...) {
		if p.Name != cluster && !slices.Contains(out, p.NodeCIDR) {
			out = append(out, p.NodeCIDR)
		}
	}
	return out
}

// profile is cluster's part of the mesh as Cilium takes it, resolved once
// the node IPs of the stack's other clusters are known; nil off a mesh.
func (m *mesh) profile(cfg *Config, cluster string) pulumi.Output {
	if !m.enabled {
		return pulumi.ToOutput((*cilium.Mesh)(nil))
	}
	var names []string
	var ips []any
	for _, p := range m.local {
		if p.Name != cluster {
			names = append(names, p.Name)
			ips = append(ips, m.nodeIPs[p.Name])
		}
	}
	return pulumi.All(append([]any{m.caCert, m.caKey}, ips...)...).ApplyT(func(v []any) *cilium.Mesh {
		mm := &cilium.Mesh{CACert: v[0].(string), CAKey: v[1].(string), ServiceType: cfg.MeshServiceType, MaxConnectedClusters: cfg.MaxMeshClusters}
		for i, name := range names {
			mm.Peers = append(mm.Peers, cilium.MeshPeer{Name: name, IPs: v[2+i].([]string), Port: network.PortClusterMesh})
		}
		for _, r := range m.remote {
			mm.Peers = append(mm.Peers, cilium.MeshPeer{Name: r.Name, IPs: r.NodeIPs, Port: r.Port})
		}
		return mm
	})
}

// export publishes the stack's clusters for its peers, and the CA when the
// stack owns it.
func (m *mesh) export(ctx *pulumi.Context) {
	var members pulumi.Array
	for _, l := range m.local {
		ips, ok := m.nodeIPs[l.Name]
		if !ok {
			ips = pulumi.StringArray{}.ToStringArrayOutput()
		}
		members = append(members, pulumi.Map{
			"name": pulumi.String(l.Name), "id": pulumi.Int(l.ID),
			"nodeCidr": pulumi.String(l.NodeCIDR), "podCidr": pulumi.String(l.PodCIDR),
			"port": pulumi.Int(l.Port), "nodeIps": ips,
		})
	}
	ctx.Export(outputMesh, members)
	if m.owned {
		ctx.Export(outputMeshCACert, m.caCert)
		ctx.Export(outputMeshCAKey, m.caKey)
	}
}
