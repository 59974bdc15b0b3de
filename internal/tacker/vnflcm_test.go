package tacker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Only the id is taken from Location: its host is Tacker's [v2_vnfm]
// endpoint setting, which need not be where the client reaches Tacker.
func TestOpOccIDFromLocation(t *testing.T) {
	for loc, want := range map[string]string{
		"http://127.0.0.1:9890/vnflcm/v2/vnf_lcm_op_occs/6a0c2c4e-1b5f-4a8e-9d0e-0c3a5f1b2d4e": "6a0c2c4e-1b5f-4a8e-9d0e-0c3a5f1b2d4e",
		"https://tacker.example/nfv/vnflcm/v2/vnf_lcm_op_occs/abc/":                            "abc",
		"/vnflcm/v2/vnf_lcm_op_occs/abc":                                                       "abc",
	} {
		got, err := opOccID(loc)
		require.NoError(t, err, loc)
		assert.Equal(t, want, got, loc)
	}
	for _, bad := range []string{"", "http://127.0.0.1:9890/vnflcm/v2/vnf_instances/abc", "http://127.0.0.1:9890/vnflcm/v2/vnf_lcm_op_occs/", "%zz"} {
		_, err := opOccID(bad)
		assert.Error(t, err, bad)
	}
}
