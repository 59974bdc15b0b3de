package cloudinit

import (
	"bytes"
	"fmt"
	"strings"
)

// SSHScript turns a node's rendered files into one bash script that puts
// them on an existing host, root-owned with their modes, and then runs
// bootstrap.sh: the same bootstrap a Nova instance gets from its user-data,
// deliverable over SSH (pulumi-command remote.Command, as its stdin to
// `bash -s`, so that the secrets in it stay out of process lists and of the
// command line that its errors quote). Running it again changes nothing on
// a host that already bootstrapped, and it refuses to replace another
// cluster's PKI.
func SSHScript(f Files) (string, error) {
	type put struct{ Put, Path, Mode, Content string }
	v := struct {
		Files       []put
		Script, Env string
	}{Script: ScriptPath, Env: EnvPath}
	for _, w := range f.Written {
		// Bash strings end at a NUL byte: such content cannot be carried.
		if strings.ContainsRune(w.Content, 0) {
			return "", fmt.Errorf("%s: content has a NUL byte, which a shell script cannot carry", w.Path)
		}
		p := put{Put: "put", Path: w.Path, Mode: w.Mode, Content: w.Content}
		if strings.HasPrefix(w.Path, PKIDir+"/") {
			p.Put = "put_pki"
		}
		v.Files = append(v.Files, p)
	}
	if len(v.Files) == 0 {
		return "", fmt.Errorf("no files to put: SSHScript needs the Files that Render returns")
	}
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, "ssh-bootstrap.sh.tmpl", v); err != nil {
		return "", fmt.Errorf("render ssh-bootstrap.sh.tmpl: %w", err)
	}
	return b.String(), nil
}
