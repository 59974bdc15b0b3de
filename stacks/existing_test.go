package stacks

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
)

// The shipped bring-your-own-cluster stack, given its kubeconfig, builds
// Cilium and the VIM and nothing on OpenStack.
func TestShippedExistingStack(t *testing.T) {
	raw := shipped(t, "existing")
	raw["kubeconfig"] = byoKubeconfig
	m := mocks.New("")
	require.NoError(t, runOn(t, m, "existing", raw, "kubeconfig"))
	for _, r := range m.Resources() {
		require.NotContains(t, r.Type, "openstack:")
		require.NotContains(t, r.Type, "command:")
	}
	require.Len(t, m.ByType("kubernetes:helm.sh/v3:Release"), 1)
	require.Len(t, m.ByType("tacker:index:Vim"), 1)
	v := values(t, m, "existing")
	require.Equal(t, "tunnel", dig(t, v, "routingMode"))
	require.Equal(t, "existing", dig(t, v, "cluster", "name"))
}

// Without its kubeconfig the stack is refused before any resource, naming
// the key and both ways of setting it; no OpenStack key is asked for.
func TestExistingStackNeedsItsKubeconfig(t *testing.T) {
	m := mocks.New("")
	err := runOn(t, m, "existing", shipped(t, "existing"))
	require.ErrorContains(t, err, "tacker-cilium:kubeconfig is not set")
	require.ErrorContains(t, err, "pulumi config set --secret tacker-cilium:kubeconfig")
	require.ErrorContains(t, err, "--secret kubeconfig=@FILE")
	require.NotContains(t, err.Error(), "sshAllowedCidrs")
	require.Empty(t, m.Resources())
}
