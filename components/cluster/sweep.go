package cluster

import (
	_ "embed"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

//go:embed node-sweep.sh
var nodeSweepScript string

// NewNodeSweep runs node-sweep.sh on the first control plane, named
// <name>-node-sweep, whenever the cluster's servers change: the Node objects
// of servers that are gone are deleted. servers are the Nova ids of every
// server the cluster has now.
func NewNodeSweep(ctx *pulumi.Context, name string, conn remote.ConnectionArgs, servers pulumi.StringArrayInput, opts ...pulumi.ResourceOption) (*remote.Command, error) {
	live := servers.ToStringArrayOutput().ApplyT(func(ids []string) string {
		ids = append([]string(nil), ids...)
		sort.Strings(ids)
		return strings.Join(ids, " ")
	}).(pulumi.StringOutput)
	return remote.NewCommand(ctx, name+"-node-sweep", &remote.CommandArgs{
		Connection: conn,
		// The script comes on standard input, the live servers before it.
		Create:                 pulumi.Sprintf("LIVE_SERVERS='%s' bash -s", live),
		Stdin:                  pulumi.String(nodeSweepScript),
		Triggers:               pulumi.Array{live},
		AddPreviousOutputInEnv: pulumi.Bool(false),
	}, opts...)
}
