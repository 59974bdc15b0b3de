package render

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactsIndentedPEMAsOneLine(t *testing.T) {
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBx7\nAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n"
	text := "files:\n  - content: |\n" + indent(key, "      ") + "    path: /k\n"
	got := NewRedactor([]string{key}).Redact(text)
	require.NotContains(t, got, "MHcCAQEEIBx7")
	require.Equal(t, 1, strings.Count(got, Redacted))
	require.Contains(t, got, "      "+Redacted+"\n    path: /k")
}

func TestRedactsTokenSecretKeepingItsShape(t *testing.T) {
	secret := "0123456789abcdef"
	got := NewRedactor([]string{secret}).Redact(`token: "abc123.` + secret + `"` + "\nother: " + secret)
	require.Contains(t, got, `token: "abc123.redactedredacted"`)
	require.Contains(t, got, "other: "+Redacted)
	require.NotContains(t, got, secret)
}

func TestLeavesPublicTextAlone(t *testing.T) {
	text := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	require.Equal(t, text, NewRedactor([]string{"-----BEGIN EC PRIVATE KEY-----\nXYZ\n-----END EC PRIVATE KEY-----"}).Redact(text))
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

// Helm values and kubeconfigs carry keys base64-encoded: those go too.
func TestRedactsBase64OfASecret(t *testing.T) {
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBx7\n-----END EC PRIVATE KEY-----\n"
	encoded := base64.StdEncoding.EncodeToString([]byte(key))
	got := NewRedactor([]string{key}).Redact("tls:\n  ca:\n    key: " + encoded + "\n")
	require.NotContains(t, got, encoded)
	require.Contains(t, got, "    key: "+Redacted+"\n")
}
