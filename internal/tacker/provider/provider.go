// Package provider is the Pulumi provider of Tacker (package "tacker"),
// built on pulumi-go-provider's infer, with Keystone auth:
// tacker:index:Vim over Tacker's v1 API, tacker:index:VnfPackage over
// vnfpkgm v1 and tacker:index:VnfInstance over vnflcm v2.
// cmd/pulumi-resource-tacker serves it; tests drive it in-process through
// pulumi-go-provider's integration server.
package provider

import (
	"context"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Name is the Pulumi package name: resource tokens are tacker:index:*.
const Name = "tacker"

// Version is set at build time (-ldflags -X); SDK and plugin must agree.
var Version = "0.1.0"

// GoImportPath is where the generated Go SDK lives.
const GoImportPath = "github.com/tacker-cilium/tacker-cilium/sdk/go/tacker"

// New is the provider.
func New() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("Tacker").
		WithDescription("OpenStack Tacker: Kubernetes clusters registered as VIMs.").
		WithKeywords("openstack", "tacker", "nfv", "kubernetes").
		WithLicense("Apache-2.0").
		WithRepository("https://github.com/tacker-cilium/tacker-cilium").
		WithGoImportPath(GoImportPath).
		WithConfig(infer.Config(&Config{})).
		WithResources(infer.Resource(&Vim{}), infer.Resource(&VnfPackage{}), infer.Resource(&VnfInstance{})).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	diff := prov.Diff
	prov.Diff = func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
		resp, err := diff(ctx, req)
		if err != nil {
			return resp, err
		}
		// The old one goes before the new one is made: Tacker allows one
		// VIM of a name (and one default) per project and onboards one
		// package per vnfdId, and two instances of a VNF would need the
		// VIM's quota twice over.
		for _, d := range resp.DetailedDiff {
			switch d.Kind {
			case p.AddReplace, p.DeleteReplace, p.UpdateReplace:
				resp.DeleteBeforeReplace = true
			}
		}
		return resp, nil
	}
	return prov, nil
}
