package automation

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// The workspace is not the project folder: relative plugin paths of
// Pulumi.yaml are made absolute, providers beside the CLI are declared, and
// a plugin given by the caller replaces the project's of the same name.
func TestSetPlugins(t *testing.T) {
	tools := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(tools, "bin"), 0o755))
	for _, f := range []string{"pulumi", "pulumi-resource-kubernetes", "pulumi-resource-tacker"} {
		must(os.WriteFile(filepath.Join(tools, "bin", f), nil, 0o755))
	}
	byName := func(p *workspace.Project) map[string]string {
		m := map[string]string{}
		for _, o := range p.Plugins.Providers {
			m[o.Name] = o.Path
		}
		return m
	}

	p := &workspace.Project{Plugins: &workspace.Plugins{Providers: []workspace.PluginOptions{{Name: "tacker", Path: "./bin"}}}}
	must(setPlugins(p, "/project", tools, nil))
	got := byName(p)
	if got["tacker"] != "/project/bin" {
		t.Errorf("project plugin path %q, want /project/bin (the project's declaration wins over the tools folder)", got["tacker"])
	}
	if got["kubernetes"] != filepath.Join(tools, "bin") {
		t.Errorf("kubernetes provider %q, want the CLI's folder", got["kubernetes"])
	}
	if len(p.Plugins.Providers) != 2 {
		t.Errorf("providers %+v", p.Plugins.Providers)
	}

	p = &workspace.Project{Plugins: &workspace.Plugins{Providers: []workspace.PluginOptions{{Name: "tacker", Path: "./bin"}}}}
	must(setPlugins(p, "/project", "", map[string]string{"tacker": "/elsewhere"}))
	if got := byName(p); len(got) != 1 || got["tacker"] != "/elsewhere" {
		t.Errorf("given plugin did not replace the project's: %+v", p.Plugins.Providers)
	}

	p = &workspace.Project{}
	must(setPlugins(p, "/project", "", nil))
	if p.Plugins != nil {
		t.Errorf("plugins %+v from nothing", p.Plugins)
	}
}
