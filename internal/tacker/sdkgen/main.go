// Command sdkgen writes the provider's schema and its typed Go SDK under
// sdk/ (sdk/schema.json, sdk/go/tacker), from the provider itself, so that
// the SDK the components use cannot drift from what the plugin serves:
//
//	go run ./internal/tacker/sdkgen            # regenerate
//	go run ./internal/tacker/sdkgen -check     # fail if sdk/ is stale (tests do this too)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/provider"
)

func main() {
	out := flag.String("out", "sdk", "directory to write schema.json and go/ into")
	check := flag.Bool("check", false, "compare with what is there instead of writing")
	flag.Parse()
	files, err := Generate(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
	if *check {
		if stale := Stale(*out, files); len(stale) > 0 {
			fmt.Fprintf(os.Stderr, "sdkgen: %s is stale: %v; run go run ./internal/tacker/sdkgen\n", *out, stale)
			os.Exit(1)
		}
		return
	}
	for name, b := range files {
		path := filepath.Join(*out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "sdkgen:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "sdkgen:", err)
			os.Exit(1)
		}
	}
}

// Generate returns every file of sdk/, by path relative to it.
func Generate(ctx context.Context) (map[string][]byte, error) {
	prov, err := provider.New()
	if err != nil {
		return nil, err
	}
	server, err := integration.NewServer(ctx, provider.Name, semver.MustParse(provider.Version), integration.WithProvider(prov))
	if err != nil {
		return nil, err
	}
	resp, err := server.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(resp.Schema), &spec); err != nil {
		return nil, err
	}
	pkg, err := schema.ImportSpec(spec, nil, noDeps{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	gofiles, err := gogen.GeneratePackage("sdkgen", pkg, nil)
	if err != nil {
		return nil, err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(resp.Schema), "", "  "); err != nil {
		return nil, err
	}
	files := map[string][]byte{"schema.json": append(pretty.Bytes(), '\n')}
	for name, b := range gofiles {
		files[filepath.Join("go", name)] = b
	}
	return files, nil
}

// noDeps is the schema loader: the package references no other.
type noDeps struct{}

func (noDeps) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the tacker schema references package %q", pkg)
}

func (noDeps) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("the tacker schema references package %q", d.Name)
}

// Stale lists the files of dir that differ from files, or are missing.
func Stale(dir string, files map[string][]byte) []string {
	var stale []string
	for name, want := range files {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, want) {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	return stale
}
