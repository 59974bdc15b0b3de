package vnfpackage

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-openstack/sdk/v3/go/openstack/compute"
	"github.com/pulumi/pulumi-openstack/sdk/v3/go/openstack/images"
	"github.com/pulumi/pulumi-openstack/sdk/v3/go/openstack/networking"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	cloudinit "github.com/tacker-cilium/tacker-cilium/cloud-init"
	"github.com/tacker-cilium/tacker-cilium/components/cluster"
	"github.com/tacker-cilium/tacker-cilium/components/network"
	"github.com/tacker-cilium/tacker-cilium/sdk/go/tacker"
)

// Args configure a cluster that Tacker instantiates from the package.
type Args struct {
	// Cluster is what the nodes share, as for a cluster of VMs: name,
	// versions, repositories, CIDRs, kube-proxy replacement, token TTL,
	// SSH user, the network and its security groups. ControlPlane and
	// Workers name the Nova flavours and Glance images of the VDUs.
	Cluster cluster.Args
	// FlavourID is the package's deployment flavour; default "simple".
	FlavourID string
	// MinWorkers and MaxWorkers bound Tacker's scaling; Cluster.Workers.Count
	// is the desired number, reached through the scale level.
	MinWorkers, MaxWorkers int
	// VimConnectionInfo is the OpenStack VIM Tacker instantiates on; nil
	// uses Tacker's default VIM.
	VimConnectionInfo tacker.VimConnectionInfoMapInput
	// HealGeneration: a change heals HealVnfcIDs through Tacker (Nova
	// server ids or VNFC ids; empty heals the whole VNF, the control plane
	// too, which loses the cluster: the stacks refuse that).
	HealGeneration int
	HealVnfcIDs    []string
	// AutoHeal and AutoScale are Tacker's switches of the instance
	// (vnfConfigurableProperties): whether its alerts heal or scale it.
	AutoHeal, AutoScale bool
}

func (a Args) withDefaults() Args {
	if a.FlavourID == "" {
		a.FlavourID = "simple"
	}
	if a.Cluster.SSHUser == "" {
		a.Cluster.SSHUser = "ubuntu"
	}
	if a.Cluster.TokenTTL == "" {
		a.Cluster.TokenTTL = "0s"
	}
	if a.Cluster.ServerGroupPolicy == "" {
		a.Cluster.ServerGroupPolicy = "soft-anti-affinity"
	}
	return a
}

// Cluster is the component: the package, its instance, and what the program
// needs to reach the cluster Heat built from it.
type Cluster struct {
	pulumi.ResourceState

	Package  *tacker.VnfPackage
	Instance *tacker.VnfInstance
	// PackageHash is the sha256 of the CSAR, the package's identity.
	PackageHash pulumi.StringOutput

	APIEndpoint          pulumi.StringOutput // https://<floating IP>:6443
	ControlPlaneEndpoint pulumi.StringOutput // <fixed IP>:6443
	ControlPlaneIP       pulumi.StringOutput
	Kubeconfig           pulumi.StringOutput // secret
	CACertPem            pulumi.StringOutput
	CACertHash           pulumi.StringOutput
	SSHPrivateKey        pulumi.StringOutput // secret
	// Gate ends when the control plane's cloud-init has.
	Gate pulumi.Resource
	// Sweep deletes the Node objects of servers Tacker removed.
	Sweep pulumi.Resource
	SSH   remote.ConnectionArgs
}

// New builds the package, onboards it, instantiates it and waits for the
// control plane. The control plane's port and floating IP are made here,
// before Tacker creates anything, so that the API endpoint, the kubeconfig
// and the nodes' user_data are known up front: Tacker binds the server to
// that port (an external link port of the instantiate request).
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Cluster, error) {
	a := args.withDefaults()
	c := &Cluster{}
	if err := ctx.RegisterComponentResource("tacker-cilium:vnfpackage:Cluster", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	ca := a.Cluster
	net := ca.Network

	id, err := cluster.NewIdentity(ctx, name, parent)
	if err != nil {
		return nil, err
	}
	c.CACertPem, c.CACertHash = id.CA.CertPem, id.CACertHash
	// Heat's servers take no Nova keypair here: the key reaches the
	// image's default user through cloud-init.
	key, err := tls.NewPrivateKey(ctx, name+"-ssh", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ED25519")}, parent)
	if err != nil {
		return nil, err
	}
	c.SSHPrivateKey = key.PrivateKeyOpenssh

	cpName := ControlPlaneName(ca.Name)
	portArgs := &networking.PortArgs{
		Name:             pulumi.String(cpName),
		NetworkId:        net.NetworkID,
		AdminStateUp:     pulumi.Bool(true),
		FixedIps:         networking.PortFixedIpArray{networking.PortFixedIpArgs{SubnetId: net.SubnetID}},
		SecurityGroupIds: pulumi.StringArray{net.NodeSecGroupID, net.ControlPlaneSecGroupID},
	}
	if ca.NativeRouting {
		portArgs.AllowedAddressPairs = networking.PortAllowedAddressPairArray{
			networking.PortAllowedAddressPairArgs{IpAddress: pulumi.String(ca.PodCIDR)},
		}
	}
	port, err := networking.NewPort(ctx, cpName, portArgs, parent)
	if err != nil {
		return nil, err
	}
	fip, err := networking.NewFloatingIp(ctx, cpName, &networking.FloatingIpArgs{
		Pool:        net.FloatingIPPool,
		PortId:      port.ID(),
		Description: pulumi.Sprintf("API and SSH of %s", cpName),
	}, parent, pulumi.DependsOn(net.Routed))
	if err != nil {
		return nil, err
	}
	c.ControlPlaneIP = port.AllFixedIps.Index(pulumi.Int(0))
	c.ControlPlaneEndpoint = pulumi.Sprintf("%s:%d", c.ControlPlaneIP, network.PortAPIServer)
	c.APIEndpoint = pulumi.Sprintf("https://%s:%d", fip.Address, network.PortAPIServer)

	shared := pulumi.All(id.CloudInit(ca.CloudInit(), c.ControlPlaneEndpoint, pulumi.StringArray{fip.Address}), key.PublicKeyOpenssh).
		ApplyT(func(v []any) cloudinit.Cluster {
			cc := v[0].(cloudinit.Cluster)
			cc.SSHAuthorizedKeys = []string{strings.TrimSpace(v[1].(string))}
			return cc
		})
	userData := pulumi.All(shared, c.ControlPlaneIP).ApplyT(func(v []any) (map[string]string, error) {
		cc := v[0].(cloudinit.Cluster)
		cp, err := cloudinit.Render(cc, cloudinit.Node{Name: cpName, Role: cloudinit.RoleInit, IP: v[1].(string)})
		if err != nil {
			return nil, err
		}
		// Workers take their name and address at boot: Heat names them.
		w, err := cloudinit.Render(cc, cloudinit.Node{Role: cloudinit.RoleWorker})
		if err != nil {
			return nil, err
		}
		return map[string]string{"controlplane": cp.UserData, "worker": w.UserData}, nil
	}).(pulumi.StringMapOutput)

	lookup := func(p cluster.Pool) (compute.LookupFlavorResultOutput, images.LookupImageResultOutput) {
		return compute.LookupFlavorOutput(ctx, compute.LookupFlavorOutputArgs{Name: pulumi.StringPtr(p.Flavor)}, parent),
			images.LookupImageOutput(ctx, images.LookupImageOutputArgs{Name: pulumi.StringPtr(p.Image), MostRecent: pulumi.BoolPtr(true)}, parent)
	}
	cpFlavor, cpImage := lookup(ca.ControlPlane)
	wFlavor, wImage := lookup(ca.Workers)
	csar := pulumi.All(cpFlavor, cpImage, wFlavor, wImage).ApplyT(func(v []any) (*CSAR, error) {
		cpVDU, err := vdu(ca.ControlPlane, v[0].(compute.LookupFlavorResult), v[1].(images.LookupImageResult), 1)
		if err != nil {
			return nil, err
		}
		wVDU, err := vdu(ca.Workers, v[2].(compute.LookupFlavorResult), v[3].(images.LookupImageResult), 0)
		if err != nil {
			return nil, err
		}
		return Build(Spec{
			SoftwareVersion: ca.Versions.KubernetesPatch,
			ClusterName:     ca.Name,
			Flavours: []Flavour{{
				ID:                a.FlavourID,
				ControlPlane:      cpVDU,
				Workers:           Workers{VDU: wVDU, Min: a.MinWorkers, Max: a.MaxWorkers, Initial: a.MinWorkers},
				ServerGroupPolicy: ca.ServerGroupPolicy,
			}},
		})
	})
	c.PackageHash = csar.ApplyT(func(x any) string { return x.(*CSAR).SHA256 }).(pulumi.StringOutput)

	if c.Package, err = tacker.NewVnfPackage(ctx, name, &tacker.VnfPackageArgs{
		Content:     csar.ApplyT(func(x any) string { return base64.StdEncoding.EncodeToString(x.(*CSAR).Zip) }).(pulumi.StringOutput),
		ContentHash: c.PackageHash,
		UserDefinedData: pulumi.StringMap{
			"managed-by": pulumi.String("tacker-cilium"),
			"cluster":    pulumi.String(ca.Name),
		},
	}, parent); err != nil {
		return nil, err
	}

	inst := pulumi.All(csar, port.ID(), net.NetworkID, net.SubnetID, net.NodeSecGroupID, userData).ApplyT(func(v []any) (*Instantiation, error) {
		pod := ""
		if ca.NativeRouting {
			pod = ca.PodCIDR
		}
		ud := v[5].(map[string]string)
		return v[0].(*CSAR).Instantiate(InstantiateInput{
			FlavourID: a.FlavourID, ControlPlanePortID: string(v[1].(pulumi.ID)),
			NetworkID: v[2].(string), SubnetID: v[3].(string), WorkerSecurityGroups: []string{v[4].(string)},
			PodCIDR: pod, ControlPlaneUserData: ud["controlplane"], WorkerUserData: ud["worker"],
		})
	})
	instArgs := &tacker.VnfInstanceArgs{
		VnfdId:               c.Package.VnfdId,
		Name:                 pulumi.String(ca.Name),
		Description:          pulumi.Sprintf("Kubernetes cluster %s with Cilium, package %s", ca.Name, c.PackageHash),
		FlavourId:            pulumi.String(a.FlavourID),
		InstantiationLevelId: pulumi.String(InstantiationLevelID),
		ExtVirtualLinks: inst.ApplyT(func(x any) (out []map[string]any, err error) {
			return out, roundTrip(x.(*Instantiation).ExtVirtualLinks, &out)
		}).(pulumi.MapArrayOutput),
		// The user_data in it carry the cluster's keys and token.
		AdditionalParams: pulumi.ToSecret(inst.ApplyT(func(x any) (out map[string]any, err error) {
			return out, roundTrip(x.(*Instantiation).AdditionalParams, &out)
		})).(pulumi.MapOutput),
		LcmAdditionalParams: csar.ApplyT(func(x any) map[string]any { return x.(*CSAR).LCMParams() }).(pulumi.MapOutput),
		// Workers above the package's minimum are scale steps of one worker.
		ScaleLevels:       pulumi.IntMap{AspectID: pulumi.Int(ca.Workers.Count - a.MinWorkers)},
		VimConnectionInfo: a.VimConnectionInfo,
	}
	if a.HealGeneration != 0 {
		instArgs.HealGeneration = pulumi.IntPtr(a.HealGeneration)
		instArgs.HealVnfcIds = pulumi.ToStringArray(a.HealVnfcIDs)
	}
	instOpts := []pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{fip})}
	if a.AutoHeal {
		instArgs.AutoHeal = pulumi.BoolPtr(true)
	}
	if a.AutoScale {
		instArgs.AutoScale = pulumi.BoolPtr(true)
		// Tacker scales on its alerts from then on: the workers asked for
		// are the instance's start, not a level to scale it back to.
		instOpts = append(instOpts, pulumi.IgnoreChanges([]string{"scaleLevels"}))
	}
	if c.Instance, err = tacker.NewVnfInstance(ctx, name, instArgs, instOpts...); err != nil {
		return nil, err
	}

	gate := cluster.GateArgs{Host: fip.Address, User: ca.SSHUser, PrivateKey: key.PrivateKeyOpenssh, Machine: c.Instance}
	if c.Gate, err = cluster.NewGate(ctx, cpName, gate, parent); err != nil {
		return nil, err
	}
	c.SSH = gate.Connection()

	// After every scale or heal (the servers change), the Node objects of
	// servers that are gone are deleted on the control plane.
	servers := c.Instance.VnfcResourceInfo.ApplyT(func(rs []tacker.VnfcResourceInfo) []string {
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ComputeResourceId)
		}
		return ids
	}).(pulumi.StringArrayOutput)
	if c.Sweep, err = cluster.NewNodeSweep(ctx, name, c.SSH, servers, parent, pulumi.DependsOn([]pulumi.Resource{c.Gate})); err != nil {
		return nil, err
	}

	if c.Kubeconfig, err = cluster.NewAdminKubeconfig(ctx, name, ca.Name, id.CA, c.APIEndpoint, parent); err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"apiEndpoint": c.APIEndpoint,
		"kubeconfig":  c.Kubeconfig,
		"packageHash": c.PackageHash,
		"vnfdId":      c.Package.VnfdId,
	})
}

// vdu is a VDU of the package from the Nova flavour and Glance image the
// program looked up: the VNFD describes both. Its checksum is Glance's
// os_hash_value: ETSI SOL001 takes SHA-2 only, not Glance's md5 checksum.
func vdu(p cluster.Pool, f compute.LookupFlavorResult, img images.LookupImageResult, count int) (VDU, error) {
	deref := func(i *int) int {
		if i == nil {
			return 0
		}
		return *i
	}
	algo, _ := img.Properties["os_hash_algo"].(string)
	sum, _ := img.Properties["os_hash_value"].(string)
	algorithm := map[string]string{"sha224": "sha-224", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}[algo]
	if algorithm == "" || sum == "" {
		return VDU{}, fmt.Errorf("image %q: Glance reports no SHA-2 os_hash_value (os_hash_algo %q), which the VNFD's software image needs; re-upload it to a Glance that computes one (Rocky or later)", p.Image, algo)
	}
	return VDU{
		Flavor: p.Flavor, VCPUs: deref(f.Vcpus), MemoryMB: deref(f.Ram), DiskGB: deref(f.Disk), Count: count,
		Image: Image{
			Name: p.Image, ChecksumAlgorithm: algorithm, Checksum: sum,
			ContainerFormat: img.ContainerFormat, DiskFormat: img.DiskFormat,
			SizeBytes: int64(img.SizeBytes), MinDiskGB: img.MinDiskGb,
		},
	}, nil
}

// roundTrip turns typed request parts into the plain JSON values that a
// Pulumi input of Tacker's JSON takes.
func roundTrip(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
