package provider

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker"
)

// Vim is a Kubernetes cluster registered in Tacker (tacker:index:Vim).
type Vim struct{}

// VimArgs are the inputs; they map onto a vim_config.yaml.
type VimArgs struct {
	Name        string    `pulumi:"name,optional"`
	Description string    `pulumi:"description,optional"`
	Type        string    `pulumi:"type,optional" provider:"replaceOnChanges"`
	AuthURL     string    `pulumi:"authUrl" provider:"replaceOnChanges"`
	BearerToken string    `pulumi:"bearerToken" provider:"secret"`
	SSLCACert   string    `pulumi:"sslCaCert,optional"`
	Project     string    `pulumi:"project,optional"`
	IsDefault   bool      `pulumi:"isDefault,optional"`
	Extra       *VimExtra `pulumi:"extra,optional"`
}

// VimExtra is the VIM's extra: how Tacker deploys CNFs on it.
type VimExtra struct {
	UseHelm bool `pulumi:"useHelm"`
}

// VimState is what Pulumi keeps: the inputs as Tacker last showed them,
// and what Tacker found at registration.
type VimState struct {
	VimArgs
	Status   string   `pulumi:"status"`
	Regions  []string `pulumi:"regions"`
	TenantID string   `pulumi:"tenantId"`
}

// Annotate documents the resource and sets its token.
func (v *Vim) Annotate(a infer.Annotator) {
	a.SetToken("index", "Vim")
	a.Describe(&v, "A Kubernetes cluster registered in Tacker as a VIM (POST /v1.0/vims). "+
		"Credentials, project, name, description, default flag and extra are updated in place (PUT); "+
		"a new type or authUrl registers a new VIM.")
}

// Annotate documents the inputs.
func (a *VimArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the VIM in Tacker, unique in the project; defaults to the resource's name.")
	an.Describe(&a.Description, "Description of the VIM.")
	an.Describe(&a.Type, "VIM type; only kubernetes. A change registers a new VIM.")
	an.SetDefault(&a.Type, tacker.TypeKubernetes)
	an.Describe(&a.AuthURL, "The cluster's API endpoint, https://host:6443. A change registers a new VIM.")
	an.Describe(&a.BearerToken, "Token of a service account Tacker acts as (auth_cred.bearer_token). A new token is an update.")
	an.Describe(&a.SSLCACert, "PEM of the cluster's CA (auth_cred.ssl_ca_cert); empty lets Tacker skip verification.")
	an.Describe(&a.Project, "Namespace Tacker deploys into (vim_project.name).")
	an.SetDefault(&a.Project, "default")
	an.Describe(&a.IsDefault, "Make this Tacker's default VIM; Tacker allows one per project.")
	an.Describe(&a.Extra, "Extra settings of a Kubernetes VIM; absent sends none.")
}

// Annotate documents extra.
func (e *VimExtra) Annotate(a infer.Annotator) {
	a.SetToken("index", "VimExtra")
	a.Describe(&e.UseHelm, "Deploy CNFs with Helm charts (extra.use_helm).")
}

// Annotate documents the outputs.
func (s *VimState) Annotate(a infer.Annotator) {
	a.Describe(&s.Status, "Status Tacker reports (PENDING, REACHABLE, UNREACHABLE...); a Kubernetes VIM may stay PENDING.")
	a.Describe(&s.Regions, "Placement regions: the cluster's namespaces Tacker saw at registration or update.")
	a.Describe(&s.TenantID, "Project (tenant) the VIM belongs to.")
}

var namespaceRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Check fills defaults and refuses bad input before any call to Tacker.
// Values not yet known at preview (the API endpoint of a cluster being
// created) are checked when they are.
func (*Vim) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[VimArgs], error) {
	if v, ok := req.NewInputs.GetOk("name"); !ok || (v.IsString() && v.AsString() == "") {
		req.NewInputs = req.NewInputs.Set("name", property.New(req.Name))
	}
	args, failures, err := infer.DefaultCheck[VimArgs](ctx, req.NewInputs)
	if err != nil {
		return infer.CheckResponse[VimArgs]{}, err
	}
	known := func(k string) bool {
		v, ok := req.NewInputs.GetOk(k)
		return ok && !v.IsComputed()
	}
	fail := func(prop, format string, a ...any) {
		failures = append(failures, p.CheckFailure{Property: prop, Reason: fmt.Sprintf(format, a...)})
	}

	if known("name") && len(args.Name) > 255 {
		fail("name", "name is %d characters long; Tacker takes at most 255", len(args.Name))
	}
	if known("type") && args.Type != tacker.TypeKubernetes {
		fail("type", "type %q is not supported: only %q VIMs are registered by this resource", args.Type, tacker.TypeKubernetes)
	}
	if known("authUrl") {
		if u, err := url.Parse(args.AuthURL); err != nil || u.Scheme != "https" || u.Host == "" {
			fail("authUrl", "authUrl %q is not an https URL of a Kubernetes API server, such as https://203.0.113.10:6443", args.AuthURL)
		}
	}
	if known("bearerToken") && args.BearerToken == "" {
		fail("bearerToken", "bearerToken is empty: Tacker needs a service account's token")
	}
	if known("sslCaCert") && args.SSLCACert != "" {
		if err := checkPEM(args.SSLCACert); err != nil {
			fail("sslCaCert", "sslCaCert is not a PEM certificate: %v", err)
		}
	}
	if known("project") && (len(args.Project) > 63 || !namespaceRE.MatchString(args.Project)) {
		fail("project", "project %q is not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63)", args.Project)
	}
	return infer.CheckResponse[VimArgs]{Inputs: args, Failures: failures}, nil
}

func checkPEM(s string) error {
	rest := []byte(s)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fmt.Errorf("a %s block where a CERTIFICATE was expected", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errors.New("no CERTIFICATE block")
	}
	return nil
}

func (a VimArgs) spec() tacker.VimSpec {
	s := tacker.VimSpec{
		Name: a.Name, Description: a.Description, Type: a.Type, AuthURL: a.AuthURL,
		BearerToken: a.BearerToken, SSLCACert: a.SSLCACert, Project: a.Project, IsDefault: a.IsDefault,
	}
	if a.Extra != nil {
		use := a.Extra.UseHelm
		s.UseHelm = &use
	}
	return s
}

// state is the new state: Tacker's view of what it shows, our inputs for
// what it never shows in clear (the token and the CA, which it encrypts).
func state(in VimArgs, v *tacker.Vim) VimState {
	out := VimArgs{
		Name: v.Name, Description: v.Description, Type: v.Type, AuthURL: v.AuthURL,
		BearerToken: in.BearerToken, SSLCACert: in.SSLCACert,
		Project: v.Project.Name, IsDefault: v.IsDefault,
	}
	if use := v.UseHelm(); use != nil {
		out.Extra = &VimExtra{UseHelm: *use}
	}
	regions := v.PlacementAttr.Regions
	if regions == nil {
		regions = []string{}
	}
	return VimState{VimArgs: out, Status: v.Status, Regions: regions, TenantID: v.TenantID}
}

// Create registers the VIM. Tacker calls the cluster with the token before
// it answers; its refusal (VimUnauthorizedException...) is the error.
func (*Vim) Create(ctx context.Context, req infer.CreateRequest[VimArgs]) (infer.CreateResponse[VimState], error) {
	if req.DryRun {
		return infer.CreateResponse[VimState]{Output: VimState{VimArgs: req.Inputs}}, nil
	}
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.CreateResponse[VimState]{}, err
	}
	v, err := c.CreateVim(ctx, req.Inputs.spec())
	if err != nil {
		return infer.CreateResponse[VimState]{}, err
	}
	return infer.CreateResponse[VimState]{ID: v.ID, Output: state(req.Inputs, v)}, nil
}

// Read is the refresh: what Tacker holds now becomes the state and the
// inputs, so that `pulumi preview --refresh` shows any drift; a VIM that
// Tacker no longer knows is gone from the state.
func (*Vim) Read(ctx context.Context, req infer.ReadRequest[VimArgs, VimState]) (infer.ReadResponse[VimArgs, VimState], error) {
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.ReadResponse[VimArgs, VimState]{}, err
	}
	v, err := c.GetVim(ctx, req.ID)
	if errors.Is(err, tacker.ErrNotFound) {
		return infer.ReadResponse[VimArgs, VimState]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[VimArgs, VimState]{}, err
	}
	// The token and CA Tacker will not show: keep what we sent. An import
	// has none, and the program's token then arrives as an update.
	prior := req.Inputs
	if prior.BearerToken == "" {
		prior = req.State.VimArgs
	}
	s := state(prior, v)
	return infer.ReadResponse[VimArgs, VimState]{ID: v.ID, Inputs: s.VimArgs, State: s}, nil
}

// Update sends the credentials, project, name, description, default flag
// and extra in one PUT: a rotated token is the same registration.
func (*Vim) Update(ctx context.Context, req infer.UpdateRequest[VimArgs, VimState]) (infer.UpdateResponse[VimState], error) {
	if req.DryRun {
		return infer.UpdateResponse[VimState]{Output: VimState{VimArgs: req.Inputs,
			Status: req.State.Status, Regions: req.State.Regions, TenantID: req.State.TenantID}}, nil
	}
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.UpdateResponse[VimState]{}, err
	}
	v, err := c.UpdateVim(ctx, req.ID, req.Inputs.spec())
	if err != nil {
		return infer.UpdateResponse[VimState]{}, err
	}
	return infer.UpdateResponse[VimState]{Output: state(req.Inputs, v)}, nil
}

// Delete deregisters the VIM; one already gone is fine. Tacker refuses to
// delete a VIM that VNFs still use (VimInUseException), and says so.
func (*Vim) Delete(ctx context.Context, req infer.DeleteRequest[VimState]) (infer.DeleteResponse, error) {
	c, err := infer.GetConfig[Config](ctx).client(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if err := c.DeleteVim(ctx, req.ID); err != nil && !errors.Is(err, tacker.ErrNotFound) {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, nil
}
