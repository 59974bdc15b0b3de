// Package mocks evaluates the program without a cloud: Pulumi mocks that
// answer like the providers would, with real keys and certificates from
// crypto/* so that what is rendered is usable and checkable by real tools.
// It records every resource, and every secret value, for the renderer.
package mocks

import (
	"crypto/md5"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TenantMTU is the MTU the mocked Neutron gives networks: that of a tenant
// network on a VXLAN overlay (1500 minus 50 bytes of encapsulation).
const TenantMTU = 1450.0

// Resource is one registered resource.
type Resource struct {
	URN, Parent, Type, Name string
	Custom                  bool
	Inputs, Outputs         resource.PropertyMap
	// Dependencies (URNs) and IgnoreChanges as the program registered them.
	Dependencies, IgnoreChanges []string
	// ReplacementTrigger is what replaces the resource when it changes.
	ReplacementTrigger any
}

// Mocks implements pulumi.MockResourceMonitor.
type Mocks struct {
	// SubnetCIDR is where ports of subnets the program did not create
	// (an existing network) take their addresses from.
	SubnetCIDR string
	// StackOutputs are the outputs of other stacks, by stack name, that
	// StackReferences read.
	StackOutputs map[string]resource.PropertyMap

	mu        sync.Mutex
	resources []Resource
	secrets   map[string]bool
	subnets   map[string]netip.Prefix
	next      map[string]netip.Addr
	floating  netip.Addr
}

// New returns empty mocks.
func New(subnetCIDR string) *Mocks {
	return &Mocks{
		SubnetCIDR: subnetCIDR,
		secrets:    map[string]bool{},
		subnets:    map[string]netip.Prefix{},
		next:       map[string]netip.Addr{},
		// TEST-NET-3 (RFC 5737): plainly not a real floating IP.
		floating: netip.MustParseAddr("203.0.113.10"),
	}
}

// Resources in registration order.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...)
}

// Secrets are the values the program received as secret outputs.
func (m *Mocks) Secrets() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.secrets))
	for s := range m.secrets {
		out = append(out, s)
	}
	return out
}

// NewResource answers a registration with the outputs the provider would give.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := args.Inputs
	out := in.Copy()
	id := args.Name + "-id"
	str := func(k string) string { return plain(in[resource.PropertyKey(k)]) }

	var err error
	switch args.TypeToken {
	case "tls:index/privateKey:PrivateKey":
		err = privateKey(str("algorithm"), str("ecdsaCurve"), out)
	case "tls:index/selfSignedCert:SelfSignedCert":
		err = selfSignedCert(in, out)
	case "tls:index/certRequest:CertRequest":
		err = certRequest(in, out)
	case "tls:index/locallySignedCert:LocallySignedCert":
		err = locallySignedCert(in, out)
	case "random:index/randomString:RandomString", "random:index/randomPassword:RandomPassword":
		out["result"] = resource.NewProperty(randomString(in))
	case "openstack:networking/network:Network":
		if !in.HasValue("mtu") {
			out["mtu"] = resource.NewProperty(TenantMTU)
		}
	case "openstack:networking/subnet:Subnet":
		m.mu.Lock()
		m.subnets[id] = netip.MustParsePrefix(str("cidr"))
		m.mu.Unlock()
	case "openstack:networking/port:Port":
		ip, e := m.allocate(in)
		err = e
		out["allFixedIps"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(ip)})
	case "openstack:networking/floatingIp:FloatingIp":
		m.mu.Lock()
		out["address"] = resource.NewProperty(m.floating.String())
		m.floating = m.floating.Next()
		m.mu.Unlock()
	case "kubernetes:core/v1:Secret":
		// Kubernetes' token controller fills a service-account-token Secret.
		if str("type") == "kubernetes.io/service-account-token" {
			out["data"] = resource.NewProperty(resource.PropertyMap{
				"token": resource.NewProperty(base64.StdEncoding.EncodeToString([]byte(MockSAToken(args.Name)))),
			})
		}
	case "pulumi:pulumi:StackReference":
		// Another stack's outputs, as the test or render gave them.
		outputs := m.StackOutputs[str("name")]
		if outputs == nil {
			outputs = resource.PropertyMap{}
		}
		out["outputs"] = resource.NewProperty(outputs)
		var secret []resource.PropertyValue
		for k, v := range outputs {
			if v.IsSecret() {
				secret = append(secret, resource.NewProperty(string(k)))
			}
		}
		out["secretOutputNames"] = resource.NewProperty(secret)
	case "openstack:compute/keypair:Keypair":
		out["name"] = resource.NewProperty(str("name"))
	}
	if err != nil {
		return "", nil, fmt.Errorf("mock %s %s: %w", args.TypeToken, args.Name, err)
	}

	// The engine marks a resource's declared secret outputs; so do we, and
	// remember them: they are where every secret of the program starts.
	var secrets []string
	if rpc := args.RegisterRPC; rpc != nil {
		for _, k := range rpc.GetAdditionalSecretOutputs() {
			if v, ok := out[resource.PropertyKey(k)]; ok {
				secrets = append(secrets, plain(v))
				if !v.IsSecret() {
					out[resource.PropertyKey(k)] = resource.MakeSecret(v)
				}
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range secrets {
		if s != "" {
			m.secrets[s] = true
		}
	}
	parent := ""
	switch {
	case args.RegisterRPC != nil:
		parent = args.RegisterRPC.GetParent()
	case args.ReadRPC != nil: // a read, such as a StackReference
		parent = args.ReadRPC.GetParent()
	}
	m.resources = append(m.resources, Resource{
		URN: urn(parent, args.TypeToken, args.Name), Parent: parent,
		Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: in, Outputs: out,
		Dependencies: args.RegisterRPC.GetDependencies(), IgnoreChanges: args.RegisterRPC.GetIgnoreChanges(),
		ReplacementTrigger: args.RegisterRPC.GetReplacementTrigger().AsInterface(),
	})
	if !args.Custom {
		id = ""
	}
	return id, out, nil
}

// MockSAToken is the token the mocked token controller puts in the
// service-account-token Secret of that resource name.
func MockSAToken(secretName string) string { return "mock-sa-token-" + secretName }

// urn is the URN the mock monitor gives a resource, so that children can
// be linked to the parents named in their registrations.
func urn(parent, typ, name string) string {
	if parent == "" {
		return string(resource.NewURN("mock", "mock", "", tokens.Type(typ), name))
	}
	p := resource.URN(parent)
	parentType := tokens.Type("")
	if p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(p.Stack(), p.Project(), parentType, tokens.Type(typ), name))
}

// Call answers the data sources the program uses.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	name := plain(args.Args["name"])
	if name == "" {
		name = plain(args.Args["networkId"])
	}
	switch args.Token {
	case "openstack:networking/getNetwork:getNetwork", "openstack:compute/getFlavor:getFlavor", "openstack:images/getImage:getImage":
		kind := args.Token[strings.LastIndex(args.Token, ":")+4:]
		// What a devstack's m1.medium and a Ubuntu cloud image report.
		return resource.PropertyMap{
			"id":              resource.NewProperty(strings.ToLower(kind) + "-" + name),
			"name":            resource.NewProperty(name),
			"mtu":             resource.NewProperty(TenantMTU),
			"vcpus":           resource.NewProperty(2.0),
			"ram":             resource.NewProperty(4096.0),
			"disk":            resource.NewProperty(40.0),
			"checksum":        resource.NewProperty(fmt.Sprintf("%x", md5.Sum([]byte(name)))),
			"sizeBytes":       resource.NewProperty(600 * 1024 * 1024.0),
			"containerFormat": resource.NewProperty("bare"),
			"diskFormat":      resource.NewProperty("qcow2"),
			"minDiskGb":       resource.NewProperty(0.0),
			// Glance's own SHA-2 of the image (Rocky and later).
			"properties": resource.NewProperty(resource.PropertyMap{
				"os_hash_algo":  resource.NewProperty("sha512"),
				"os_hash_value": resource.NewProperty(fmt.Sprintf("%x", sha512.Sum512([]byte(name)))),
			}),
		}, nil
	}
	return nil, fmt.Errorf("mocks: no answer for %s", args.Token)
}

// allocate gives a port the next address of its subnet, from .10 on, as
// Neutron would from the allocation pool.
func (m *Mocks) allocate(in resource.PropertyMap) (string, error) {
	subnetID := ""
	if ips := in["fixedIps"]; ips.IsArray() && len(ips.ArrayValue()) > 0 {
		subnetID = plain(ips.ArrayValue()[0].ObjectValue()["subnetId"])
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.subnets[subnetID]
	if !ok {
		var err error
		if p, err = netip.ParsePrefix(m.SubnetCIDR); err != nil {
			return "", fmt.Errorf("port on subnet %q: no CIDR known", subnetID)
		}
	}
	ip, ok := m.next[subnetID]
	if !ok {
		ip = p.Addr()
		for i := 0; i < 10; i++ {
			ip = ip.Next()
		}
	}
	if !p.Contains(ip.Next()) {
		return "", fmt.Errorf("subnet %s is full", p)
	}
	m.next[subnetID] = ip.Next()
	return ip.String(), nil
}

// plain is a property's string, looking through secrets and computed values.
func plain(v resource.PropertyValue) string {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsOutput() {
		v = v.OutputValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// Plain is plain for callers outside the package.
func Plain(v resource.PropertyValue) string { return plain(v) }

// Run evaluates program on fresh mocks with the given full-key config;
// secretKeys are the keys set as secrets.
func Run(program pulumi.RunFunc, project, stack, subnetCIDR string, config map[string]string, secretKeys ...string) (*Mocks, error) {
	return New(subnetCIDR).Run(program, project, stack, config, secretKeys...)
}

// Run evaluates program on these mocks.
func (m *Mocks) Run(program pulumi.RunFunc, project, stack string, config map[string]string, secretKeys ...string) (*Mocks, error) {
	err := pulumi.RunErr(program, pulumi.WithMocks(project, stack, m),
		func(info *pulumi.RunInfo) { info.Config, info.ConfigSecretKeys = config, secretKeys })
	return m, err
}

// ByType are the registered resources of one type token.
func (m *Mocks) ByType(typ string) []Resource {
	var out []Resource
	for _, r := range m.Resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Open looks through secret wrappers, for tests that inspect structure.
func Open(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// Mappable is a property as plain Go values (maps, slices, strings,
// numbers, bools), looking through secrets at every depth.
func Mappable(v resource.PropertyValue) any {
	v = Open(v)
	switch {
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = Mappable(e)
		}
		return m
	case v.IsArray():
		var a []any
		for _, e := range v.ArrayValue() {
			a = append(a, Mappable(e))
		}
		return a
	case v.IsOutput():
		return Mappable(v.OutputValue().Element)
	case v.IsComputed():
		return nil
	}
	return v.V
}
