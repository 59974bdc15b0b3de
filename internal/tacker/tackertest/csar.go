package tackertest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// VNFD is what the stand-in reads from a package's descriptor, as
// Tacker's conductor does when it onboards it.
type VNFD struct {
	ID, Version, Provider, ProductName, SoftwareVersion string
	Flavours                                            map[string]*Flavour
}

// Flavour is a deployment flavour: its VDUs and the policies that say how
// many VNFCs each has (SOL001 6.10: ScalingAspects, VduInitialDelta,
// VduScalingAspectDeltas, InstantiationLevels).
type Flavour struct {
	VDUs         []string
	Aspects      map[string]*Aspect
	InitialDelta map[string]int            // VDU -> instances at scale level 0
	Levels       map[string]map[string]int // instantiation level -> aspect -> scale level
	DefaultLevel string
}

// Aspect is one scaling aspect.
type Aspect struct {
	MaxScaleLevel int
	StepDeltas    []string                  // delta of each step; the last one repeats
	Deltas        map[string]map[string]int // delta -> VDU -> instances added
}

// Count is how many VNFCs of vdu the flavour has at the given scale levels.
func (f *Flavour) Count(vdu string, levels map[string]int) int {
	n, ok := f.InitialDelta[vdu]
	if !ok {
		n = 1
	}
	for id, a := range f.Aspects {
		for step := 1; step <= levels[id] && len(a.StepDeltas) > 0; step++ {
			delta := a.StepDeltas[min(step, len(a.StepDeltas))-1]
			n += a.Deltas[delta][vdu]
		}
	}
	return n
}

// inspectCSAR does what Tacker's conductor checks before it onboards a
// package: a zip with TOSCA-Metadata/TOSCA.meta naming Entry-Definitions,
// every artifact listed there present with the Hash it says, every TOSCA
// import present in the package, and a VNFD with a descriptor_id and at
// least one flavour. The error is what Tacker would write to its log.
func inspectCSAR(content []byte) (*VNFD, error) {
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return nil, fmt.Errorf("the package is not a zip: %v", err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	read := func(name string) ([]byte, error) {
		f, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("%s is not in the package", name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}

	meta, err := read("TOSCA-Metadata/TOSCA.meta")
	if err != nil {
		return nil, err
	}
	blocks := metaBlocks(meta)
	entry := blocks[0]["Entry-Definitions"]
	if entry == "" {
		return nil, errors.New("TOSCA.meta names no Entry-Definitions")
	}
	for _, b := range blocks[1:] {
		if err := checkArtifact(b, read); err != nil {
			return nil, err
		}
	}

	var docs []map[string]any
	seen := map[string]bool{}
	var load func(name string) error
	load = func(name string) error {
		if seen[name] {
			return nil
		}
		seen[name] = true
		b, err := read(name)
		if err != nil {
			return err
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		docs = append(docs, doc)
		imports, _ := doc["imports"].([]any)
		for _, imp := range imports {
			file, ok := imp.(string)
			if m, isMap := imp.(map[string]any); isMap {
				file, ok = m["file"].(string)
			}
			if !ok {
				return fmt.Errorf("%s: an import that is not a file name: %v", name, imp)
			}
			if err := load(path.Join(path.Dir(name), file)); err != nil {
				return fmt.Errorf("%s imports %s: %w", name, file, err)
			}
		}
		return nil
	}
	if err := load(entry); err != nil {
		return nil, err
	}
	return readVNFD(docs)
}

// metaBlocks splits TOSCA.meta into its blocks of "Key: value" lines: the
// first about the CSAR, one per artifact after it.
func metaBlocks(meta []byte) []map[string]string {
	blocks := []map[string]string{{}}
	sc := bufio.NewScanner(bytes.NewReader(meta))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			if len(blocks[len(blocks)-1]) > 0 {
				blocks = append(blocks, map[string]string{})
			}
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			blocks[len(blocks)-1][strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return blocks
}

func checkArtifact(b map[string]string, read func(string) ([]byte, error)) error {
	name := b["Name"]
	if name == "" {
		return nil
	}
	data, err := read(name)
	if err != nil {
		return fmt.Errorf("TOSCA.meta lists %s: %w", name, err)
	}
	var sum []byte
	switch strings.ToUpper(b["Algorithm"]) {
	case "SHA-256":
		s := sha256.Sum256(data)
		sum = s[:]
	case "SHA-512":
		s := sha512.Sum512(data)
		sum = s[:]
	default:
		return fmt.Errorf("TOSCA.meta: %s: unknown Algorithm %q", name, b["Algorithm"])
	}
	if !strings.EqualFold(b["Hash"], hex.EncodeToString(sum)) {
		return fmt.Errorf("TOSCA.meta: the Hash of %s does not match its content", name)
	}
	return nil
}

const (
	vnfNodeType   = "tosca.nodes.nfv.VNF"
	vduNodeType   = "tosca.nodes.nfv.Vdu.Compute"
	policyAspects = "tosca.policies.nfv.ScalingAspects"
	policyInitial = "tosca.policies.nfv.VduInitialDelta"
	policyDeltas  = "tosca.policies.nfv.VduScalingAspectDeltas"
	policyLevels  = "tosca.policies.nfv.InstantiationLevels"
)

// readVNFD finds the VNF's identity in the node type derived from
// tosca.nodes.nfv.VNF (property defaults) or its node templates, and one
// flavour per topology template whose substitution_mappings name a
// flavour_id, as in Tacker's sample packages.
func readVNFD(docs []map[string]any) (*VNFD, error) {
	types := map[string]map[string]any{}
	for _, d := range docs {
		for name, t := range mapOf(d["node_types"]) {
			types[name] = mapOf(t)
		}
	}
	isVNF := func(name string) bool {
		for i := 0; i < 16 && name != ""; i++ {
			if name == vnfNodeType {
				return true
			}
			name, _ = types[name]["derived_from"].(string)
		}
		return false
	}

	props := map[string]string{}
	for name, t := range types {
		if !isVNF(name) {
			continue
		}
		for k, p := range mapOf(t["properties"]) {
			if v, ok := scalar(mapOf(p)["default"]); ok && props[k] == "" {
				props[k] = v
			}
		}
	}
	for _, d := range docs {
		for _, n := range mapOf(mapOf(d["topology_template"])["node_templates"]) {
			typ, _ := mapOf(n)["type"].(string)
			if !isVNF(typ) {
				continue
			}
			for k, p := range mapOf(mapOf(n)["properties"]) {
				if v, ok := scalar(p); ok {
					props[k] = v
				}
			}
		}
	}
	vnfd := &VNFD{ID: props["descriptor_id"], Version: props["descriptor_version"], Provider: props["provider"],
		ProductName: props["product_name"], SoftwareVersion: props["software_version"], Flavours: map[string]*Flavour{}}
	if vnfd.ID == "" {
		return nil, errors.New("the VNFD has no descriptor_id: no node type derived from tosca.nodes.nfv.VNF gives one")
	}

	for _, d := range docs {
		tt := mapOf(d["topology_template"])
		if id, ok := scalar(mapOf(mapOf(tt["substitution_mappings"])["properties"])["flavour_id"]); ok {
			f, err := readFlavour(tt)
			if err != nil {
				return nil, fmt.Errorf("flavour %s: %w", id, err)
			}
			vnfd.Flavours[id] = f
		}
	}
	if len(vnfd.Flavours) == 0 {
		return nil, errors.New("the VNFD has no deployment flavour: no topology_template substitution_mappings with a flavour_id")
	}
	return vnfd, nil
}

func readFlavour(tt map[string]any) (*Flavour, error) {
	f := &Flavour{Aspects: map[string]*Aspect{}, InitialDelta: map[string]int{}, Levels: map[string]map[string]int{}}
	for name, n := range mapOf(tt["node_templates"]) {
		if typ, _ := mapOf(n)["type"].(string); typ == vduNodeType {
			f.VDUs = append(f.VDUs, name)
		}
	}
	if len(f.VDUs) == 0 {
		return nil, errors.New("no node template of type " + vduNodeType)
	}
	slices.Sort(f.VDUs)

	policies, _ := tt["policies"].([]any)
	var deltas []map[string]any
	for _, entry := range policies {
		for _, p := range mapOf(entry) {
			pol := mapOf(p)
			typ, _ := pol["type"].(string)
			props := mapOf(pol["properties"])
			targets := stringsOf(pol["targets"])
			switch typ {
			case policyAspects:
				for id, a := range mapOf(props["aspects"]) {
					top, _ := intOf(mapOf(a)["max_scale_level"])
					f.Aspects[id] = &Aspect{MaxScaleLevel: top, StepDeltas: stringsOf(mapOf(a)["step_deltas"]), Deltas: map[string]map[string]int{}}
				}
			case policyInitial:
				n, _ := intOf(mapOf(props["initial_delta"])["number_of_instances"])
				for _, vdu := range targets {
					f.InitialDelta[vdu] = n
				}
			case policyDeltas:
				deltas = append(deltas, pol)
			case policyLevels:
				for id, l := range mapOf(props["levels"]) {
					f.Levels[id] = map[string]int{}
					for aspect, si := range mapOf(mapOf(l)["scale_info"]) {
						f.Levels[id][aspect], _ = intOf(mapOf(si)["scale_level"])
					}
				}
				f.DefaultLevel, _ = props["default_level"].(string)
			}
		}
	}
	// Deltas name their aspect, which may be listed after them.
	for _, pol := range deltas {
		props := mapOf(pol["properties"])
		id, _ := props["aspect"].(string)
		a, ok := f.Aspects[id]
		if !ok {
			return nil, fmt.Errorf("VduScalingAspectDeltas of unknown aspect %q", id)
		}
		for delta, d := range mapOf(props["deltas"]) {
			n, _ := intOf(mapOf(d)["number_of_instances"])
			if a.Deltas[delta] == nil {
				a.Deltas[delta] = map[string]int{}
			}
			for _, vdu := range stringsOf(pol["targets"]) {
				a.Deltas[delta][vdu] = n
			}
		}
	}
	return f, nil
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func stringsOf(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, it := range list {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func intOf(v any) (int, bool) {
	n, ok := v.(int)
	return n, ok
}

// scalar is a YAML string or number as text: descriptor_version: 1.0 is
// the string "1.0" to Tacker.
func scalar(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, s != ""
	case int:
		return strconv.Itoa(s), true
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64), true
	}
	return "", false
}
