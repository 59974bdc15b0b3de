// Package keystonetest runs a real Keystone on loopback for tests: Debian's
// keystone on a private PostgreSQL (SQLite breaks under uwsgi's threads),
// served by uwsgi --http11-socket (plain --http-socket drops the OpenStack
// clients' kept-alive connections). Nothing is left running: Stop ends the
// two processes it started, and their files live in one temporary folder.
//
// The packages come from scripts/tools.sh (function keystone).
package keystonetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/endpoints"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/roles"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/services"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/users"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// Region is the region bootstrap creates and endpoints are put in.
const Region = "RegionOne"

// Keystone is a running Keystone.
type Keystone struct {
	URL           string // http://127.0.0.1:port/v3
	AdminPassword string
	// Timings of the start, for the curious (db_sync dominates).
	Timings map[string]time.Duration

	dir           string
	postgres      *exec.Cmd
	uwsgi         *exec.Cmd
	uwsgiLog      string
	mu            sync.Mutex
	admin         *gophercloud.ServiceClient
	validated     map[string]string
	validatedLock sync.Mutex
}

// Tools are the executables Start needs: what scripts/tools.sh installs.
func Tools() (map[string]string, error) {
	out := map[string]string{}
	var missing []string
	for _, name := range []string{"keystone-manage", "uwsgi", "keystone-wsgi-public"} {
		p, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		out[name] = p
	}
	for _, name := range []string{"initdb", "postgres", "createdb"} {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
		if len(matches) == 0 {
			missing = append(missing, name+" (postgresql)")
			continue
		}
		out[name] = matches[len(matches)-1]
	}
	if _, err := os.Stat("/usr/lib/uwsgi/plugins/python3_plugin.so"); err != nil {
		missing = append(missing, "uwsgi's python3 plugin (uwsgi-plugin-python3)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("not installed: %s; run scripts/tools.sh keystone", strings.Join(missing, ", "))
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start brings up PostgreSQL and Keystone and bootstraps an admin.
func Start(ctx context.Context) (k *Keystone, err error) {
	tools, err := Tools()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "keystonetest-")
	if err != nil {
		return nil, err
	}
	k = &Keystone{dir: dir, AdminPassword: "admin-" + strconv.FormatInt(time.Now().UnixNano(), 36), Timings: map[string]time.Duration{}}
	defer func() {
		if err != nil {
			k.Stop()
		}
	}()
	// PostgreSQL runs as its own user when we are root: the folder must
	// let it in.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}

	t0 := time.Now()
	sock, err := k.startPostgres(ctx, tools)
	if err != nil {
		return nil, err
	}
	k.Timings["postgres"] = time.Since(t0)

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	k.URL = fmt.Sprintf("http://127.0.0.1:%d/v3", port)
	conf := filepath.Join(dir, "keystone.conf")
	for _, d := range []string{"fernet-keys", "fernet-receipts", "credential-keys"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`[DEFAULT]
use_stderr = true
[database]
connection = postgresql+psycopg2://postgres@/keystone?host=%s&port=5432
[token]
provider = fernet
[fernet_tokens]
key_repository = %[2]s/fernet-keys
[fernet_receipts]
key_repository = %[2]s/fernet-receipts
[credential]
key_repository = %[2]s/credential-keys
[cache]
enabled = false
`, sock, dir)), 0o600); err != nil {
		return nil, err
	}

	me, err := user.Current()
	if err != nil {
		return nil, err
	}
	group, err := user.LookupGroupId(me.Gid)
	if err != nil {
		return nil, err
	}
	manage := func(args ...string) error {
		return k.run(ctx, tools["keystone-manage"], append([]string{"--config-file", conf}, args...)...)
	}
	// The key repositories need no database: set them up meanwhile.
	t0 = time.Now()
	keys := make(chan error, 1)
	go func() {
		if err := manage("fernet_setup", "--keystone-user", me.Username, "--keystone-group", group.Name); err != nil {
			keys <- err
			return
		}
		keys <- manage("credential_setup", "--keystone-user", me.Username, "--keystone-group", group.Name)
	}()
	dbErr := manage("db_sync")
	if err := errors.Join(dbErr, <-keys); err != nil {
		return nil, err
	}
	k.Timings["db_sync"] = time.Since(t0)
	t0 = time.Now()
	if err := manage("bootstrap", "--bootstrap-password", k.AdminPassword,
		"--bootstrap-admin-url", k.URL, "--bootstrap-public-url", k.URL, "--bootstrap-internal-url", k.URL,
		"--bootstrap-region-id", Region); err != nil {
		return nil, err
	}
	k.Timings["bootstrap"] = time.Since(t0)

	t0 = time.Now()
	k.uwsgiLog = filepath.Join(dir, "uwsgi.log")
	logf, err := os.Create(k.uwsgiLog)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	k.uwsgi = exec.Command(tools["uwsgi"], "--plugin", "python3",
		"--http11-socket", fmt.Sprintf("127.0.0.1:%d", port),
		"--wsgi-file", tools["keystone-wsgi-public"],
		"--processes", "1", "--threads", "4", "--need-app", "--die-on-term", "--master")
	k.uwsgi.Env = append(os.Environ(), "OS_KEYSTONE_CONFIG_FILES="+conf)
	k.uwsgi.Stdout, k.uwsgi.Stderr = logf, logf
	k.uwsgi.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := k.uwsgi.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- k.uwsgi.Wait() }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(k.URL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			k.uwsgi = nil
			return nil, fmt.Errorf("uwsgi exited (%v): %s", err, tail(k.uwsgiLog))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("keystone did not answer on %s in 90s: %s", k.URL, tail(k.uwsgiLog))
		}
	}
	k.Timings["uwsgi"] = time.Since(t0)
	return k, nil
}

// startPostgres makes a private cluster that listens on a Unix socket
// only: no port to clash with a system PostgreSQL.
func (k *Keystone) startPostgres(ctx context.Context, tools map[string]string) (string, error) {
	data, sock := filepath.Join(k.dir, "pgdata"), filepath.Join(k.dir, "pgsock")
	for _, d := range []string{data, sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return "", err
		}
	}
	cred, err := postgresCredential()
	if err != nil {
		return "", err
	}
	if cred != nil {
		for _, d := range []string{data, sock} {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return "", err
			}
		}
	}
	initdb := exec.CommandContext(ctx, tools["initdb"], "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return "", fmt.Errorf("initdb: %v: %s", err, out)
	}
	logf, err := os.Create(filepath.Join(k.dir, "postgres.log"))
	if err != nil {
		return "", err
	}
	defer logf.Close()
	k.postgres = exec.Command(tools["postgres"], "-D", data, "-k", sock, "-p", "5432",
		"-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off")
	k.postgres.Stdout, k.postgres.Stderr = logf, logf
	k.postgres.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if err := k.postgres.Start(); err != nil {
		return "", err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := k.run(ctx, tools["createdb"], "-h", sock, "-p", "5432", "-U", "postgres", "keystone")
		if err == nil {
			return sock, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("postgres: %v: %s", err, tail(filepath.Join(k.dir, "postgres.log")))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// postgresCredential is the postgres user's when we are root (PostgreSQL
// refuses to run as root), nil otherwise.
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user (package postgresql): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (k *Keystone) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		s := out.String()
		if len(s) > 3000 {
			s = "..." + s[len(s)-3000:]
		}
		return fmt.Errorf("%s %s: %v: %s", filepath.Base(name), args[len(args)-1], err, s)
	}
	return nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// Stop ends uwsgi and PostgreSQL and removes their files.
func (k *Keystone) Stop() {
	if k == nil {
		return
	}
	if k.uwsgi != nil && k.uwsgi.Process != nil {
		// uwsgi's workers are in its process group.
		_ = syscall.Kill(-k.uwsgi.Process.Pid, syscall.SIGTERM)
		waitOrKill(k.uwsgi)
	}
	if k.postgres != nil && k.postgres.Process != nil {
		// SIGINT is PostgreSQL's fast shutdown.
		_ = k.postgres.Process.Signal(syscall.SIGINT)
		waitOrKill(k.postgres)
	}
	_ = os.RemoveAll(k.dir)
}

func waitOrKill(cmd *exec.Cmd) {
	done := make(chan struct{})
	go func() {
		_, _ = cmd.Process.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// AdminAuth are the admin's credentials, scoped to the admin project.
func (k *Keystone) AdminAuth() gophercloud.AuthOptions {
	return gophercloud.AuthOptions{
		IdentityEndpoint: k.URL, Username: "admin", Password: k.AdminPassword, DomainName: "Default",
		Scope: &gophercloud.AuthScope{ProjectName: "admin", DomainName: "Default"}, AllowReauth: true,
	}
}

// Env is an openrc for the admin, as the openstack CLI reads it.
func (k *Keystone) Env() []string {
	return []string{
		"OS_AUTH_URL=" + k.URL, "OS_IDENTITY_API_VERSION=3", "OS_USERNAME=admin", "OS_PASSWORD=" + k.AdminPassword,
		"OS_PROJECT_NAME=admin", "OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default", "OS_REGION_NAME=" + Region,
	}
}

// Identity is an admin client of the identity API.
func (k *Keystone) Identity(ctx context.Context) (*gophercloud.ServiceClient, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.admin != nil {
		return k.admin, nil
	}
	pc, err := openstack.AuthenticatedClient(ctx, k.AdminAuth())
	if err != nil {
		return nil, err
	}
	sc, err := openstack.NewIdentityV3(pc, gophercloud.EndpointOpts{Region: Region})
	if err != nil {
		return nil, err
	}
	k.admin = sc
	return sc, nil
}

// RegisterService puts a service and its public and internal endpoints
// (both url) into the catalog, as a devstack plugin does for Tacker.
func (k *Keystone) RegisterService(ctx context.Context, name, serviceType, url string) error {
	id, err := k.Identity(ctx)
	if err != nil {
		return err
	}
	svc, err := services.Create(ctx, id, services.CreateOpts{Type: serviceType, Extra: map[string]any{"name": name}}).Extract()
	if err != nil {
		return err
	}
	for _, iface := range []gophercloud.Availability{gophercloud.AvailabilityPublic, gophercloud.AvailabilityInternal} {
		if _, err := endpoints.Create(ctx, id, endpoints.CreateOpts{
			Availability: iface, Name: name, Region: Region, URL: url, ServiceID: svc.ID,
		}).Extract(); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser makes a project and a user with the member role on it, like
// devstack's nfv_user in nfv.
func (k *Keystone) CreateUser(ctx context.Context, project, name, password string) error {
	id, err := k.Identity(ctx)
	if err != nil {
		return err
	}
	p, err := projects.Create(ctx, id, projects.CreateOpts{Name: project, DomainID: "default"}).Extract()
	if err != nil {
		return err
	}
	u, err := users.Create(ctx, id, users.CreateOpts{Name: name, DomainID: "default", Password: password, DefaultProjectID: p.ID}).Extract()
	if err != nil {
		return err
	}
	var roleID string
	err = roles.List(id, roles.ListOpts{Name: "member"}).EachPage(ctx, func(_ context.Context, page pagination.Page) (bool, error) {
		rs, err := roles.ExtractRoles(page)
		if len(rs) > 0 {
			roleID = rs[0].ID
		}
		return false, err
	})
	if err != nil {
		return err
	}
	if roleID == "" {
		return errors.New("keystone has no member role")
	}
	return roles.Assign(ctx, id, roleID, roles.AssignOpts{UserID: u.ID, ProjectID: p.ID}).ExtractErr()
}

// Validate asks Keystone whether a token is valid and for which project,
// as keystonemiddleware does in front of Tacker.
func (k *Keystone) Validate(token string) (projectID string, ok bool) {
	k.validatedLock.Lock()
	if p, ok := k.validated[token]; ok {
		k.validatedLock.Unlock()
		return p, true
	}
	k.validatedLock.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := k.Identity(ctx)
	if err != nil {
		return "", false
	}
	p, err := tokens.Get(ctx, id, token).ExtractProject()
	if err != nil || p == nil {
		return "", false
	}
	k.validatedLock.Lock()
	defer k.validatedLock.Unlock()
	if k.validated == nil {
		k.validated = map[string]string{}
	}
	k.validated[token] = p.ID
	return p.ID, true
}
