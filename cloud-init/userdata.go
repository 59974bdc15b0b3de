package cloudinit

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// cloudConfig is the whole user-data. Marshalling it (rather than templating
// YAML) keeps the document valid whatever the file contents are. There is no
// apt/packages module on purpose: bootstrap.sh installs everything, so it
// works the same over SSH.
type cloudConfig struct {
	// Without a hostname cloud-init keeps the one from the instance
	// metadata, which is what bootstrap.sh derives a boot-time name from.
	Hostname         string      `yaml:"hostname,omitempty"`
	PreserveHostname bool        `yaml:"preserve_hostname"`
	ManageEtcHosts   bool        `yaml:"manage_etc_hosts"`
	WriteFiles       []writeFile `yaml:"write_files"`
	// ssh_authorized_keys go to the image's default user.
	SSHAuthorizedKeys []string   `yaml:"ssh_authorized_keys,omitempty"`
	RunCmd            [][]string `yaml:"runcmd"`
}

type writeFile struct {
	Path        string  `yaml:"path"`
	Owner       string  `yaml:"owner"`
	Permissions string  `yaml:"permissions"`
	Content     literal `yaml:"content"`
}

// literal is emitted as a YAML literal block, so every line of a PEM shows up
// verbatim in the user-data: the program redacts secrets line by line. yaml.v3
// falls back to a quoted scalar for text a block cannot hold (trailing
// spaces, control characters), which stays valid YAML.
type literal string

func (l literal) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.LiteralStyle, Value: string(l)}, nil
}

func renderUserData(c Cluster, n Node, files []File) (string, error) {
	var wf []writeFile
	for _, f := range files {
		wf = append(wf, writeFile{Path: f.Path, Owner: "root:root", Permissions: f.Mode, Content: literal(f.Content)})
	}
	cc := cloudConfig{
		Hostname:          n.Name,
		PreserveHostname:  false,
		ManageEtcHosts:    true,
		WriteFiles:        wf,
		SSHAuthorizedKeys: c.SSHAuthorizedKeys,
		// runcmd output lands in cloud-init-output.log, and a non-zero exit
		// makes `cloud-init status --wait` fail.
		RunCmd: [][]string{{ScriptPath, EnvPath}},
	}
	var b bytes.Buffer
	b.WriteString("#cloud-config\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cc); err != nil {
		return "", fmt.Errorf("marshal user-data: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("marshal user-data: %w", err)
	}
	return b.String(), nil
}
