package cluster

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-openstack/sdk/v3/go/openstack/compute"
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

type gateArgs struct {
	Host       pulumi.StringInput
	Bastion    pulumi.StringInput // nil connects directly
	User       string
	PrivateKey pulumi.StringPtrInput // nil uses the ssh-agent of SSH_AUTH_SOCK
	VM         *compute.Instance
}

// newGate is the one SSH step of a node: it ends when cloud-init has. It is
// re-run when the VM is replaced.
func newGate(ctx *pulumi.Context, name string, g gateArgs, opts ...pulumi.ResourceOption) (*remote.Command, error) {
	return remote.NewCommand(ctx, name+"-ready", &remote.CommandArgs{
		Connection: g.connection(),
		Create:     pulumi.String(readinessScript),
		Triggers:   pulumi.Array{g.VM.ID()},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{g.VM}))...)
}

// connection is how the gate logs in: straight to a floating IP, or through
// the first control plane to a worker's fixed IP.
func (g gateArgs) connection() remote.ConnectionArgs {
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
