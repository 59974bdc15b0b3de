// Package versions is the Kubernetes x CRI-O x Cilium matrix: which
// combinations a stack may ask for, and the exact releases each installs.
// The data lives in matrix.yaml so that the tools script reads the same file.
package versions

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed matrix.yaml
var matrixYAML []byte

// Combination is one supported triple of minor versions with the patch
// releases that are installed for it.
type Combination struct {
	Kubernetes string `yaml:"kubernetes"` // minor, "1.36"
	CRIO       string `yaml:"crio"`       // minor, equal to Kubernetes'
	Cilium     string `yaml:"cilium"`     // minor, "1.20"

	KubernetesPatch string `yaml:"-"` // "1.36.4": kubeadm, kubelet, kubectl
	CiliumPatch     string `yaml:"-"` // "1.20.2": the Helm chart version
}

func (c Combination) String() string {
	return fmt.Sprintf("kubernetes %s / cri-o %s / cilium %s", c.Kubernetes, c.CRIO, c.Cilium)
}

type matrix struct {
	Kubernetes   map[string]string `yaml:"kubernetes"`
	Cilium       map[string]string `yaml:"cilium"`
	Combinations []Combination     `yaml:"combinations"`
	Default      Combination       `yaml:"default"`
}

var m = mustLoad(matrixYAML)

func mustLoad(data []byte) matrix {
	var mx matrix
	if err := yaml.Unmarshal(data, &mx); err != nil {
		panic(fmt.Sprintf("versions: matrix.yaml: %v", err))
	}
	for i, c := range mx.Combinations {
		k, okK := mx.Kubernetes[c.Kubernetes]
		ci, okC := mx.Cilium[c.Cilium]
		if !okK || !okC {
			panic(fmt.Sprintf("versions: matrix.yaml: combination %s has no patch release", c))
		}
		mx.Combinations[i].KubernetesPatch, mx.Combinations[i].CiliumPatch = k, ci
	}
	return mx
}

// Default is the combination a stack gets when it names no versions.
func Default() Combination {
	c, err := Resolve(m.Default.Kubernetes, m.Default.CRIO, m.Default.Cilium)
	if err != nil {
		panic(err)
	}
	return c
}

// Supported lists every combination, newest Kubernetes first.
func Supported() []Combination {
	out := append([]Combination(nil), m.Combinations...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kubernetes > out[j].Kubernetes })
	return out
}

// Resolve finds the combination of the given minors. The error lists the
// supported ones so that a user can pick without reading the source.
func Resolve(kubernetes, crio, cilium string) (Combination, error) {
	for _, c := range m.Combinations {
		if c.Kubernetes == kubernetes && c.CRIO == crio && c.Cilium == cilium {
			return c, nil
		}
	}
	names := make([]string, 0, len(m.Combinations))
	for _, c := range Supported() {
		names = append(names, c.String())
	}
	return Combination{}, fmt.Errorf("kubernetes %q / cri-o %q / cilium %q is not a supported combination; supported: %s",
		kubernetes, crio, cilium, strings.Join(names, "; "))
}
