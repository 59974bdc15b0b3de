package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// ReadConfig is the configuration a stack gets from the engine, read from
// the files: Pulumi.yaml's defaults overlaid with stacks/Pulumi.<stack>.yaml.
// Values are keyed by short key and encoded as the engine passes them
// (scalars as text, lists as JSON). It lets the program run without the
// engine, on the exact values `pulumi up -s <stack>` would use.
func ReadConfig(root, stack string) (map[string]string, error) {
	var project struct {
		Config map[string]struct {
			Default any `yaml:"default"`
		} `yaml:"config"`
	}
	if err := readYAML(filepath.Join(root, "Pulumi.yaml"), &project); err != nil {
		return nil, err
	}
	raw := map[string]string{}
	for k, decl := range project.Config {
		if decl.Default != nil {
			v, err := encode(decl.Default)
			if err != nil {
				return nil, fmt.Errorf("Pulumi.yaml: default of %s: %w", k, err)
			}
			raw[k] = v
		}
	}

	path := filepath.Join(root, "stacks", "Pulumi."+stack+".yaml")
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := readYAML(path, &file); err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("stack %q: no %s; stacks are the Pulumi.<stack>.yaml files in stacks/", stack, path)
		}
		return nil, err
	}
	for k, v := range file.Config {
		short, ok := strings.CutPrefix(k, Namespace+":")
		if !ok {
			continue // another package's config, such as openstack:*
		}
		if m, isMap := v.(map[string]any); isMap && m["secure"] != nil {
			return nil, fmt.Errorf("%s: %s is encrypted; only the engine can read it", path, k)
		}
		s, err := encode(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		raw[short] = s
	}
	return raw, nil
}

func encode(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, bool, float64:
		return fmt.Sprint(x), nil
	default:
		b, err := json.Marshal(x)
		return string(b), err
	}
}

func readYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
