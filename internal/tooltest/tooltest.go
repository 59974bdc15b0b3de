// Package tooltest finds the real tools that tests drive (kubeadm, helm,
// cloud-init, shellcheck...). A missing tool fails the test with how to get
// it: a test that needs a tool never passes without it.
package tooltest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Root is the repository root: the nearest directory up holding go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Dir is the tools folder scripts/tools.sh fills: $TACKER_CILIUM_TOOLS, or .tools/.
func Dir(t testing.TB) string {
	if d := os.Getenv("TACKER_CILIUM_TOOLS"); d != "" {
		return d
	}
	return filepath.Join(Root(t), ".tools")
}

// Path is the tool's executable: the tools folder's bin/ first (tools built
// at the pinned versions), then PATH (Debian packages).
func Path(t testing.TB, name string) string {
	t.Helper()
	if p := filepath.Join(Dir(t), "bin", name); isExec(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("%s is not installed: run scripts/tools.sh (it installs and builds every tool the tests use)", name)
	return ""
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Run runs a tool and returns its combined output.
func Run(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(Path(t, name), args...).CombinedOutput()
	return string(out), err
}

// Chart is a Helm chart directory of the tools folder (cilium-chart: the
// chart of the matrix's Cilium release, from its Go module).
func Chart(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(Dir(t), name)
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		t.Fatalf("chart %s is not in %s: run scripts/tools.sh (it fetches the chart of the pinned release)", name, Dir(t))
	}
	return dir
}
