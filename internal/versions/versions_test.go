package versions

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultIsSupportedAndPinned(t *testing.T) {
	d := Default()
	require.Equal(t, "1.36", d.Kubernetes)
	require.Equal(t, d.Kubernetes, d.CRIO, "CRI-O's minor follows Kubernetes'")
	require.Equal(t, "1.20", d.Cilium)
	require.True(t, strings.HasPrefix(d.KubernetesPatch, d.Kubernetes+"."))
	require.True(t, strings.HasPrefix(d.CiliumPatch, d.Cilium+"."))
}

func TestEveryCombinationPairsEqualMinors(t *testing.T) {
	for _, c := range Supported() {
		require.Equal(t, c.Kubernetes, c.CRIO, c.String())
		require.True(t, strings.HasPrefix(c.KubernetesPatch, c.Kubernetes+"."), c.String())
	}
}

func TestUnsupportedCombinationListsTheSupportedOnes(t *testing.T) {
	_, err := Resolve("1.36", "1.35", "1.20")
	require.Error(t, err)
	for _, c := range Supported() {
		require.Contains(t, err.Error(), c.String())
	}
}

func TestBrokenMatrixIsRefused(t *testing.T) {
	require.Panics(t, func() {
		mustLoad([]byte("kubernetes: {}\ncilium: {}\ncombinations: [{kubernetes: \"1.99\", crio: \"1.99\", cilium: \"1.20\"}]\n"))
	})
}
