package stacks

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
)

func run(t testing.TB, raw map[string]string) (*mocks.Mocks, error) {
	full := map[string]string{}
	for k, v := range raw {
		full[Key(k)] = v
	}
	return mocks.Run(Program, Namespace, "multinode", raw["nodeCidr"], full)
}

func TestProgramBuildsNetworkThenCluster(t *testing.T) {
	m, err := run(t, multinode(t))
	require.NoError(t, err)
	require.Len(t, m.ByType("tacker-cilium:network:Network"), 1)
	require.Len(t, m.ByType("tacker-cilium:cluster:Cluster"), 1)
	require.Len(t, m.ByType("openstack:compute/instance:Instance"), 3)
	// Ports sit on the subnet the network component created.
	for _, p := range m.ByType("openstack:networking/port:Port") {
		require.Equal(t, "multinode-id", mocks.Plain(p.Inputs["networkId"]))
	}
}

func TestProgramRefusesBadConfigBeforeAnyResource(t *testing.T) {
	raw := multinode(t)
	raw["podCidr"] = "10.20.0.0/16"
	m, err := run(t, raw)
	require.ErrorContains(t, err, "overlap")
	require.Empty(t, m.Resources(), "nothing half-created")
}

// BenchmarkProgram is the cost of evaluating the multinode program (all
// resources, PKI generation and cloud-init rendering) per cluster size.
func BenchmarkProgram(b *testing.B) {
	for _, nodes := range []int{3, 30, 300} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			raw := multinode(b)
			raw["workerCount"] = strconv.Itoa(nodes - 1)
			raw["nodeCidr"] = "10.20.0.0/20"
			raw["podCidr"] = "10.128.0.0/15" // a /24 per node: room for 512
			for i := 0; i < b.N; i++ {
				if _, err := run(b, raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*nodes), "µs/node")
		})
	}
}
