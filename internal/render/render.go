// Package render evaluates a stack's program on Pulumi mocks, with no cloud
// and no credentials, and writes what would be deployed: each node's
// user-data and kubeadm config, and the resource tree.
package render

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tacker-cilium/tacker-cilium/components/vnfpackage"
	"github.com/tacker-cilium/tacker-cilium/internal/mocks"
	"github.com/tacker-cilium/tacker-cilium/stacks"
)

// KubeadmConfigPath is where user-data writes a node's kubeadm config.
const KubeadmConfigPath = "/etc/tacker-cilium/kubeadm.yaml"

// Evaluate runs the program of a stack on mocks and returns what it registered.
// A configuration error comes back before anything is registered.
func Evaluate(root, stack string) (*mocks.Mocks, error) {
	raw, err := stacks.ReadConfig(root, stack)
	if err != nil {
		return nil, err
	}
	cfg, err := stacks.Decode(raw)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("invalid configuration of stack %q:\n%w", stack, err)
	}
	full := map[string]string{}
	for k, v := range raw {
		full[stacks.Key(k)] = v
	}
	return mocks.Run(stacks.Program, stacks.Namespace, stack, raw["nodeCidr"], full)
}

// Node is one rendered node.
type Node struct {
	Cluster, Name, Role string
	UserData, Kubeadm   string
}

// Nodes are the VMs of an evaluation, with their user-data and kubeadm
// config as the program produced them (unredacted).
func Nodes(m *mocks.Mocks) ([]Node, error) {
	var nodes []Node
	for _, r := range m.Resources() {
		if r.Type != "openstack:compute/instance:Instance" {
			continue
		}
		meta := r.Inputs["metadata"].ObjectValue()
		n := Node{
			Cluster:  mocks.Plain(meta["tacker-cilium-cluster"]),
			Role:     mocks.Plain(meta["tacker-cilium-role"]),
			Name:     mocks.Plain(r.Inputs["name"]),
			UserData: mocks.Plain(r.Inputs["userData"]),
		}
		var err error
		if n.Kubeadm, err = writtenFile(n.UserData, KubeadmConfigPath); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// CiliumReleaseType is the type token of the Cilium Helm release.
const CiliumReleaseType = "kubernetes:helm.sh/v3:Release"

// CiliumValues are the Helm values of each cluster's Cilium release, as
// YAML by cluster name (the release's resource name), unredacted.
func CiliumValues(m *mocks.Mocks) (map[string]string, error) {
	out := map[string]string{}
	for _, r := range m.ByType(CiliumReleaseType) {
		v := mocks.Open(r.Inputs["values"])
		if !v.IsObject() {
			return nil, fmt.Errorf("release %s: values are not known at render time", r.Name)
		}
		var b strings.Builder
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(mocks.Mappable(v)); err != nil {
			return nil, err
		}
		out[r.Name] = b.String()
	}
	return out, nil
}

// writtenFile is the content cloud-init's write_files gives path.
func writtenFile(userData, path string) (string, error) {
	var doc struct {
		WriteFiles []struct {
			Path    string `yaml:"path"`
			Content string `yaml:"content"`
		} `yaml:"write_files"`
	}
	if err := yaml.Unmarshal([]byte(userData), &doc); err != nil {
		return "", fmt.Errorf("user-data is not YAML: %w", err)
	}
	for _, f := range doc.WriteFiles {
		if f.Path == path {
			return f.Content, nil
		}
	}
	return "", fmt.Errorf("user-data writes no %s", path)
}

// VNF packages and the user-data of their VDUs, as the program hands them
// to Tacker.
const (
	vnfPackageType  = "tacker:index:VnfPackage"
	vnfInstanceType = "tacker:index:VnfInstance"
)

// VNFPackages are the CSARs the program uploads, by resource name.
func VNFPackages(m *mocks.Mocks) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, r := range m.ByType(vnfPackageType) {
		zip, err := base64.StdEncoding.DecodeString(mocks.Plain(r.Inputs["content"]))
		if err != nil {
			return nil, fmt.Errorf("VNF package %s: content is not base64: %w", r.Name, err)
		}
		out[r.Name] = zip
	}
	return out, nil
}

// VDUNodes are the VDUs of each VNF instance as nodes: the user-data Heat
// boots them with (additionalParams.heat_parameters.<vdu>_user_data).
func VDUNodes(m *mocks.Mocks) ([]Node, error) {
	var nodes []Node
	for _, r := range m.ByType(vnfInstanceType) {
		params := mocks.Open(r.Inputs["additionalParams"])
		if !params.IsObject() {
			continue
		}
		hidden := mocks.Open(params.ObjectValue()[vnfpackage.HeatParameters])
		if !hidden.IsObject() {
			continue
		}
		for k, v := range hidden.ObjectValue() {
			vdu, ok := strings.CutSuffix(string(k), "_user_data")
			if !ok {
				continue
			}
			n := Node{Cluster: r.Name, Name: vdu, Role: vdu, UserData: mocks.Plain(v)}
			var err error
			if n.Kubeadm, err = writtenFile(n.UserData, KubeadmConfigPath); err != nil {
				return nil, fmt.Errorf("VDU %s of %s: %w", vdu, r.Name, err)
			}
			nodes = append(nodes, n)
		}
	}
	return nodes, nil
}

// HostScripts are the scripts that bootstrap existing hosts over SSH (aio
// host mode), by node name, unredacted: what cloud-init's user-data is to
// a VM.
func HostScripts(m *mocks.Mocks) map[string]string {
	out := map[string]string{}
	for _, r := range m.ByType("command:remote:Command") {
		if node, ok := strings.CutSuffix(r.Name, "-bootstrap"); ok {
			out[node] = mocks.Plain(r.Inputs["stdin"])
		}
	}
	return out
}

// Options of Write.
type Options struct {
	Root, Stack, Out string
	ShowSecrets      bool
}

// Write evaluates a stack and writes <out>/<stack>/<cluster>/<node>/{user-data,kubeadm.yaml}
// (ssh-bootstrap.sh for an existing host), <out>/<stack>/<cluster>/cilium-values.yaml
// and <out>/<stack>/resources.txt, replacing what an earlier run wrote there.
// It returns the paths written.
func Write(o Options) ([]string, error) {
	m, err := Evaluate(o.Root, o.Stack)
	if err != nil {
		return nil, err
	}
	nodes, err := Nodes(m)
	if err != nil {
		return nil, err
	}
	vdus, err := VDUNodes(m)
	if err != nil {
		return nil, err
	}
	nodes = append(nodes, vdus...)
	packages, err := VNFPackages(m)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(o.Out, o.Stack)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	clean := func(s string) string { return s }
	mode := os.FileMode(0o644)
	if o.ShowSecrets {
		mode = 0o600
	} else {
		r := NewRedactor(m.Secrets())
		clean = r.Redact
	}
	var written []string
	write := func(path, content string) error {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		written = append(written, path)
		return os.WriteFile(path, []byte(content), mode)
	}
	for _, n := range nodes {
		nodeDir := filepath.Join(dir, n.Cluster, n.Name)
		if err := errors.Join(
			write(filepath.Join(nodeDir, "user-data"), clean(n.UserData)),
			write(filepath.Join(nodeDir, "kubeadm.yaml"), clean(n.Kubeadm)),
		); err != nil {
			return nil, err
		}
	}
	for name, zip := range packages {
		// A zip holds no secret of the cluster: it is written as it is.
		path := filepath.Join(dir, name+".zip")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		written = append(written, path)
		if err := os.WriteFile(path, zip, 0o644); err != nil {
			return nil, err
		}
	}
	for node, script := range HostScripts(m) {
		cluster, _, _ := strings.Cut(node, "-cp-")
		if err := write(filepath.Join(dir, cluster, node, "ssh-bootstrap.sh"), clean(script)); err != nil {
			return nil, err
		}
	}
	values, err := CiliumValues(m)
	if err != nil {
		return nil, err
	}
	for cluster, v := range values {
		if err := write(filepath.Join(dir, cluster, "cilium-values.yaml"), clean(v)); err != nil {
			return nil, err
		}
	}
	if err := write(filepath.Join(dir, "resources.txt"), Tree(m.Resources())); err != nil {
		return nil, err
	}
	sort.Strings(written)
	return written, nil
}

// Tree is the resource tree, one resource a line ("type name"), children
// indented under their parent, in registration order.
func Tree(rs []mocks.Resource) string {
	children := map[string][]mocks.Resource{}
	known := map[string]bool{}
	for _, r := range rs {
		known[r.URN] = true
	}
	var roots []mocks.Resource
	for _, r := range rs {
		if known[r.Parent] {
			children[r.Parent] = append(children[r.Parent], r)
		} else {
			roots = append(roots, r)
		}
	}
	// Resources created inside applies register in no fixed order; sorting
	// siblings keeps the file diffable between runs.
	for _, list := range [][]mocks.Resource{roots} {
		sortResources(list)
	}
	for _, list := range children {
		sortResources(list)
	}
	var b strings.Builder
	var walk func(r mocks.Resource, depth int)
	walk = func(r mocks.Resource, depth int) {
		fmt.Fprintf(&b, "%s%s %s\n", strings.Repeat("  ", depth), r.Type, r.Name)
		for _, c := range children[r.URN] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}

func sortResources(rs []mocks.Resource) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Type != rs[j].Type {
			return rs[i].Type < rs[j].Type
		}
		return rs[i].Name < rs[j].Name
	})
}
