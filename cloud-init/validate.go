package cloudinit

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var (
	dns1123Label   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	dnsSubdomain   = regexp.MustCompile(`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	tokenFormat    = regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`)
	caHashFormat   = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	patchVersion   = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	minorVersion   = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	pemBlockHeader = "-----BEGIN "
)

// validate checks what Render depends on. Errors name the field and its
// value, except for private keys, which never appear in an error.
func validate(c Cluster, n Node) error {
	var errs []error
	bad := func(field, value, want string) {
		errs = append(errs, fmt.Errorf("%s: %q %s", field, value, want))
	}

	switch n.Role {
	case RoleInit, RoleControlPlane, RoleWorker:
	default:
		bad("Node.Role", string(n.Role), "is not a role (want init, control-plane or worker)")
	}
	// Empty name and IP are found at boot (see Node).
	if n.Name != "" && !dns1123Label.MatchString(n.Name) {
		bad("Node.Name", n.Name, "is not a DNS-1123 label (lower-case alphanumerics and '-', at most 63; empty derives it at boot)")
	}
	if ip := net.ParseIP(n.IP); n.IP != "" && (ip == nil || ip.To4() == nil) {
		bad("Node.IP", n.IP, "is not an IPv4 address (empty takes the default route's at boot)")
	}
	if n.ExistingHost && n.Role != RoleInit {
		bad("Node.Role", string(n.Role), "cannot be an existing host's (want init: an existing host is a single-node cluster)")
	}

	if !patchVersion.MatchString(c.KubernetesVersion) {
		bad("Cluster.KubernetesVersion", c.KubernetesVersion, `is not a patch version like "1.36.4"`)
	}
	if !minorVersion.MatchString(c.KubernetesMinor) {
		bad("Cluster.KubernetesMinor", c.KubernetesMinor, `is not a minor version like "1.36"`)
	} else if !strings.HasPrefix(c.KubernetesVersion, c.KubernetesMinor+".") {
		bad("Cluster.KubernetesVersion", c.KubernetesVersion, "is not a release of Cluster.KubernetesMinor "+c.KubernetesMinor)
	}
	if !minorVersion.MatchString(c.CRIOMinor) {
		bad("Cluster.CRIOMinor", c.CRIOMinor, `is not a minor version like "1.36"`)
	}
	for _, r := range [][2]string{{"Cluster.KubernetesRepo", c.KubernetesRepo}, {"Cluster.CRIORepo", c.CRIORepo}} {
		if u, err := url.Parse(r[1]); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(r[0], r[1], "is not an http(s) URL")
		}
	}

	if c.DNSDomain != "" && !dnsSubdomain.MatchString(c.DNSDomain) {
		bad("Cluster.DNSDomain", c.DNSDomain, "is not a DNS name")
	}
	for _, r := range [][2]string{{"Cluster.PodCIDR", c.PodCIDR}, {"Cluster.ServiceCIDR", c.ServiceCIDR}} {
		if _, _, err := net.ParseCIDR(r[1]); r[1] != "" && err != nil {
			bad(r[0], r[1], "is not a CIDR")
		}
	}
	for i, san := range c.CertSANs {
		if net.ParseIP(san) == nil && !dnsSubdomain.MatchString(san) {
			bad(fmt.Sprintf("Cluster.CertSANs[%d]", i), san, "is neither an IP address nor a DNS name")
		}
	}
	if _, port, err := net.SplitHostPort(c.ControlPlaneEndpoint); err != nil || port == "" {
		bad("Cluster.ControlPlaneEndpoint", c.ControlPlaneEndpoint, `is not host:port like "10.0.0.10:6443"`)
	}
	if !tokenFormat.MatchString(c.BootstrapToken) {
		bad("Cluster.BootstrapToken", c.BootstrapToken, "does not match [a-z0-9]{6}.[a-z0-9]{16}")
	}
	if c.TokenTTL != "" {
		if _, err := time.ParseDuration(c.TokenTTL); err != nil {
			bad("Cluster.TokenTTL", c.TokenTTL, `is not a Go duration like "24h" or "0s"`)
		}
	}
	if n.Role == RoleControlPlane || n.Role == RoleWorker {
		if !caHashFormat.MatchString(c.CACertHash) {
			bad("Cluster.CACertHash", c.CACertHash, "does not match sha256:<64 lower-case hex digits>")
		}
	}
	// kubeadm stores clusterName in its kubeadm-config ConfigMap and its YAML
	// emitter writes control characters raw, which joiners then cannot parse.
	if !printable(c.Name) {
		bad("Cluster.Name", c.Name, "has control characters, line breaks or invalid UTF-8")
	}
	// bootstrap.sh replaces these anywhere in the kubeadm config.
	for _, f := range [][2]string{{"Cluster.Name", c.Name}, {"Cluster.ControlPlaneEndpoint", c.ControlPlaneEndpoint}} {
		for _, p := range []string{NameAtBoot, IPAtBoot, InstanceIDAtBoot} {
			if strings.Contains(f[1], p) {
				bad(f[0], f[1], "contains "+p+", which bootstrap.sh replaces at boot")
			}
		}
	}
	if isControlPlane(n.Role) {
		for _, f := range pkiFiles(c.PKI) {
			// YAML documents are Unicode: bytes that are not UTF-8 cannot be carried.
			if !strings.Contains(f.pem, pemBlockHeader) || !utf8.ValidString(f.pem) {
				errs = append(errs, fmt.Errorf("Cluster.PKI.%s: not PEM text (no %q line or not UTF-8); control planes need it for %s/%s",
					f.field, pemBlockHeader, PKIDir, f.name))
			}
		}
	}
	return errors.Join(errs...)
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}
