package cluster

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// readinessScript waits for cloud-init and, when it failed, prints the tail
// of its output so that the failure reaches `pulumi up` with the node's own
// words. Exit code 2 is cloud-init's "recoverable errors" (deprecations,
// warnings): the node still bootstrapped.
const readinessScript = `rc=0; sudo cloud-init status --wait >/dev/null || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
  echo "cloud-init failed on $(hostname) (exit $rc); last lines of /var/log/cloud-init-output.log:" >&2
  sudo tail -n 80 /var/log/cloud-init-output.log >&2
  exit 1
fi
echo "$(hostname): cloud-init done"`

// GateArgs say how a readiness gate reaches its node.
type GateArgs struct {
	Host       pulumi.StringInput
	Bastion    pulumi.StringInput // nil connects directly
	User       string
	PrivateKey pulumi.StringPtrInput // nil uses the ssh-agent of SSH_AUTH_SOCK
	// Machine is what boots the node (a Nova instance, a Tacker VNF
	// instance): the gate waits for it and runs again when it is replaced.
	Machine pulumi.CustomResource
}

// NewGate is the one SSH step of a node, named <name>-ready: it ends when
// the node's cloud-init has, and fails with cloud-init's output.
func NewGate(ctx *pulumi.Context, name string, g GateArgs, opts ...pulumi.ResourceOption) (*remote.Command, error) {
	return remote.NewCommand(ctx, name+"-ready", &remote.CommandArgs{
		Connection: g.Connection(),
		Create:     pulumi.String(readinessScript),
		Triggers:   pulumi.Array{g.Machine.ID()},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{g.Machine}))...)
}

// Connection is how the gate logs in: straight to a floating IP, or through
// the first control plane to a worker's fixed IP.
func (g GateArgs) Connection() remote.ConnectionArgs {
	conn := remote.ConnectionArgs{
		Host:           g.Host,
		User:           pulumi.String(g.User),
		PrivateKey:     g.PrivateKey,
		DialErrorLimit: pulumi.Int(-1), // the VM is still booting: retry until it answers
		PerDialTimeout: pulumi.Int(30),
	}
	if g.Bastion != nil {
		conn.Proxy = remote.ProxyConnectionArgs{
			Host: g.Bastion, User: pulumi.String(g.User), PrivateKey: g.PrivateKey,
			DialErrorLimit: pulumi.Int(-1), PerDialTimeout: pulumi.Int(30),
		}
	}
	return conn
}
