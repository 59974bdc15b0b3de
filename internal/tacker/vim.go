// Package tacker is a client of the Tacker API, with Keystone auth and
// catalog discovery through gophercloud: the v1 VIM registry (vim.go), the
// ETSI SOL005 VNF package API vnfpkgm v1 (vnfpkg.go) and the SOL003 VNF
// lifecycle API vnflcm v2 (vnflcm.go), whose work Tacker does in the
// background and the client waits for (poll.go). For VIMs it speaks the
// request bodies python-tackerclient sends, so that a VIM registered here
// and one registered with `openstack vim register` are the same to Tacker.
package tacker

import (
	"context"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// TypeKubernetes is the only VIM type this client registers.
const TypeKubernetes = "kubernetes"

// VimSpec is what a caller wants registered. Its fields map onto a
// vim_config.yaml: auth_url, bearer_token, ssl_ca_cert, project_name, extra.
type VimSpec struct {
	Name        string
	Description string
	Type        string // empty means kubernetes
	AuthURL     string
	BearerToken string
	SSLCACert   string // PEM; empty sends none, as tackerclient does
	Project     string // vim_project.name: the namespace
	IsDefault   bool
	// UseHelm nil sends no extra, like a vim_config.yaml without one.
	UseHelm *bool
}

// Vim is Tacker's answer. Tacker never returns the credentials in clear:
// bearer_token comes back masked ("***") and ssl_ca_cert encrypted.
type Vim struct {
	ID            string         `json:"id"`
	TenantID      string         `json:"tenant_id"`
	Type          string         `json:"type"`
	Name          string         `json:"name"`
	Description   string         `json:"description"`
	AuthURL       string         `json:"auth_url"`
	Project       Project        `json:"vim_project"`
	AuthCred      map[string]any `json:"auth_cred"`
	IsDefault     bool           `json:"is_default"`
	Extra         map[string]any `json:"extra,omitempty"`
	Status        string         `json:"status"`
	PlacementAttr PlacementAttr  `json:"placement_attr"`
	CreatedAt     string         `json:"created_at,omitempty"`
	UpdatedAt     string         `json:"updated_at,omitempty"`
}

// Project is vim_project.
type Project struct {
	Name string `json:"name"`
}

// PlacementAttr lists where Tacker may place workloads: for a Kubernetes
// VIM, the cluster's namespaces as seen at registration.
type PlacementAttr struct {
	Regions []string `json:"regions"`
}

// UseHelm reads extra.use_helm.
func (v *Vim) UseHelm() *bool {
	b, ok := v.Extra["use_helm"].(bool)
	if !ok {
		return nil
	}
	return &b
}

// The wire shapes. What is left out when empty follows python-tackerclient's
// args2body_vim, which the contract test holds us to.
type (
	vimBody struct {
		Vim vimRequest `json:"vim"`
	}
	vimRequest struct {
		Name        *string   `json:"name,omitempty"`
		Description *string   `json:"description,omitempty"`
		Type        string    `json:"type,omitempty"`
		AuthURL     string    `json:"auth_url,omitempty"`
		Project     Project   `json:"vim_project"`
		AuthCred    authCred  `json:"auth_cred"`
		IsDefault   *bool     `json:"is_default,omitempty"`
		Extra       *vimExtra `json:"extra,omitempty"`
	}
	authCred struct {
		BearerToken string `json:"bearer_token"`
		SSLCACert   string `json:"ssl_ca_cert,omitempty"`
	}
	vimExtra struct {
		UseHelm bool `json:"use_helm"`
	}
	vimResponse struct {
		Vim Vim `json:"vim"`
	}
	vimsResponse struct {
		Vims []Vim `json:"vims"`
	}
)

// CreateBody is the POST body, as `openstack vim register --config-file`
// builds it: description only when given, is_default always.
func (s VimSpec) CreateBody() any {
	r := s.common()
	r.Type = s.Type
	if r.Type == "" {
		r.Type = TypeKubernetes
	}
	r.AuthURL = s.AuthURL
	r.Name = &s.Name
	if s.Description != "" {
		r.Description = &s.Description
	}
	r.IsDefault = &s.IsDefault
	return vimBody{Vim: r}
}

// UpdateBody is the PUT body, as `openstack vim update --config-file
// --name --description --is-default` builds it. type and auth_url are
// read-only in Tacker; vim_project and auth_cred must always be present
// (Tacker's update_vim reads both unconditionally). name, description and
// is_default are always sent so that clearing one clears it.
func (s VimSpec) UpdateBody() any {
	r := s.common()
	r.Name = &s.Name
	r.Description = &s.Description
	r.IsDefault = &s.IsDefault
	return vimBody{Vim: r}
}

func (s VimSpec) common() vimRequest {
	r := vimRequest{
		Project:  Project{Name: s.Project},
		AuthCred: authCred{BearerToken: s.BearerToken, SSLCACert: s.SSLCACert},
	}
	if s.UseHelm != nil {
		r.Extra = &vimExtra{UseHelm: *s.UseHelm}
	}
	return r
}

// Client calls Tacker's v1 API. Each call carries the Keystone token of
// the service client's provider, which re-authenticates when it expires.
type Client struct {
	sc   *gophercloud.ServiceClient
	poll Polling
}

// New wraps a service client whose Endpoint is Tacker's root
// (http://host:9890/), as found in the catalog under nfv-orchestration.
func New(sc *gophercloud.ServiceClient) *Client {
	return &Client{sc: sc, poll: Polling{}.withDefaults()}
}

// Endpoint is Tacker's root URL the client talks to.
func (c *Client) Endpoint() string { return c.sc.Endpoint }

func (c *Client) url(parts ...string) string {
	return c.sc.ServiceURL(append([]string{"v1.0"}, parts...)...)
}

// Tacker can take a while to answer a registration: it calls the cluster's
// API and Barbican before it replies.
const callTimeout = 2 * time.Minute

// CreateVim registers a VIM (POST /v1.0/vims).
func (c *Client) CreateVim(ctx context.Context, s VimSpec) (*Vim, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out vimResponse
	_, err := c.sc.Post(ctx, c.url("vims"), s.CreateBody(), &out, &gophercloud.RequestOpts{OkCodes: []int{http.StatusCreated}})
	if err != nil {
		return nil, apiError("register VIM "+quote(s.Name), err)
	}
	return &out.Vim, nil
}

// GetVim reads a VIM (GET /v1.0/vims/{id}); an unknown id is ErrNotFound.
func (c *Client) GetVim(ctx context.Context, id string) (*Vim, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out vimResponse
	_, err := c.sc.Get(ctx, c.url("vims", id), &out, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
	if err != nil {
		return nil, apiError("read VIM "+id, err)
	}
	return &out.Vim, nil
}

// ListVims lists the VIMs the token's project sees (GET /v1.0/vims).
func (c *Client) ListVims(ctx context.Context) ([]Vim, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out vimsResponse
	_, err := c.sc.Get(ctx, c.url("vims"), &out, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
	if err != nil {
		return nil, apiError("list VIMs", err)
	}
	return out.Vims, nil
}

// UpdateVim changes credentials, project, name, description, default flag
// and extra of a VIM (PUT /v1.0/vims/{id}). Tacker re-validates the
// credentials against the cluster before it answers.
func (c *Client) UpdateVim(ctx context.Context, id string, s VimSpec) (*Vim, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var out vimResponse
	_, err := c.sc.Put(ctx, c.url("vims", id), s.UpdateBody(), &out, &gophercloud.RequestOpts{OkCodes: []int{http.StatusOK}})
	if err != nil {
		return nil, apiError("update VIM "+id, err)
	}
	return &out.Vim, nil
}

// DeleteVim deregisters a VIM (DELETE /v1.0/vims/{id}); an unknown id is
// ErrNotFound.
func (c *Client) DeleteVim(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := c.sc.Delete(ctx, c.url("vims", id), &gophercloud.RequestOpts{OkCodes: []int{http.StatusNoContent, http.StatusOK}})
	if err != nil {
		return apiError("delete VIM "+id, err)
	}
	return nil
}
