// Package cilium installs Cilium into a cluster as a Helm release, with
// values from a typed profile (values.go), and checks that the datapath
// came up on every node.
package cilium

import (
	_ "embed"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

//go:embed verify.sh
var verifyScript string

// VerifyScript is the check run on the first control plane after the release.
func VerifyScript() string { return verifyScript }

// Args configure a Cilium release.
type Args struct {
	// Provider is the cluster's Kubernetes provider; when nil, one is built
	// from Kubeconfig.
	Provider   pulumi.ProviderResource
	Kubeconfig pulumi.StringInput

	ChartVersion string // from the version matrix
	Repo         string // Helm repository; ignored with ChartPath
	ChartPath    string // local chart for mirrored or air-gapped sites

	// Profile resolves to a Profile once the cluster's addresses are known.
	Profile pulumi.Output
	// Extra values, merged over the profile's.
	Extra map[string]any

	// After is what the release waits for: the control plane's readiness.
	After []pulumi.Resource
	// ClusterIdentity changes when the cluster behind the endpoint is made
	// anew (a new first control plane): the release is then installed again.
	// Nil for a cluster that is never remade under the program.
	ClusterIdentity pulumi.Input
	// Wait: await the release's resources and verify nodes over SSH.
	Wait bool
	// SSH reaches the first control plane for the verification; VerifyAfter
	// are the gates of every node, so that all have joined first.
	SSH         *remote.ConnectionArgs
	VerifyAfter []pulumi.Resource
}

func (a Args) withDefaults() Args {
	if a.Repo == "" {
		a.Repo = "https://helm.cilium.io"
	}
	return a
}

// Cilium is the component.
type Cilium struct {
	pulumi.ResourceState

	Provider pulumi.ProviderResource
	Release  *helmv3.Release
	Values   pulumi.MapOutput
}

// New installs Cilium.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Cilium, error) {
	if args == nil || args.Profile == nil {
		return nil, errors.New("cilium: Args.Profile is required")
	}
	a := args.withDefaults()
	if a.ChartVersion == "" && a.ChartPath == "" {
		return nil, errors.New("cilium: Args.ChartVersion is required to install from a repository (the version matrix's Cilium patch)")
	}
	c := &Cilium{}
	if err := ctx.RegisterComponentResource("tacker-cilium:cilium:Cilium", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	c.Provider = a.Provider
	if c.Provider == nil {
		p, err := kubernetes.NewProvider(ctx, name, &kubernetes.ProviderArgs{Kubeconfig: a.Kubeconfig}, parent)
		if err != nil {
			return nil, err
		}
		c.Provider = p
	}

	extra := a.Extra
	c.Values = a.Profile.ApplyT(func(p any) (pulumi.MapOutput, error) {
		prof, ok := p.(Profile)
		if !ok {
			return pulumi.MapOutput{}, fmt.Errorf("cilium: profile is %T, not a Profile", p)
		}
		if err := prof.Validate(); err != nil {
			return pulumi.MapOutput{}, err
		}
		m, err := Build(prof).Map(extra)
		if err != nil {
			return pulumi.MapOutput{}, err
		}
		values := pulumi.ToMap(m).ToMapOutput()
		// The values then hold the mesh CA's key, whether or not the
		// profile came as a secret.
		if prof.Mesh != nil && prof.Mesh.CAKey != "" {
			values = pulumi.ToSecret(values).(pulumi.MapOutput)
		}
		return values, nil
	}).(pulumi.MapOutput)

	release := &helmv3.ReleaseArgs{
		Name:      pulumi.String("cilium"),
		Chart:     pulumi.String("cilium"),
		Version:   pulumi.String(a.ChartVersion),
		Namespace: pulumi.String("kube-system"),
		Values:    c.Values,
		// Without nodes, nothing of the DaemonSet can become ready.
		SkipAwait: pulumi.Bool(!a.Wait),
		Timeout:   pulumi.Int(900),
	}
	if a.ChartPath != "" {
		release.Chart = pulumi.String(a.ChartPath)
	} else {
		release.RepositoryOpts = &helmv3.RepositoryOptsArgs{Repo: pulumi.String(a.Repo)}
	}
	var err error
	// The release has a fixed name: a replacement (a new cluster behind the
	// same endpoint) must delete the old one before making the new one.
	releaseOpts := []pulumi.ResourceOption{parent, pulumi.Provider(c.Provider), pulumi.DependsOn(a.After), pulumi.DeleteBeforeReplace(true)}
	if a.ClusterIdentity != nil {
		releaseOpts = append(releaseOpts, pulumi.ReplacementTrigger(a.ClusterIdentity))
	}
	if c.Release, err = helmv3.NewRelease(ctx, name, release, releaseOpts...); err != nil {
		return nil, err
	}

	if a.Wait && a.SSH != nil {
		_, err := remote.NewCommand(ctx, name+"-verify", &remote.CommandArgs{
			Connection: *a.SSH,
			Create:     pulumi.String(verifyScript),
			// Re-verify whenever the release changes.
			Triggers: pulumi.Array{c.Release.Status.Revision()},
		}, parent, pulumi.DependsOn(append([]pulumi.Resource{c.Release}, a.VerifyAfter...)))
		if err != nil {
			return nil, err
		}
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"status": c.Release.Status})
}
