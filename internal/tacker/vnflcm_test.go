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

// Tacker's keyvalue_pairs schema, value by value.
func TestKeyValueProblem(t *testing.T) {
	long := string(make([]byte, 256))
	for name, c := range map[string]struct {
		m      map[string]any
		key    string
		reason string
	}{
		"fine": {m: map[string]any{"lcm-operation-user-data": "./UserData/k8s.py", "nfv": map[string]any{"n": 3.0},
			"list": []any{1.0}, "flag": true, "none": nil, "a b:c.d/e_f": "x"}},
		"number":      {m: map[string]any{"workers": 3.0}, key: "workers", reason: "a number"},
		"long string": {m: map[string]any{"ok": "x", "userdata": long}, key: "userdata", reason: "a string of 256 characters"},
		"bad key":     {m: map[string]any{"a*b": "x"}, key: "a*b", reason: "letters, digits"},
		"empty key":   {m: map[string]any{"": "x"}, key: "", reason: "letters, digits"},
	} {
		key, reason := KeyValueProblem(c.m)
		assert.Equal(t, c.key, key, name)
		if c.reason == "" {
			assert.Empty(t, reason, name)
		} else {
			assert.Contains(t, reason, c.reason, name)
		}
	}
}
