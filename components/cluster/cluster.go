// Package cluster is one kubeadm cluster on OpenStack: its generated
// identity (CAs, bootstrap token, SSH key), control-plane and worker VMs that
// bootstrap themselves from cloud-init, a readiness gate per node and the
// admin kubeconfig.
package cluster

import (
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-openstack/sdk/v3/go/openstack/compute"
	"github.com/pulumi/pulumi-openstack/sdk/v3/go/openstack/images"
	"github.com/pulumi/pulumi-openstack/sdk/v3/go/openstack/networking"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	cloudinit "github.com/tacker-cilium/tacker-cilium/cloud-init"
	"github.com/tacker-cilium/tacker-cilium/components/network"
	"github.com/tacker-cilium/tacker-cilium/internal/versions"
)

// Pool is one role's nodes.
type Pool struct {
	Count      int
	Flavor     string
	Image      string
	VolumeSize int // GB; 0 boots from the image
}

// Network is what the cluster needs of its network.
type Network struct {
	NetworkID, SubnetID                    pulumi.StringInput
	NodeSecGroupID, ControlPlaneSecGroupID pulumi.StringInput
	FloatingIPPool                         pulumi.StringInput
	// Routed must exist before floating IPs bind to the subnet's ports.
	Routed []pulumi.Resource
}

// Args configure a Cluster.
type Args struct {
	Name           string // prefix of node names
	Versions       versions.Combination
	KubernetesRepo string
	CRIORepo       string

	ControlPlane      Pool
	Workers           Pool
	VolumeType        string
	ServerGroupPolicy string
	SSHUser           string
	KeypairName       string // existing keypair; empty generates one

	Network       Network
	PodCIDR       string
	ServiceCIDR   string
	NativeRouting bool // pod CIDR in each port's allowed address pairs
	SkipKubeProxy bool
	TokenTTL      string

	// Host makes the cluster one existing machine instead of VMs: no
	// OpenStack resource at all, ControlPlane, Workers and Network unused.
	Host *Host
}

func (a Args) withDefaults() Args {
	if a.ServerGroupPolicy == "" {
		a.ServerGroupPolicy = "soft-anti-affinity"
	}
	if a.SSHUser == "" {
		a.SSHUser = "ubuntu"
	}
	if a.TokenTTL == "" {
		a.TokenTTL = "0s"
	}
	return a
}

// CloudInit is what every node of the cluster shares, but the identity.
func (a Args) CloudInit() cloudinit.Cluster {
	return cloudinit.Cluster{
		Name:                a.Name,
		KubernetesVersion:   a.Versions.KubernetesPatch,
		KubernetesMinor:     a.Versions.Kubernetes,
		CRIOMinor:           a.Versions.CRIO,
		KubernetesRepo:      a.KubernetesRepo,
		CRIORepo:            a.CRIORepo,
		PodCIDR:             a.PodCIDR,
		ServiceCIDR:         a.ServiceCIDR,
		SkipKubeProxy:       a.SkipKubeProxy,
		UntaintControlPlane: a.Host != nil || a.Workers.Count == 0,
		TokenTTL:            a.TokenTTL,
	}
}

// Node is one machine of the cluster.
type Node struct {
	Name string
	Role cloudinit.Role
	IP   pulumi.StringOutput // fixed IP on the node subnet
	// Gate finishes when the node's cloud-init has, and fails with its output.
	Gate pulumi.Resource
}

// Cluster is the component.
type Cluster struct {
	pulumi.ResourceState

	Name string
	// APIEndpoint is https://<first control plane's floating IP>:6443.
	APIEndpoint pulumi.StringOutput
	// ControlPlaneEndpoint is the in-cluster API address, host:port.
	ControlPlaneEndpoint pulumi.StringOutput
	Kubeconfig           pulumi.StringOutput // secret
	CACertPem            pulumi.StringOutput
	CACertHash           pulumi.StringOutput
	SSHPrivateKey        pulumi.StringOutput // secret; empty with an existing keypair
	Nodes                []*Node
	// SSH reaches the first control plane, as its readiness gate does.
	SSH remote.ConnectionArgs
}

// NodeIPs are the fixed IPs of every node.
func (c *Cluster) NodeIPs() pulumi.StringArrayOutput {
	var ips pulumi.StringArray
	for _, n := range c.Nodes {
		ips = append(ips, n.IP)
	}
	return ips.ToStringArrayOutput()
}

// Gates are the readiness gates of every node.
func (c *Cluster) Gates() []pulumi.Resource {
	var gs []pulumi.Resource
	for _, n := range c.Nodes {
		gs = append(gs, n.Gate)
	}
	return gs
}

// New creates the cluster.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Cluster, error) {
	a := args.withDefaults()
	if a.Host != nil {
		if err := a.Host.validate(); err != nil {
			return nil, err
		}
	}
	c := &Cluster{Name: a.Name}
	if err := ctx.RegisterComponentResource("tacker-cilium:cluster:Cluster", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	id, err := NewIdentity(ctx, name, parent)
	if err != nil {
		return nil, err
	}
	c.CACertPem, c.CACertHash = id.CA.CertPem, id.CACertHash
	if a.Host != nil {
		if err := c.onHost(ctx, name, a, id, parent); err != nil {
			return nil, err
		}
		return c, c.finish(ctx, name, id, parent)
	}

	keypairName, sshKey, err := newSSHKey(ctx, name, a.KeypairName, parent)
	if err != nil {
		return nil, err
	}
	c.SSHPrivateKey = sshKey

	type planned struct {
		node     *Node
		pool     Pool
		group    *compute.ServerGroup
		port     *networking.Port
		floating *networking.FloatingIp
	}
	var plan []*planned
	for _, role := range []struct {
		role cloudinit.Role
		pool Pool
		kind string
	}{{cloudinit.RoleControlPlane, a.ControlPlane, "cp"}, {cloudinit.RoleWorker, a.Workers, "worker"}} {
		if role.pool.Count == 0 {
			continue
		}
		group, err := compute.NewServerGroup(ctx, fmt.Sprintf("%s-%s", name, role.kind), &compute.ServerGroupArgs{
			Name:     pulumi.Sprintf("%s-%s", a.Name, role.kind),
			Policies: pulumi.ToStringArray([]string{a.ServerGroupPolicy}),
		}, parent)
		if err != nil {
			return nil, err
		}
		for i := 0; i < role.pool.Count; i++ {
			n := &Node{Name: fmt.Sprintf("%s-%s-%d", a.Name, role.kind, i), Role: role.role}
			if role.role == cloudinit.RoleControlPlane && i == 0 {
				n.Role = cloudinit.RoleInit
			}
			plan = append(plan, &planned{node: n, pool: role.pool, group: group})
		}
	}

	for _, p := range plan {
		sgs := pulumi.StringArray{a.Network.NodeSecGroupID}
		if p.node.Role != cloudinit.RoleWorker {
			sgs = append(sgs, a.Network.ControlPlaneSecGroupID)
		}
		portArgs := &networking.PortArgs{
			Name:             pulumi.String(p.node.Name),
			NetworkId:        a.Network.NetworkID,
			AdminStateUp:     pulumi.Bool(true),
			FixedIps:         networking.PortFixedIpArray{networking.PortFixedIpArgs{SubnetId: a.Network.SubnetID}},
			SecurityGroupIds: sgs,
		}
		if a.NativeRouting {
			// Port security drops packets whose source is not the port's
			// own address; natively routed pods keep their pod IPs.
			portArgs.AllowedAddressPairs = networking.PortAllowedAddressPairArray{
				networking.PortAllowedAddressPairArgs{IpAddress: pulumi.String(a.PodCIDR)},
			}
		}
		if p.port, err = networking.NewPort(ctx, p.node.Name, portArgs, parent); err != nil {
			return nil, err
		}
		p.node.IP = p.port.AllFixedIps.Index(pulumi.Int(0))
		if p.node.Role != cloudinit.RoleWorker {
			if p.floating, err = networking.NewFloatingIp(ctx, p.node.Name, &networking.FloatingIpArgs{
				Pool:        a.Network.FloatingIPPool,
				PortId:      p.port.ID(),
				Description: pulumi.Sprintf("API and SSH of %s", p.node.Name),
			}, parent, pulumi.DependsOn(a.Network.Routed)); err != nil {
				return nil, err
			}
		}
	}

	first := plan[0]
	c.ControlPlaneEndpoint = pulumi.Sprintf("%s:%d", first.node.IP, network.PortAPIServer)
	c.APIEndpoint = pulumi.Sprintf("https://%s:%d", first.floating.Address, network.PortAPIServer)
	// Every control plane's floating IP is a SAN of the API certificate:
	// kubeadm keeps the first node's ClusterConfiguration for the others.
	var sans pulumi.StringArray
	for _, p := range plan {
		if p.floating != nil {
			sans = append(sans, p.floating.Address)
		}
	}
	clusterCfg := id.CloudInit(a.CloudInit(), c.ControlPlaneEndpoint, sans)

	var servers pulumi.StringArray
	for _, p := range plan {
		node := p.node
		userData := pulumi.All(clusterCfg, node.IP).ApplyT(func(v []any) (string, error) {
			files, err := cloudinit.Render(v[0].(cloudinit.Cluster), cloudinit.Node{Name: node.Name, Role: node.Role, IP: v[1].(string)})
			return files.UserData, err
		}).(pulumi.StringOutput)

		flavor := compute.LookupFlavorOutput(ctx, compute.LookupFlavorOutputArgs{Name: pulumi.StringPtr(p.pool.Flavor)}, parent)
		image := images.LookupImageOutput(ctx, images.LookupImageOutputArgs{Name: pulumi.StringPtr(p.pool.Image), MostRecent: pulumi.BoolPtr(true)}, parent)
		inst := &compute.InstanceArgs{
			Name:           pulumi.String(node.Name),
			FlavorId:       flavor.Id(),
			KeyPair:        keypairName,
			UserData:       userData,
			Networks:       compute.InstanceNetworkArray{compute.InstanceNetworkArgs{Port: p.port.ID()}},
			SchedulerHints: compute.InstanceSchedulerHintArray{compute.InstanceSchedulerHintArgs{Group: p.group.ID()}},
			Metadata:       pulumi.Map{"tacker-cilium-cluster": pulumi.String(a.Name), "tacker-cilium-role": pulumi.String(string(node.Role))},
		}
		if p.pool.VolumeSize > 0 {
			bd := compute.InstanceBlockDeviceArgs{
				SourceType: pulumi.String("image"), Uuid: image.Id(), DestinationType: pulumi.String("volume"),
				VolumeSize: pulumi.Int(p.pool.VolumeSize), BootIndex: pulumi.Int(0), DeleteOnTermination: pulumi.Bool(true),
			}
			if a.VolumeType != "" {
				bd.VolumeType = pulumi.String(a.VolumeType)
			}
			inst.BlockDevices = compute.InstanceBlockDeviceArray{bd}
		} else {
			inst.ImageId = image.Id()
		}
		// user_data forces a new server in Nova: a change to the bootstrap
		// (a repository, a SAN) applies to nodes created afterwards instead
		// of replacing running ones.
		vm, err := compute.NewInstance(ctx, node.Name, inst, parent, pulumi.IgnoreChanges([]string{"userData"}))
		if err != nil {
			return nil, err
		}

		gate := GateArgs{Host: node.IP, Bastion: first.floating.Address, User: a.SSHUser, Machine: vm}
		if p.floating != nil {
			gate.Host, gate.Bastion = p.floating.Address, nil
		}
		if a.KeypairName == "" {
			gate.PrivateKey = sshKey
		}
		if node.Gate, err = NewGate(ctx, node.Name, gate, parent); err != nil {
			return nil, err
		}
		if p == first {
			c.SSH = gate.Connection()
		}
		c.Nodes = append(c.Nodes, node)
		servers = append(servers, vm.ID().ToStringOutput())
	}

	// Fewer workers leave the Node objects of their servers behind: the
	// sweep deletes them once every remaining node has joined.
	if _, err := NewNodeSweep(ctx, name, c.SSH, servers.ToStringArrayOutput(), parent, pulumi.DependsOn(c.Gates())); err != nil {
		return nil, err
	}
	return c, c.finish(ctx, name, id, parent)
}

// finish builds the admin kubeconfig for APIEndpoint and registers the outputs.
func (c *Cluster) finish(ctx *pulumi.Context, name string, id *Identity, parent pulumi.ResourceOption) error {
	var err error
	if c.Kubeconfig, err = NewAdminKubeconfig(ctx, name, c.Name, id.CA, c.APIEndpoint, parent); err != nil {
		return err
	}
	return ctx.RegisterResourceOutputs(c, pulumi.Map{
		"apiEndpoint": c.APIEndpoint,
		"kubeconfig":  c.Kubeconfig,
		"caCertHash":  c.CACertHash,
	})
}

// newSSHKey returns the keypair name the VMs use and the private key the
// gates log in with: a generated ED25519 key and its Nova keypair, or an
// existing keypair whose key the user's ssh-agent holds.
func newSSHKey(ctx *pulumi.Context, name, existing string, opts ...pulumi.ResourceOption) (pulumi.StringInput, pulumi.StringOutput, error) {
	if existing != "" {
		return pulumi.String(existing), pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput), nil
	}
	key, err := tls.NewPrivateKey(ctx, name+"-ssh", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ED25519")}, opts...)
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	kp, err := compute.NewKeypair(ctx, name, &compute.KeypairArgs{Name: pulumi.String(name), PublicKey: key.PublicKeyOpenssh}, opts...)
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	return kp.Name, key.PrivateKeyOpenssh, nil
}
