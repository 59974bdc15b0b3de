package tacker

import (
	"fmt"
	"regexp"
	"sort"
)

var keyvalueKey = regexp.MustCompile(`^[a-zA-Z0-9-_:. /]{1,255}$`)

// KeyValueProblem says why Tacker would refuse m where its API takes
// KeyValuePairs (additionalParams, userDefinedData...), or returns "":
// keys of letters, digits, "-_:. /" up to 255; top-level values arrays,
// objects, null, booleans or strings of at most 255 characters, never
// numbers (parameter_types.keyvalue_pairs in Tacker). Nested values are
// free. The reason never quotes a value, which may be a secret.
func KeyValueProblem(m map[string]any) (key, reason string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !keyvalueKey.MatchString(k) {
			return k, "the key may hold only letters, digits, '-', '_', ':', '.', '/' and spaces, at most 255 of them"
		}
		switch v := m[k].(type) {
		case nil, bool, []any, map[string]any:
		case string:
			if len(v) > 255 {
				return k, fmt.Sprintf("a string of %d characters where Tacker takes at most 255 at the top level: put it inside an object", len(v))
			}
		case float64, int, int64:
			return k, "a number, which Tacker refuses at the top level: give it as a string, or inside an object"
		default:
			return k, fmt.Sprintf("a %T, where Tacker takes a string, a boolean, a list, an object or null", v)
		}
	}
	return "", ""
}
