package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tacker-cilium/tacker-cilium/components/network"
	"github.com/tacker-cilium/tacker-cilium/internal/versions"
)

// Namespace is the project name, the prefix of every config key.
const Namespace = "tacker-cilium"

// Config is the typed stack configuration. Each field's `key` tag is its
// config key; defaults are declared once, in Pulumi.yaml's config block.
type Config struct {
	// UseCase picks what builds the cluster: OpenStack VMs (multinode), one
	// node on a devstack (aio), or a Tacker VNF package (vnf-package).
	UseCase string `key:"useCase"`
	// Kubeconfig, when set, is an existing cluster: no OpenStack resources,
	// only Cilium and the VIM. Secret keys are never quoted in errors.
	Kubeconfig string `key:"kubeconfig" secret:"true"`

	KubernetesVersion string `key:"kubernetesVersion"`
	CRIOVersion       string `key:"crioVersion"`
	CiliumVersion     string `key:"ciliumVersion"`
	KubernetesRepo    string `key:"kubernetesRepo"`
	CRIORepo          string `key:"crioRepo"`

	ClusterName string        `key:"clusterName"`
	ClusterID   int           `key:"clusterId"`
	Clusters    []ClusterSpec `key:"clusters"`

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

	NetworkMTU      int            `key:"networkMtu"`
	CiliumChartRepo string         `key:"ciliumChartRepo"`
	CiliumChartPath string         `key:"ciliumChartPath"`
	CiliumWait      bool           `key:"ciliumWait"`
	HubbleUI        bool           `key:"hubbleUi"`
	CiliumValues    map[string]any `key:"ciliumValues"`
	MeshServiceType string         `key:"clusterMeshServiceType"`
	MaxMeshClusters int            `key:"maxConnectedClusters"`
	MeshPeers       []string       `key:"meshPeers"`
	MeshCAOwner     string         `key:"meshCaOwner"`

	// The all-in-one node: a VM, or an existing host over SSH.
	AIOMode        string `key:"aioMode"`
	HostAddress    string `key:"hostAddress"`
	HostNodeIP     string `key:"hostNodeIp"`
	HostPrivateKey string `key:"hostPrivateKey" secret:"true"`

	// Registration of each cluster as a Tacker VIM.
	TackerVim      bool   `key:"tackerVim"`
	TackerCloud    string `key:"tackerCloud"`
	TackerEndpoint string `key:"tackerEndpoint"`
	VimName        string `key:"vimName"`
	VimProject     string `key:"vimProject"`
	VimDefault     bool   `key:"vimDefault"`
	VimUseHelm     bool   `key:"vimUseHelm"`
	VimClusterRole string `key:"vimClusterRole"`

	// The cluster Tacker instantiates from the program's VNF package:
	// workerCount is the desired size, scaled by Tacker between the bounds.
	VnfMinWorkers     int      `key:"vnfMinWorkers"`
	VnfMaxWorkers     int      `key:"vnfMaxWorkers"`
	VnfHealGeneration int      `key:"vnfHealGeneration"`
	VnfHealServers    []string `key:"vnfHealServers"`
	VnfAutoHeal       bool     `key:"vnfAutoHeal"`
	VnfAutoScale      bool     `key:"vnfAutoScale"`
	VnfVimAuthURL     string   `key:"vnfVimAuthUrl"`
	VnfVimUsername    string   `key:"vnfVimUsername"`
	VnfVimPassword    string   `key:"vnfVimPassword" secret:"true"`
	VnfVimProject     string   `key:"vnfVimProject"`
	VnfVimDomain      string   `key:"vnfVimDomain"`
	VnfVimRegion      string   `key:"vnfVimRegion"`

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
		case reflect.Slice, reflect.Map:
			if err := json.Unmarshal([]byte(s), f.Addr().Interface()); err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not %s", Key(key), s, shapes[f.Type().String()]))
			}
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

var shapes = map[string]string{
	"[]string":                "a list of strings",
	"[]stacks.ClusterSpec":    "a list of clusters ({name, id, nodeCidr, podCidr, ...})",
	"map[string]interface {}": "an object of Helm values",
}

var (
	dnsLabel        = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	serverGroupPols = []string{"soft-anti-affinity", "anti-affinity", "soft-affinity", "affinity"}
)

// ClusterSpec is one cluster of a stack. In config, `clusters` lists them;
// fields left out take the top-level key of the same name.
type ClusterSpec struct {
	Name              string `json:"name"`
	ID                int    `json:"id"`
	NodeCIDR          string `json:"nodeCidr"`
	PodCIDR           string `json:"podCidr"`
	ServiceCIDR       string `json:"serviceCidr"`
	ControlPlaneCount *int   `json:"controlPlaneCount,omitempty"`
	WorkerCount       *int   `json:"workerCount,omitempty"`

	keyPrefix string // "" for the top-level keys, "clusters[i]." for an entry
}

// Key is the config key of one of the cluster's fields, as the user wrote it.
func (s ClusterSpec) Key(field string) string { return Key(s.keyPrefix + field) }

// ControlPlanes and Workers are the resolved node counts.
func (s ClusterSpec) ControlPlanes() int { return *s.ControlPlaneCount }
func (s ClusterSpec) Workers() int       { return *s.WorkerCount }

// ClusterSpecs are the clusters of the stack with every field resolved:
// the `clusters` entries, or one cluster from the top-level keys.
func (c *Config) ClusterSpecs() []ClusterSpec {
	if len(c.Clusters) == 0 {
		cp, w := c.ControlPlaneCount, c.WorkerCount
		return []ClusterSpec{{Name: c.ClusterName, ID: c.ClusterID, NodeCIDR: c.NodeCIDR, PodCIDR: c.PodCIDR,
			ServiceCIDR: c.ServiceCIDR, ControlPlaneCount: &cp, WorkerCount: &w}}
	}
	out := make([]ClusterSpec, len(c.Clusters))
	for i, s := range c.Clusters {
		s.keyPrefix = fmt.Sprintf("clusters[%d].", i)
		if s.ServiceCIDR == "" {
			s.ServiceCIDR = c.ServiceCIDR
		}
		if s.ControlPlaneCount == nil {
			n := c.ControlPlaneCount
			s.ControlPlaneCount = &n
		}
		if s.WorkerCount == nil {
			n := c.WorkerCount
			s.WorkerCount = &n
		}
		out[i] = s
	}
	return out
}

var useCases = []string{"multinode", "aio", "vnf-package", "existing"}

// OnOpenStack reports whether the stack creates OpenStack resources: not
// for an existing cluster (kubeconfig) nor an existing host (aio host).
func (c *Config) OnOpenStack() bool {
	return c.Kubeconfig == "" && !c.HostMode() && c.UseCase != "existing"
}

// HostMode reports whether the all-in-one node is an existing host.
func (c *Config) HostMode() bool { return c.UseCase == "aio" && c.AIOMode == "host" }

// NodeIP is the address kubelet advertises on an existing host.
func (c *Config) NodeIP() string {
	if c.HostNodeIP != "" {
		return c.HostNodeIP
	}
	return c.HostAddress
}

// validateSource checks the keys of where the cluster comes from: an
// existing cluster, an existing host, or what the use case creates.
func (c *Config) validateSource() []error {
	var errs []error
	bad := func(key string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("%s: %v is not accepted; %s", key, quote(value), accepted))
	}
	if c.UseCase == "existing" && c.Kubeconfig == "" {
		// render reads stack files, where the kubeconfig never is in clear.
		errs = append(errs, fmt.Errorf("%s is not set; the existing use case is a cluster reached with its admin kubeconfig: "+
			"pulumi config set --secret %s \"$(cat kubeconfig)\", or tacker-cilium up --secret kubeconfig=@FILE (render cannot read it: it is a secret)",
			Key("kubeconfig"), Key("kubeconfig")))
	}
	if c.Kubeconfig != "" {
		if _, err := parseKubeconfig(c.Kubeconfig); err != nil {
			// The value is a credential: say what is wrong, never what it is.
			errs = append(errs, fmt.Errorf("%s: the kubeconfig given is not usable: %v; give an admin kubeconfig whose current context names a cluster with an https server", Key("kubeconfig"), err))
		}
		if c.Meshed() {
			bad(Key("meshPeers"), c.MeshPeers, "a Cluster Mesh needs the node addresses of each cluster; leave "+Key("kubeconfig")+" empty to mesh clusters this program builds")
		}
	}
	if c.UseCase == "aio" {
		if !slices.Contains([]string{"vm", "host"}, c.AIOMode) {
			bad(Key("aioMode"), c.AIOMode, "use vm (one VM on the devstack) or host (an existing host over SSH)")
		}
		if c.ControlPlaneCount != 1 {
			bad(Key("controlPlaneCount"), c.ControlPlaneCount, "the aio use case is one node: use 1")
		}
		if c.WorkerCount != 0 {
			bad(Key("workerCount"), c.WorkerCount, "the aio use case is one node: use 0")
		}
		if len(c.Clusters) > 0 {
			bad(Key("clusters"), "["+strconv.Itoa(len(c.Clusters))+" clusters]", "the aio use case is one node: leave it empty")
		}
	}
	if c.HostMode() && c.Kubeconfig == "" {
		if strings.TrimSpace(c.HostAddress) == "" {
			bad(Key("hostAddress"), c.HostAddress, "give the address (IP or DNS name) pulumi reaches the host at over SSH")
		}
		ip, err := netip.ParseAddr(c.NodeIP())
		switch {
		case err != nil || !ip.Is4():
			bad(Key("hostNodeIp"), c.HostNodeIP, "give the host's IPv4 address kubelet advertises (it defaults to "+Key("hostAddress")+" when that is an IPv4 address)")
		default:
			if p, err := parseCIDR(c.NodeCIDR); err == nil && !p.Contains(ip) {
				bad(Key("nodeCidr"), c.NodeCIDR, fmt.Sprintf("in host mode it is the host's own subnet, which must hold the node IP %s", ip))
			}
		}
		if c.RoutingMode == "tunnel" && c.TunnelProtocol == "geneve" {
			bad(Key("tunnelProtocol"), c.TunnelProtocol, "on a devstack host OVN owns 6081/udp (Geneve): use vxlan")
		}
	}
	return errs
}

// validateVNF checks the keys of the vnf-package use case.
func (c *Config) validateVNF() []error {
	if c.UseCase != "vnf-package" || c.Kubeconfig != "" {
		return nil
	}
	var errs []error
	bad := func(key string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("%s: %v is not accepted; %s", key, quote(value), accepted))
	}
	if c.ControlPlaneCount != 1 {
		bad(Key("controlPlaneCount"), c.ControlPlaneCount, "the VNF package has one control plane, whose port the program makes before Tacker: use 1")
	}
	if len(c.Clusters) > 0 {
		bad(Key("clusters"), "["+strconv.Itoa(len(c.Clusters))+" clusters]", "a VNF package is one cluster: leave it empty")
	}
	if c.VnfMinWorkers < 0 {
		bad(Key("vnfMinWorkers"), c.VnfMinWorkers, "use 0 or more")
	}
	if c.VnfMaxWorkers < c.VnfMinWorkers || c.VnfMaxWorkers < 1 {
		bad(Key("vnfMaxWorkers"), c.VnfMaxWorkers, fmt.Sprintf("use at least 1 and at least %s (%d)", Key("vnfMinWorkers"), c.VnfMinWorkers))
	}
	if c.WorkerCount < c.VnfMinWorkers || c.WorkerCount > c.VnfMaxWorkers {
		bad(Key("workerCount"), c.WorkerCount, fmt.Sprintf("Tacker scales the workers between %s and %s: use %d-%d", Key("vnfMinWorkers"), Key("vnfMaxWorkers"), c.VnfMinWorkers, c.VnfMaxWorkers))
	}
	if c.VnfHealGeneration < 0 {
		bad(Key("vnfHealGeneration"), c.VnfHealGeneration, "use 0, and raise it by one to heal the servers of "+Key("vnfHealServers"))
	}
	if c.VnfHealGeneration > 0 && len(c.VnfHealServers) == 0 {
		// Tacker heals the whole VNF when told no VNFC: the control plane
		// would run kubeadm init again, and the cluster would be lost.
		bad(Key("vnfHealServers"), c.VnfHealServers, "name the Nova servers (or VNFC ids) of the workers to heal, from openstack vnflcm show; healing the whole VNF would re-create the control plane and lose the cluster")
	}
	if c.VnfVimAuthURL == "" {
		return errs // Tacker's default VIM
	}
	if u, err := url.Parse(c.VnfVimAuthURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad(Key("vnfVimAuthUrl"), c.VnfVimAuthURL, "give the Keystone v3 URL Tacker reaches the OpenStack VIM at, such as http://controller/identity/v3, or leave it empty for Tacker's default VIM")
	}
	for _, k := range []struct{ key, v string }{{"vnfVimUsername", c.VnfVimUsername}, {"vnfVimProject", c.VnfVimProject}} {
		if strings.TrimSpace(k.v) == "" {
			bad(Key(k.key), k.v, "give it with "+Key("vnfVimAuthUrl"))
		}
	}
	if c.VnfVimPassword == "" {
		errs = append(errs, fmt.Errorf("%s is not set; give it with %s: pulumi config set --secret %s", Key("vnfVimPassword"), Key("vnfVimAuthUrl"), Key("vnfVimPassword")))
	}
	return errs
}

// validateTacker checks the VIM registration keys.
func (c *Config) validateTacker() []error {
	if !c.TackerVim {
		return nil
	}
	var errs []error
	bad := func(key string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("%s: %v is not accepted; %s", key, quote(value), accepted))
	}
	if strings.TrimSpace(c.VimProject) == "" {
		bad(Key("vimProject"), c.VimProject, "give the namespace Tacker deploys CNFs into, such as default")
	}
	if strings.TrimSpace(c.VimClusterRole) == "" {
		bad(Key("vimClusterRole"), c.VimClusterRole, "give the ClusterRole Tacker acts with, such as cluster-admin")
	}
	if c.TackerEndpoint != "" {
		if u, err := url.Parse(c.TackerEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(Key("tackerEndpoint"), c.TackerEndpoint, "give Tacker's URL such as http://controller:9890/, or leave it empty to find Tacker in the Keystone catalog")
		}
	}
	return errs
}

// Meshed reports whether the stack's clusters join a Cluster Mesh.
func (c *Config) Meshed() bool { return len(c.Clusters) > 1 || len(c.MeshPeers) > 0 }

// Validate checks every key and returns all problems at once, each naming
// the key, the bad value and what would be accepted.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("%s: %v is not accepted; %s", key, quote(value), accepted))
	}

	if !slices.Contains(useCases, c.UseCase) {
		bad(Key("useCase"), c.UseCase, "use one of "+strings.Join(useCases, ", "))
	}
	errs = append(errs, c.validateSource()...)
	errs = append(errs, c.validateTacker()...)
	errs = append(errs, c.validateVNF()...)

	combo, err := versions.Resolve(c.KubernetesVersion, c.CRIOVersion, c.CiliumVersion)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s, %s, %s: %w", Key("kubernetesVersion"), Key("crioVersion"), Key("ciliumVersion"), err))
	}
	c.Versions = combo

	names := []struct{ key, v string }{{"sshUser", c.SSHUser}}
	if c.OnOpenStack() {
		names = append(names, []struct{ key, v string }{
			{"controlPlaneFlavor", c.ControlPlaneFlavor}, {"workerFlavor", c.WorkerFlavor},
			{"controlPlaneImage", c.ControlPlaneImage}, {"workerImage", c.WorkerImage},
			{"externalNetwork", c.ExternalNetwork},
		}...)
	}
	for _, k := range names {
		if strings.TrimSpace(k.v) == "" {
			bad(Key(k.key), k.v, "give a non-empty name")
		}
	}
	for _, k := range []struct {
		key string
		v   int
	}{{"controlPlaneVolumeSize", c.ControlPlaneVolumeSize}, {"workerVolumeSize", c.WorkerVolumeSize}} {
		if k.v < 0 {
			bad(Key(k.key), k.v, "use 0 to boot from the image, or a size in GB")
		}
	}
	if !slices.Contains(serverGroupPols, c.ServerGroupPolicy) {
		bad(Key("serverGroupPolicy"), c.ServerGroupPolicy, "use one of "+strings.Join(serverGroupPols, ", "))
	}
	if (c.ExistingNetworkID == "") != (c.ExistingSubnetID == "") {
		errs = append(errs, fmt.Errorf("%s and %s: give both to reuse a network, or neither to create one (got %q and %q)",
			Key("existingNetworkId"), Key("existingSubnetId"), c.ExistingNetworkID, c.ExistingSubnetID))
	}
	if c.ExistingNetworkID != "" && len(c.Clusters) > 1 {
		bad(Key("existingNetworkId"), c.ExistingNetworkID, "reuse a network with one cluster only; each cluster of "+Key("clusters")+" gets its own subnet")
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
		if len(k.v) == 0 && k.empty != "" && c.OnOpenStack() {
			bad(Key(k.key), k.v, k.empty)
		}
		for _, s := range k.v {
			if _, err := parseCIDR(s); err != nil {
				bad(Key(k.key), s, "each entry must be an IPv4 CIDR such as 203.0.113.0/24")
			}
		}
	}
	for _, s := range c.DNSServers {
		if a, err := netip.ParseAddr(s); err != nil || !a.Is4() {
			bad(Key("dnsServers"), s, "each entry must be an IPv4 address")
		}
	}
	if c.NodePortRange != "" {
		if _, _, err := ParsePortRange(c.NodePortRange); err != nil {
			bad(Key("nodePortRange"), c.NodePortRange, "use FROM-TO within 1-65535, such as 30000-32767, or leave it empty to keep NodePorts closed")
		} else if len(c.NodePortAllowedCIDRs) == 0 {
			bad(Key("nodePortAllowedCidrs"), c.NodePortAllowedCIDRs, "list who may reach "+Key("nodePortRange"))
		}
	}

	if !slices.Contains([]string{"native", "tunnel"}, c.RoutingMode) {
		bad(Key("routingMode"), c.RoutingMode, "use native or tunnel")
	} else if c.Meshed() && c.RoutingMode != "tunnel" {
		bad(Key("routingMode"), c.RoutingMode, "a Cluster Mesh needs tunnel: Neutron routers do not route one cluster's pod CIDR to the other's nodes")
	}
	if !slices.Contains([]string{"vxlan", "geneve"}, c.TunnelProtocol) {
		bad(Key("tunnelProtocol"), c.TunnelProtocol, "use vxlan or geneve")
	}
	if !slices.Contains([]string{"none", "wireguard"}, c.Encryption) {
		bad(Key("encryption"), c.Encryption, "use none or wireguard")
	}
	if d, err := time.ParseDuration(c.BootstrapTokenTTL); err != nil || d < 0 {
		bad(Key("bootstrapTokenTtl"), c.BootstrapTokenTTL, "use a duration such as 24h, or 0s for a token that never expires")
	}
	if c.NetworkMTU != 0 && (c.NetworkMTU < 1280 || c.NetworkMTU > 9216) {
		bad(Key("networkMtu"), c.NetworkMTU, "use 0 to take the network's MTU, or 1280-9216")
	}
	if c.CiliumChartPath == "" && !strings.HasPrefix(c.CiliumChartRepo, "https://") && !strings.HasPrefix(c.CiliumChartRepo, "http://") {
		bad(Key("ciliumChartRepo"), c.CiliumChartRepo, "give the http(s) URL of a Helm repository, or set ciliumChartPath")
	}
	// The peers are given the nodes' addresses and the fixed NodePort; the
	// chart pins no port of a LoadBalancer Service, whose address Octavia
	// gives only once it exists.
	if c.MeshServiceType != "NodePort" {
		bad(Key("clusterMeshServiceType"), c.MeshServiceType, fmt.Sprintf("use NodePort: mesh peers reach the clustermesh-apiserver at every node's address on %d (a LoadBalancer's address is known only after it exists, and the chart pins no port for it)", network.PortClusterMesh))
	}
	if c.MaxMeshClusters != 255 && c.MaxMeshClusters != 511 {
		bad(Key("maxConnectedClusters"), c.MaxMeshClusters, "use 255 or 511, the same in every meshed cluster")
	}
	for _, p := range c.MeshPeers {
		if strings.Count(p, "/") != 2 {
			bad(Key("meshPeers"), p, "name each peer stack as <organization>/<project>/<stack>")
		}
	}
	if c.MeshCAOwner != "" && !slices.Contains(c.MeshPeers, c.MeshCAOwner) {
		bad(Key("meshCaOwner"), c.MeshCAOwner, "leave it empty when this stack owns the mesh CA, or name one of "+Key("meshPeers"))
	}

	specs := c.ClusterSpecs()
	for _, s := range specs {
		errs = append(errs, c.validateCluster(s)...)
	}
	errs = append(errs, c.validateMesh(specs)...)
	return errors.Join(errs...)
}

// validateCluster checks one cluster's own keys.
func (c *Config) validateCluster(s ClusterSpec) []error {
	var errs []error
	bad := func(key string, value any, accepted string) {
		errs = append(errs, fmt.Errorf("%s: %v is not accepted; %s", key, quote(value), accepted))
	}
	nameKey := s.Key("name")
	if s.keyPrefix == "" {
		nameKey = Key("clusterName")
	}
	if len(s.Name) > 32 || !dnsLabel.MatchString(s.Name) {
		bad(nameKey, s.Name, "use at most 32 lowercase letters, digits and dashes, starting and ending with a letter or digit")
	}
	idKey := s.Key("id")
	if s.keyPrefix == "" {
		idKey = Key("clusterId")
	}
	if s.ID < 1 || s.ID > c.MaxMeshClusters {
		bad(idKey, s.ID, fmt.Sprintf("use 1-%d (%s)", c.MaxMeshClusters, Key("maxConnectedClusters")))
	}
	cpKey, wKey := s.Key("controlPlaneCount"), s.Key("workerCount")
	if s.ControlPlanes() != 1 && s.ControlPlanes() != 3 {
		bad(cpKey, s.ControlPlanes(), "use 1, or 3 for an etcd quorum")
	}
	if s.Workers() < 0 {
		bad(wKey, s.Workers(), "use 0 or more")
	}

	prefixes := map[string]netip.Prefix{}
	for _, k := range []struct{ field, v string }{{"nodeCidr", s.NodeCIDR}, {"podCidr", s.PodCIDR}, {"serviceCidr", s.ServiceCIDR}} {
		p, err := parseCIDR(k.v)
		if err != nil {
			bad(s.Key(k.field), k.v, "give an IPv4 CIDR such as 10.0.0.0/24 (network address, no host bits)")
			continue
		}
		prefixes[k.field] = p
	}
	for _, pair := range [][2]string{{"nodeCidr", "podCidr"}, {"nodeCidr", "serviceCidr"}, {"podCidr", "serviceCidr"}} {
		a, okA := prefixes[pair[0]]
		b, okB := prefixes[pair[1]]
		if okA && okB && a.Overlaps(b) {
			errs = append(errs, fmt.Errorf("%s %q and %s %q overlap; node, pod and service ranges must be disjoint",
				s.Key(pair[0]), a, s.Key(pair[1]), b))
		}
	}
	if p, ok := prefixes["nodeCidr"]; ok {
		// Neutron keeps the network, gateway, DHCP and broadcast addresses.
		if hosts := 1<<(32-p.Bits()) - 4; hosts < s.ControlPlanes()+s.Workers() {
			bad(s.Key("nodeCidr"), s.NodeCIDR, fmt.Sprintf("it holds %d node addresses, fewer than the %d nodes; use a larger subnet", hosts, s.ControlPlanes()+s.Workers()))
		}
	}
	return errs
}

// validateMesh checks what clusters of one mesh must not share: Cilium
// tells clusters apart by name and id, and routes by pod CIDR; the node
// subnets hang off one router.
func (c *Config) validateMesh(specs []ClusterSpec) []error {
	var errs []error
	for i, a := range specs {
		for _, b := range specs[i+1:] {
			if a.Name == b.Name {
				errs = append(errs, fmt.Errorf("%s and %s: clusters %q and %q have the same name; each cluster of a mesh needs its own", a.Key("name"), b.Key("name"), a.Name, b.Name))
			}
			if a.ID == b.ID {
				errs = append(errs, fmt.Errorf("%s and %s: clusters %q and %q both have cluster id %d; each cluster of a mesh needs its own", a.Key("id"), b.Key("id"), a.Name, b.Name, a.ID))
			}
			for _, f := range []struct{ field, x, y string }{{"podCidr", a.PodCIDR, b.PodCIDR}, {"nodeCidr", a.NodeCIDR, b.NodeCIDR}} {
				pa, errA := parseCIDR(f.x)
				pb, errB := parseCIDR(f.y)
				if errA == nil && errB == nil && pa.Overlaps(pb) {
					errs = append(errs, fmt.Errorf("%s %q of cluster %q and %s %q of cluster %q overlap; meshed clusters need disjoint ranges",
						a.Key(f.field), f.x, a.Name, b.Key(f.field), f.y, b.Name))
				}
			}
		}
	}
	return errs
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
