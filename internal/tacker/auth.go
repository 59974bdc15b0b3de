package tacker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
)

// ServiceType is Tacker's entry in the Keystone catalog.
const ServiceType = "nfv-orchestration"

// Auth says how to reach Keystone and Tacker, as other OpenStack tools do.
// Where a field is empty, it comes from the cloud named by Cloud (or
// OS_CLOUD) in clouds.yaml; without a cloud, from the OS_* variables of an
// openrc. Explicit fields always win.
type Auth struct {
	Cloud string

	AuthURL                     string
	Username, UserID            string
	Password                    string
	Token                       string
	UserDomainName              string
	UserDomainID                string
	ProjectName, ProjectID      string
	ProjectDomainName           string
	ProjectDomainID             string
	ApplicationCredentialID     string
	ApplicationCredentialName   string
	ApplicationCredentialSecret string
	Region                      string
	Interface                   string // public (default), internal or admin

	// Endpoint is Tacker's root URL; set, the catalog is not consulted.
	// With a Token and no AuthURL, Keystone is not called at all.
	Endpoint string
	// CACert is a CA bundle, as a file path or PEM text, trusted for
	// Keystone and Tacker.
	CACert   string
	Insecure bool

	UserAgent string
}

// CloudName is the clouds.yaml entry in use: Cloud, else OS_CLOUD.
func (a Auth) CloudName() string {
	if a.Cloud != "" {
		return a.Cloud
	}
	return os.Getenv("OS_CLOUD")
}

// fromEnv fills empty fields from an openrc's variables.
func (a Auth) fromEnv() Auth {
	env := func(dst *string, names ...string) {
		for _, n := range names {
			if *dst == "" {
				*dst = os.Getenv(n)
			}
		}
	}
	env(&a.AuthURL, "OS_AUTH_URL")
	env(&a.Username, "OS_USERNAME")
	env(&a.UserID, "OS_USER_ID", "OS_USERID")
	env(&a.Password, "OS_PASSWORD")
	env(&a.Token, "OS_TOKEN")
	env(&a.UserDomainName, "OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME")
	env(&a.UserDomainID, "OS_USER_DOMAIN_ID", "OS_DOMAIN_ID")
	env(&a.ProjectName, "OS_PROJECT_NAME", "OS_TENANT_NAME")
	env(&a.ProjectID, "OS_PROJECT_ID", "OS_TENANT_ID")
	env(&a.ProjectDomainName, "OS_PROJECT_DOMAIN_NAME")
	env(&a.ProjectDomainID, "OS_PROJECT_DOMAIN_ID")
	env(&a.ApplicationCredentialID, "OS_APPLICATION_CREDENTIAL_ID")
	env(&a.ApplicationCredentialName, "OS_APPLICATION_CREDENTIAL_NAME")
	env(&a.ApplicationCredentialSecret, "OS_APPLICATION_CREDENTIAL_SECRET")
	env(&a.Region, "OS_REGION_NAME")
	env(&a.Interface, "OS_INTERFACE", "OS_ENDPOINT_TYPE")
	env(&a.CACert, "OS_CACERT")
	if !a.Insecure {
		a.Insecure = truthy(os.Getenv("OS_INSECURE"))
	}
	return a
}

func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// resolved is an Auth turned into what gophercloud takes.
type resolved struct {
	auth      gophercloud.AuthOptions
	endpoint  gophercloud.EndpointOpts
	tls       *tls.Config
	tokenOnly bool // Token + Endpoint, no Keystone
}

// resolve merges explicit settings over clouds.yaml or the environment and
// checks that they are enough to authenticate.
func (a Auth) resolve() (*resolved, error) {
	r := &resolved{}
	if cloud := a.CloudName(); cloud != "" {
		opts := []clouds.ParseOption{clouds.WithCloudName(cloud)}
		add := func(v string, f func(string) clouds.ParseOption) {
			if v != "" {
				opts = append(opts, f(v))
			}
		}
		add(a.AuthURL, clouds.WithIdentityEndpoint)
		add(a.Username, clouds.WithUsername)
		add(a.UserID, clouds.WithUserID)
		add(a.Password, clouds.WithPassword)
		add(a.Token, clouds.WithToken)
		add(a.UserDomainName, clouds.WithDomainName)
		add(a.UserDomainID, clouds.WithDomainID)
		add(a.ProjectName, clouds.WithProjectName)
		add(a.ProjectID, clouds.WithProjectID)
		add(a.ApplicationCredentialID, clouds.WithApplicationCredentialID)
		add(a.ApplicationCredentialName, clouds.WithApplicationCredentialName)
		add(a.ApplicationCredentialSecret, clouds.WithApplicationCredentialSecret)
		add(a.Region, clouds.WithRegion)
		add(a.Interface, clouds.WithEndpointType)
		if a.Insecure {
			opts = append(opts, clouds.WithInsecure(true))
		}
		ao, eo, tlsConfig, err := clouds.Parse(opts...)
		if err != nil {
			return nil, fmt.Errorf("clouds.yaml: %w", err)
		}
		if a.ProjectDomainName != "" || a.ProjectDomainID != "" {
			ao.Scope = &gophercloud.AuthScope{ProjectName: ao.TenantName, ProjectID: ao.TenantID,
				DomainName: a.ProjectDomainName, DomainID: a.ProjectDomainID}
		}
		r.auth, r.endpoint, r.tls = ao, eo, tlsConfig
	} else {
		e := a.fromEnv()
		r.auth = gophercloud.AuthOptions{
			IdentityEndpoint:            e.AuthURL,
			Username:                    e.Username,
			UserID:                      e.UserID,
			Password:                    e.Password,
			TokenID:                     e.Token,
			DomainName:                  e.UserDomainName,
			DomainID:                    e.UserDomainID,
			ApplicationCredentialID:     e.ApplicationCredentialID,
			ApplicationCredentialName:   e.ApplicationCredentialName,
			ApplicationCredentialSecret: e.ApplicationCredentialSecret,
		}
		if e.UserID != "" || e.Token != "" || e.ApplicationCredentialID != "" {
			// Keystone refuses a user domain beside an ID or a token.
			r.auth.DomainName, r.auth.DomainID = "", ""
		}
		switch {
		case e.ProjectID != "":
			r.auth.Scope = &gophercloud.AuthScope{ProjectID: e.ProjectID}
		case e.ProjectName != "":
			s := &gophercloud.AuthScope{ProjectName: e.ProjectName, DomainName: e.ProjectDomainName, DomainID: e.ProjectDomainID}
			if s.DomainName == "" && s.DomainID == "" {
				s.DomainName, s.DomainID = e.UserDomainName, e.UserDomainID
			}
			r.auth.Scope = s
		}
		r.endpoint = gophercloud.EndpointOpts{Region: e.Region, Availability: availability(e.Interface)}
		a.CACert, a.Insecure = e.CACert, e.Insecure
	}
	r.auth.AllowReauth = true
	r.endpoint.Type = ServiceType

	if a.CACert != "" || a.Insecure {
		if r.tls == nil {
			r.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		r.tls.InsecureSkipVerify = r.tls.InsecureSkipVerify || a.Insecure // #nosec G402: the user asked for it
		if a.CACert != "" {
			pool, err := caPool(a.CACert)
			if err != nil {
				return nil, err
			}
			r.tls.RootCAs = pool
		}
	}

	switch {
	case r.auth.IdentityEndpoint == "" && r.auth.TokenID != "" && a.Endpoint != "":
		r.tokenOnly = true
	case r.auth.IdentityEndpoint == "":
		return nil, errors.New("no Keystone auth URL: set tacker:authUrl, OS_AUTH_URL or tacker:cloud")
	case r.auth.Password == "" && r.auth.TokenID == "" && r.auth.ApplicationCredentialSecret == "":
		return nil, errors.New("no credentials: set a password, a token or an application credential (tacker:password, OS_PASSWORD, clouds.yaml)")
	}
	return r, nil
}

func availability(iface string) gophercloud.Availability {
	switch strings.TrimSuffix(strings.ToLower(iface), "url") {
	case "internal":
		return gophercloud.AvailabilityInternal
	case "admin":
		return gophercloud.AvailabilityAdmin
	}
	return gophercloud.AvailabilityPublic
}

// caPool reads a CA bundle given as PEM text or as a file path.
func caPool(ca string) (*x509.CertPool, error) {
	pem := []byte(ca)
	if !strings.Contains(ca, "-----BEGIN") {
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("CA bundle: %w", err)
		}
		pem = b
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("CA bundle: no PEM certificate in it")
	}
	return pool, nil
}

// Connect authenticates with Keystone and finds Tacker in the catalog
// (service type nfv-orchestration), unless Endpoint overrides it.
func Connect(ctx context.Context, a Auth) (*Client, error) {
	r, err := a.resolve()
	if err != nil {
		return nil, err
	}
	httpClient := http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: r.tls}}

	var pc *gophercloud.ProviderClient
	if r.tokenOnly {
		pc = &gophercloud.ProviderClient{HTTPClient: httpClient}
		pc.SetToken(r.auth.TokenID)
	} else {
		if pc, err = openstack.NewClient(r.auth.IdentityEndpoint); err != nil {
			return nil, fmt.Errorf("keystone auth URL %q: %w", r.auth.IdentityEndpoint, err)
		}
		pc.HTTPClient = httpClient
		if a.UserAgent != "" {
			pc.UserAgent.Prepend(a.UserAgent)
		}
		if err := openstack.Authenticate(ctx, pc, r.auth); err != nil {
			return nil, authError(r.auth.IdentityEndpoint, err)
		}
	}

	endpoint := a.Endpoint
	if endpoint == "" {
		if endpoint, err = pc.EndpointLocator(r.endpoint); err != nil {
			return nil, fmt.Errorf("tacker: no %s endpoint in the Keystone catalog (region %q, interface %s): %w",
				ServiceType, r.endpoint.Region, r.endpoint.Availability, err)
		}
	}
	root, err := rootURL(endpoint)
	if err != nil {
		return nil, err
	}
	return New(&gophercloud.ServiceClient{ProviderClient: pc, Endpoint: root, Type: ServiceType}), nil
}

func authError(authURL string, err error) error {
	var code gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &code) {
		_, msg := parseFault(code.Body)
		return fmt.Errorf("keystone at %s refused the credentials: %d %s", authURL, code.Actual, msg)
	}
	return fmt.Errorf("keystone at %s: %w", authURL, err)
}

// rootURL is Tacker's root with a trailing slash: catalogs register
// http://host:9890/, some with the API version, which the client adds.
func rootURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("tacker endpoint %q is not a URL", endpoint)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1.0") + "/"
	return u.String(), nil
}

// Check tells whether the settings are enough to authenticate, without
// any network call.
func (a Auth) Check() error {
	_, err := a.resolve()
	return err
}
