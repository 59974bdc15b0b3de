package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tacker-cilium/tacker-cilium/internal/versions"
)

// Namespace is the project name, the prefix of every config key.
const Namespace = "tacker-cilium"

// Config is the typed stack configuration. Each field's `key` tag is its
// config key; defaults are declared once, in Pulumi.yaml's config block.
type Config struct {
	KubernetesVersion string `key:"kubernetesVersion"`
	CRIOVersion       string `key:"crioVersion"`
	CiliumVersion     string `key:"ciliumVersion"`
	KubernetesRepo    string `key:"kubernetesRepo"`
	CRIORepo          string `key:"crioRepo"`

	ClusterName string `key:"clusterName"`

	ControlPlaneCount      int    `key:"controlPlaneCount"`
	ControlPlaneFlavor     string `key:"controlPlaneFlavor"`
	ControlPlaneImage      string `key:"controlPlaneImage"`
	ControlPlaneVolumeSize int    `key:"controlPlaneVolumeSize"`
	WorkerCount            int    `key:"workerCount"`
	WorkerFlavor           string `key:"workerFlavor"`
	WorkerImage            string `key:"workerImage"`
	WorkerVolumeSize       int    `key:"workerVolumeSize"`
	VolumeType             string `key:"volumeType"`
	ServerGroupPolicy      string `key:"serverGroupPolicy"`

	SSHUser     string `key:"sshUser"`
	KeypairName string `key:"keypairName"`

	NodeCIDR          string   `key:"nodeCidr"`
	DNSServers        []string `key:"dnsServers"`
	ExternalNetwork   string   `key:"externalNetwork"`
	ExistingNetworkID string   `key:"existingNetworkId"`
	ExistingSubnetID  string   `key:"existingSubnetId"`
	PodCIDR           string   `key:"podCidr"`
	ServiceCIDR       string   `key:"serviceCidr"`

	SSHAllowedCIDRs      []string `key:"sshAllowedCidrs"`
	APIAllowedCIDRs      []string `key:"apiAllowedCidrs"`
	NodePortRange        string   `key:"nodePortRange"`
	NodePortAllowedCIDRs []string `key:"nodePortAllowedCidrs"`

	RoutingMode          string `key:"routingMode"`
	TunnelProtocol       string `key:"tunnelProtocol"`
	Encryption           string `key:"encryption"`
	KubeProxyReplacement bool   `key:"kubeProxyReplacement"`

	BootstrapTokenTTL string `key:"bootstrapTokenTtl"`

	// Versions is the matrix entry of the three version keys, set by Validate.
	Versions versions.Combination `key:"-"`
}

// Key is the full config key of a field name, as users write it.
func Key(short string) string { return Namespace + ":" + short }

// Decode builds a Config from raw config values keyed by short key name (as
// the engine hands them over: strings, with arrays as JSON). Unknown keys are
// errors too: a typo must not silently fall back to a default.
func Decode(raw map[string]string) (*Config, error) {
	var c Config
	var errs []error
	known := map[string]bool{}
	v := reflect.ValueOf(&c).Elem()
	for i := 0; i < v.NumField(); i++ {
		key := v.Type().Field(i).Tag.Get("key")
		if key == "-" {
			continue
		}
		known[key] = true
		s, ok := raw[key]
		if !ok {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(s)
		case reflect.Int:
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not an integer", Key(key), s))
			}
			f.SetInt(int64(n))
		case reflect.Bool:
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", Key(key), s))
			}
			f.SetBool(b)
		case reflect.Slice:
			var list []string
			if err := json.Unmarshal([]byte(s), &list); err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a list of strings", Key(key), s))
			}
			f.Set(reflect.ValueOf(list))
		}
	}
	for key := range raw {
		if !known[key] {
			errs = append(errs, fmt.Errorf("%s is not a known key; see the configuration reference in README.md", Key(key)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &c, nil
}

var (
	dnsLabel        = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	serverGroupPols = []string{"soft-anti-affinity", "anti-affinity", "soft-affinity", "affinity"}
)

// Validate checks every key and returns all problems at once, each naming
// the key, the bad value and what would be accepted.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("%s: %v is not accepted; %s", Key(key), quote(value), accepted))
	}

	combo, err := versions.Resolve(c.KubernetesVersion, c.CRIOVersion, c.CiliumVersion)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s, %s, %s: %w", Key("kubernetesVersion"), Key("crioVersion"), Key("ciliumVersion"), err))
	}
	c.Versions = combo

	if len(c.ClusterName) > 32 || !dnsLabel.MatchString(c.ClusterName) {
		bad("clusterName", c.ClusterName, "use at most 32 lowercase letters, digits and dashes, starting and ending with a letter or digit")
	}
	if c.ControlPlaneCount != 1 && c.ControlPlaneCount != 3 {
		bad("controlPlaneCount", c.ControlPlaneCount, "use 1, or 3 for an etcd quorum")
	}
	if c.WorkerCount < 0 {
		bad("workerCount", c.WorkerCount, "use 0 or more")
	}
	for _, k := range []struct{ key, v string }{
		{"controlPlaneFlavor", c.ControlPlaneFlavor}, {"workerFlavor", c.WorkerFlavor},
		{"controlPlaneImage", c.ControlPlaneImage}, {"workerImage", c.WorkerImage},
		{"sshUser", c.SSHUser}, {"externalNetwork", c.ExternalNetwork},
	} {
		if strings.TrimSpace(k.v) == "" {
			bad(k.key, k.v, "give a non-empty name")
		}
	}
	for _, k := range []struct {
		key string
		v   int
	}{{"controlPlaneVolumeSize", c.ControlPlaneVolumeSize}, {"workerVolumeSize", c.WorkerVolumeSize}} {
		if k.v < 0 {
			bad(k.key, k.v, "use 0 to boot from the image, or a size in GB")
		}
	}
	if !contains(serverGroupPols, c.ServerGroupPolicy) {
		bad("serverGroupPolicy", c.ServerGroupPolicy, "use one of "+strings.Join(serverGroupPols, ", "))
	}
	if (c.ExistingNetworkID == "") != (c.ExistingSubnetID == "") {
		errs = append(errs, fmt.Errorf("%s and %s: give both to reuse a network, or neither to create one (got %q and %q)",
			Key("existingNetworkId"), Key("existingSubnetId"), c.ExistingNetworkID, c.ExistingSubnetID))
	}

	prefixes := map[string]netip.Prefix{}
	for _, k := range []struct{ key, v string }{{"nodeCidr", c.NodeCIDR}, {"podCidr", c.PodCIDR}, {"serviceCidr", c.ServiceCIDR}} {
		p, err := parseCIDR(k.v)
		if err != nil {
			bad(k.key, k.v, "give an IPv4 CIDR such as 10.0.0.0/24 (network address, no host bits)")
			continue
		}
		prefixes[k.key] = p
	}
	pairs := [][2]string{{"nodeCidr", "podCidr"}, {"nodeCidr", "serviceCidr"}, {"podCidr", "serviceCidr"}}
	for _, p := range pairs {
		a, okA := prefixes[p[0]]
		b, okB := prefixes[p[1]]
		if okA && okB && a.Overlaps(b) {
			errs = append(errs, fmt.Errorf("%s %q and %s %q overlap; node, pod and service ranges must be disjoint",
				Key(p[0]), a, Key(p[1]), b))
		}
	}
	if p, ok := prefixes["nodeCidr"]; ok {
		// Neutron keeps the network, gateway, DHCP and broadcast addresses.
		if hosts := 1<<(32-p.Bits()) - 4; hosts < c.ControlPlaneCount+c.WorkerCount {
			bad("nodeCidr", c.NodeCIDR, fmt.Sprintf("it holds %d node addresses, fewer than the %d nodes; use a larger subnet", hosts, c.ControlPlaneCount+c.WorkerCount))
		}
	}

	for _, k := range []struct {
		key   string
		v     []string
		empty string
	}{
		{"sshAllowedCidrs", c.SSHAllowedCIDRs, "the readiness gates reach the nodes over SSH: list the CIDRs of the machines that run pulumi"},
		{"apiAllowedCidrs", c.APIAllowedCIDRs, "list the CIDRs of the machines that use the API, Tacker's among them"},
		{"nodePortAllowedCidrs", c.NodePortAllowedCIDRs, ""},
	} {
		if len(k.v) == 0 && k.empty != "" {
			bad(k.key, k.v, k.empty)
		}
		for _, s := range k.v {
			if _, err := parseCIDR(s); err != nil {
				bad(k.key, s, "each entry must be an IPv4 CIDR such as 203.0.113.0/24")
			}
		}
	}
	for _, s := range c.DNSServers {
		if a, err := netip.ParseAddr(s); err != nil || !a.Is4() {
			bad("dnsServers", s, "each entry must be an IPv4 address")
		}
	}
	if c.NodePortRange != "" {
		if _, _, err := ParsePortRange(c.NodePortRange); err != nil {
			bad("nodePortRange", c.NodePortRange, "use FROM-TO within 1-65535, such as 30000-32767, or leave it empty to keep NodePorts closed")
		} else if len(c.NodePortAllowedCIDRs) == 0 {
			bad("nodePortAllowedCidrs", c.NodePortAllowedCIDRs, "list who may reach "+Key("nodePortRange"))
		}
	}

	if !contains([]string{"native", "tunnel"}, c.RoutingMode) {
		bad("routingMode", c.RoutingMode, "use native or tunnel")
	}
	if !contains([]string{"vxlan", "geneve"}, c.TunnelProtocol) {
		bad("tunnelProtocol", c.TunnelProtocol, "use vxlan or geneve")
	}
	if !contains([]string{"none", "wireguard"}, c.Encryption) {
		bad("encryption", c.Encryption, "use none or wireguard")
	}
	if d, err := time.ParseDuration(c.BootstrapTokenTTL); err != nil || d < 0 {
		bad("bootstrapTokenTtl", c.BootstrapTokenTTL, "use a duration such as 24h, or 0s for a token that never expires")
	}
	return errors.Join(errs...)
}

// ParsePortRange reads "FROM-TO".
func ParsePortRange(s string) (int, int, error) {
	from, to, ok := strings.Cut(s, "-")
	a, errA := strconv.Atoi(from)
	b, errB := strconv.Atoi(to)
	if !ok || errA != nil || errB != nil || a < 1 || b > 65535 || a > b {
		return 0, 0, fmt.Errorf("port range %q: want FROM-TO within 1-65535", s)
	}
	return a, b, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, err
	}
	if !p.Addr().Is4() || p.Masked() != p {
		return p, fmt.Errorf("%q is not an IPv4 network address", s)
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quote(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []string:
		b, _ := json.Marshal(x)
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}
