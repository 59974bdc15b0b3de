package render

import (
	"encoding/base64"
	"regexp"
	"sort"
	"strings"
)

// Redacted is what a secret is shown as.
const Redacted = "[secret]"

// tokenPlaceholder stands for the secret half of a kubeadm bootstrap token.
// kubeadm checks a token's shape ([a-z0-9]{6}.[a-z0-9]{16}), so a redacted
// config must keep it for `kubeadm config validate` to accept the file; the
// placeholder is plainly not a credential.
const tokenPlaceholder = "redactedredacted"

var tokenSecret = regexp.MustCompile(`^[a-z0-9]{16}$`)

// Redactor replaces secret values in rendered text.
type Redactor struct {
	lines  map[string]bool // lines of multi-line secrets (PEM blocks)
	values []string        // one-line secrets, longest first
}

// NewRedactor knows the given secret values.
func NewRedactor(secrets []string) *Redactor {
	r := &Redactor{lines: map[string]bool{}}
	for _, s := range secrets {
		// Kubeconfigs and Helm values carry secrets base64-encoded.
		if s != "" {
			r.values = append(r.values, base64.StdEncoding.EncodeToString([]byte(s)))
		}
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case strings.Contains(s, "\n"):
			for _, l := range strings.Split(s, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					r.lines[l] = true
				}
			}
		default:
			r.values = append(r.values, s)
		}
	}
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	return r
}

// Redact returns text with every secret replaced. A multi-line secret,
// indented as YAML block scalars indent it, becomes one [secret] line.
func (r *Redactor) Redact(text string) string {
	lines := strings.Split(text, "\n")
	out := lines[:0]
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if r.lines[t] {
			indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			if n := len(out); n > 0 && out[n-1] == indent+Redacted {
				continue
			}
			out = append(out, indent+Redacted)
			continue
		}
		for _, v := range r.values {
			if tokenSecret.MatchString(v) {
				l = regexp.MustCompile(`([a-z0-9]{6})\.`+regexp.QuoteMeta(v)).ReplaceAllString(l, "${1}."+tokenPlaceholder)
			}
			l = strings.ReplaceAll(l, v, Redacted)
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
