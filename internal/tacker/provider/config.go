package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker"
)

// Config is the provider's configuration (tacker:* keys, or the args of an
// explicit provider). Every field is optional: what is not set comes from
// the clouds.yaml entry named by cloud (or OS_CLOUD), else from the OS_*
// variables of an openrc, as with the openstack CLI.
type Config struct {
	Cloud                       string `pulumi:"cloud,optional"`
	AuthURL                     string `pulumi:"authUrl,optional"`
	Username                    string `pulumi:"username,optional"`
	UserID                      string `pulumi:"userId,optional"`
	Password                    string `pulumi:"password,optional" provider:"secret"`
	Token                       string `pulumi:"token,optional" provider:"secret"`
	UserDomainName              string `pulumi:"userDomainName,optional"`
	UserDomainID                string `pulumi:"userDomainId,optional"`
	ProjectName                 string `pulumi:"projectName,optional"`
	ProjectID                   string `pulumi:"projectId,optional"`
	ProjectDomainName           string `pulumi:"projectDomainName,optional"`
	ProjectDomainID             string `pulumi:"projectDomainId,optional"`
	ApplicationCredentialID     string `pulumi:"applicationCredentialId,optional"`
	ApplicationCredentialName   string `pulumi:"applicationCredentialName,optional"`
	ApplicationCredentialSecret string `pulumi:"applicationCredentialSecret,optional" provider:"secret"`
	Region                      string `pulumi:"region,optional"`
	Interface                   string `pulumi:"interface,optional"`
	Endpoint                    string `pulumi:"endpoint,optional"`
	CACert                      string `pulumi:"cacert,optional"`
	Insecure                    bool   `pulumi:"insecure,optional"`
	PollInterval                string `pulumi:"pollInterval,optional"`
	OnboardingTimeout           string `pulumi:"onboardingTimeout,optional"`
	OperationTimeout            string `pulumi:"operationTimeout,optional"`

	// conn survives GetConfig's copies of the struct: one Keystone login
	// per provider process.
	conn *connection
}

type connection struct {
	mu     sync.Mutex
	auth   tacker.Auth
	poll   tacker.Polling
	client *tacker.Client
}

// Annotate documents the configuration in the schema.
func (c *Config) Annotate(a infer.Annotator) {
	a.Describe(&c.Cloud, "Entry of clouds.yaml to authenticate with (like OS_CLOUD); explicit settings override it.")
	a.Describe(&c.AuthURL, "Keystone v3 URL (OS_AUTH_URL).")
	a.Describe(&c.Username, "User name (OS_USERNAME).")
	a.Describe(&c.UserID, "User ID (OS_USER_ID).")
	a.Describe(&c.Password, "Password (OS_PASSWORD).")
	a.Describe(&c.Token, "A Keystone token instead of a password (OS_TOKEN). With endpoint and no authUrl, it is sent to Tacker as is.")
	a.Describe(&c.UserDomainName, "Domain of the user (OS_USER_DOMAIN_NAME).")
	a.Describe(&c.UserDomainID, "Domain ID of the user (OS_USER_DOMAIN_ID).")
	a.Describe(&c.ProjectName, "Project to scope the token to (OS_PROJECT_NAME); Tacker's VIMs belong to it.")
	a.Describe(&c.ProjectID, "Project ID to scope the token to (OS_PROJECT_ID).")
	a.Describe(&c.ProjectDomainName, "Domain of the project (OS_PROJECT_DOMAIN_NAME); defaults to the user's.")
	a.Describe(&c.ProjectDomainID, "Domain ID of the project (OS_PROJECT_DOMAIN_ID).")
	a.Describe(&c.ApplicationCredentialID, "Application credential ID (OS_APPLICATION_CREDENTIAL_ID).")
	a.Describe(&c.ApplicationCredentialName, "Application credential name (OS_APPLICATION_CREDENTIAL_NAME).")
	a.Describe(&c.ApplicationCredentialSecret, "Application credential secret (OS_APPLICATION_CREDENTIAL_SECRET).")
	a.Describe(&c.Region, "Region of Tacker's endpoint in the catalog (OS_REGION_NAME).")
	a.Describe(&c.Interface, "Catalog interface: public (default), internal or admin (OS_INTERFACE).")
	a.Describe(&c.Endpoint, "Tacker's URL, such as http://controller:9890/; set, the catalog is not consulted.")
	a.Describe(&c.CACert, "CA bundle for Keystone and Tacker, as a file path or PEM text (OS_CACERT).")
	a.Describe(&c.Insecure, "Skip TLS verification of Keystone and Tacker.")
	a.Describe(&c.PollInterval, "How often to read the state of what Tacker does in the background (onboarding, LCM operations), as a duration such as 5s (the default).")
	a.Describe(&c.OnboardingTimeout, "How long a VNF package may take from upload to ONBOARDED, as a duration (default 10m).")
	a.Describe(&c.OperationTimeout, "How long one LCM operation (instantiate, scale, heal, terminate) may take, as a duration (default 1h). "+
		"A resource's customTimeouts, when shorter, win.")
}

func (c *Config) auth() tacker.Auth {
	return tacker.Auth{
		Cloud: c.Cloud, AuthURL: c.AuthURL, Username: c.Username, UserID: c.UserID,
		Password: c.Password, Token: c.Token,
		UserDomainName: c.UserDomainName, UserDomainID: c.UserDomainID,
		ProjectName: c.ProjectName, ProjectID: c.ProjectID,
		ProjectDomainName: c.ProjectDomainName, ProjectDomainID: c.ProjectDomainID,
		ApplicationCredentialID: c.ApplicationCredentialID, ApplicationCredentialName: c.ApplicationCredentialName,
		ApplicationCredentialSecret: c.ApplicationCredentialSecret,
		Region:                      c.Region, Interface: c.Interface, Endpoint: c.Endpoint,
		CACert: c.CACert, Insecure: c.Insecure,
		UserAgent: "pulumi-resource-tacker/" + Version,
	}
}

// Configure checks that the settings can authenticate, without calling
// Keystone: a preview of new VIMs needs no cloud, but a missing auth URL
// should fail it.
func (c *Config) Configure(ctx context.Context) error {
	a := c.auth()
	if err := a.Check(); err != nil {
		return err
	}
	var poll tacker.Polling
	for _, d := range []struct {
		key, value string
		dst        *time.Duration
	}{
		{"pollInterval", c.PollInterval, &poll.Interval},
		{"onboardingTimeout", c.OnboardingTimeout, &poll.Onboarding},
		{"operationTimeout", c.OperationTimeout, &poll.Operation},
	} {
		if d.value == "" {
			continue
		}
		v, err := time.ParseDuration(d.value)
		if err != nil || v <= 0 {
			return fmt.Errorf("tacker:%s %q is not a positive duration: give one such as 500ms, 5s, 10m or 1h", d.key, d.value)
		}
		*d.dst = v
	}
	c.conn = &connection{auth: a, poll: poll}
	return nil
}

// client logs in on first use and keeps the client; a failed login is
// tried again on the next call.
func (c Config) client(ctx context.Context) (*tacker.Client, error) {
	if c.conn == nil {
		return nil, errors.New("tacker provider: not configured")
	}
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	if c.conn.client == nil {
		cl, err := tacker.Connect(ctx, c.conn.auth)
		if err != nil {
			return nil, err
		}
		cl.SetPolling(c.conn.poll)
		c.conn.client = cl
	}
	return c.conn.client, nil
}
