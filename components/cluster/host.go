package cluster

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	cloudinit "github.com/tacker-cilium/tacker-cilium/cloud-init"
	"github.com/tacker-cilium/tacker-cilium/components/network"
)

// Host is an existing Ubuntu or Debian machine, such as a devstack host,
// that becomes the cluster's only node over SSH (the aio use case's host
// mode): the same bootstrap a VM gets from cloud-init, delivered by one
// remote command, with the control plane untainted.
type Host struct {
	// Address is where SSH reaches the host, and the API endpoint's host
	// (a SAN of the API certificate): an IP address or a DNS name.
	Address string
	// User logs in over SSH: root, or a user with passwordless sudo (the
	// devstack user "stack" is one). Empty takes Args.SSHUser.
	User string
	// PrivateKey is the SSH key (secret); nil or empty uses the ssh-agent
	// of SSH_AUTH_SOCK.
	PrivateKey pulumi.StringInput
	// NodeIP is the IPv4 address kubelet advertises and the API server
	// listens on in the cluster; empty takes Address when that is one.
	NodeIP string
}

func (h *Host) nodeIP() string {
	if h.NodeIP != "" {
		return h.NodeIP
	}
	return h.Address
}

func (h *Host) validate() error {
	var errs []error
	if strings.TrimSpace(h.Address) == "" || strings.ContainsAny(h.Address, " /@") {
		errs = append(errs, fmt.Errorf("Args.Host.Address: %q is not a host name or IP address that SSH can reach", h.Address))
	}
	if ip := net.ParseIP(h.nodeIP()); ip == nil || ip.To4() == nil {
		errs = append(errs, fmt.Errorf("Args.Host.NodeIP: %q is not an IPv4 address (it defaults to Args.Host.Address when that is one)", h.nodeIP()))
	}
	return errors.Join(errs...)
}

// hostBootstrap runs the script that arrives on its standard input as root:
// the script, which holds the cluster's keys, never is on a command line,
// which remote.Command quotes in its errors.
const hostBootstrap = `if [ "$(id -u)" -eq 0 ]; then exec bash -s; else exec sudo -n bash -s; fi`

// onHost bootstraps the existing host as the cluster's single node. The one
// remote command is also the node's readiness gate: it ends when kubeadm
// has, and fails with bootstrap.sh's output. It runs again only when its
// inputs change, and bootstrap.sh then leaves a bootstrapped host alone.
func (c *Cluster) onHost(ctx *pulumi.Context, name string, a Args, id *Identity, parent pulumi.ResourceOption) error {
	h := a.Host
	user := h.User
	if user == "" {
		user = a.SSHUser
	}
	node := &Node{Name: a.Name + "-cp-0", Role: cloudinit.RoleInit, IP: pulumi.String(h.nodeIP()).ToStringOutput()}
	apiPort := fmt.Sprint(network.PortAPIServer)
	c.ControlPlaneEndpoint = pulumi.String(net.JoinHostPort(h.nodeIP(), apiPort)).ToStringOutput()
	c.APIEndpoint = pulumi.String("https://" + net.JoinHostPort(h.Address, apiPort)).ToStringOutput()

	gate := GateArgs{Host: pulumi.String(h.Address), User: user}
	c.SSHPrivateKey = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	if h.PrivateKey != nil {
		c.SSHPrivateKey = pulumi.ToSecret(h.PrivateKey).(pulumi.StringOutput)
		// An empty key means the agent, which remote.Command takes from a nil one.
		gate.PrivateKey = c.SSHPrivateKey.ApplyT(func(k string) *string {
			if k == "" {
				return nil
			}
			return &k
		}).(pulumi.StringPtrOutput)
	}
	c.SSH = gate.Connection()
	// An existing host answers at once, or its address is wrong: do not
	// wait for it the way a booting VM is waited for.
	c.SSH.DialErrorLimit = pulumi.Int(10)

	script := id.CloudInit(a.CloudInit(), c.ControlPlaneEndpoint, pulumi.ToStringArray([]string{h.Address})).
		ApplyT(func(cc any) (string, error) {
			files, err := cloudinit.Render(cc.(cloudinit.Cluster), cloudinit.Node{Name: node.Name, Role: node.Role, IP: h.nodeIP(), ExistingHost: true})
			if err != nil {
				return "", err
			}
			return cloudinit.SSHScript(files)
		}).(pulumi.StringOutput)
	cmd, err := remote.NewCommand(ctx, node.Name+"-bootstrap", &remote.CommandArgs{
		Connection: c.SSH,
		Create:     pulumi.String(hostBootstrap),
		Stdin:      pulumi.ToSecret(script).(pulumi.StringOutput),
		// The output of a bootstrap is long and of no use to the next run.
		AddPreviousOutputInEnv: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return err
	}
	node.Gate = cmd
	c.Nodes = []*Node{node}
	return nil
}
