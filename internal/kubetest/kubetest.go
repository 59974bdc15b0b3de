// Package kubetest runs a real Kubernetes control plane on loopback for
// tests that drive the Pulumi engine and its Kubernetes provider: etcd,
// kube-apiserver and kube-controller-manager (so that service-account
// token Secrets get their token, namespaces finalize and foreground
// deletions finish). There are no nodes: nothing is scheduled, so tests
// create objects and never wait for pods.
//
//	c := kubetest.Start(t)        // stopped by t.Cleanup
//	c.Kubeconfig                  // admin kubeconfig (YAML, certs embedded)
//	c.Do(ctx, "GET", "/api/v1/namespaces", nil)
//
// The binaries come from scripts/tools.sh (etcd from Debian's etcd-server,
// kube-apiserver and kube-controller-manager built at the version matrix's
// Kubernetes release).
package kubetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// ServiceCIDR is the cluster's service range; its first address is the
// in-cluster API service, which the serving cert covers.
const ServiceCIDR = "10.0.0.0/24"

// StartTimeout bounds how long the control plane may take to come up.
var StartTimeout = 2 * time.Minute

// Binaries are the programs a cluster runs.
type Binaries struct {
	Etcd, APIServer, ControllerManager string
}

// Cluster is a running control plane.
type Cluster struct {
	// Server is the API server's URL, https://127.0.0.1:PORT.
	Server string
	// Kubeconfig is an admin kubeconfig (user in system:masters) with the
	// CA and client certificate embedded: what a Pulumi kubernetes provider
	// or a bring-your-own-cluster stack's kubeconfig config takes.
	Kubeconfig string
	// KubeconfigPath is the same kubeconfig as a file.
	KubeconfigPath string
	// CACert is the PEM of the CA that signed the serving certificate.
	CACert []byte
	// Dir holds certs, etcd's data and one log file per process.
	Dir string

	client *http.Client
	mu     sync.Mutex
	procs  []*proc
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// Start runs a control plane for the test and stops it when the test ends.
// A missing binary fails the test and names scripts/tools.sh. When the test
// failed, the tail of each component's log is logged.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin := Binaries{
		Etcd:              tooltest.Path(t, "etcd"),
		APIServer:         tooltest.Path(t, "kube-apiserver"),
		ControllerManager: tooltest.Path(t, "kube-controller-manager"),
	}
	c, err := New(t.TempDir(), bin)
	if c != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Log(c.LogTails(40))
			}
			if err := c.Stop(); err != nil {
				t.Errorf("kubetest: stop: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return c
}

// New starts a control plane with its files under dir and returns once the
// API server is ready and the controller manager has created the default
// namespace's service account. On error, what was started is left for
// Stop (the returned Cluster is non-nil when anything was started).
func New(dir string, bin Binaries) (*Cluster, error) {
	serviceIP := net.IPv4(10, 0, 0, 1)
	p, err := newPKI(serviceIP)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, CACert: p.caCert}
	files := map[string][]byte{
		"ca.crt": p.caCert, "ca.key": p.caKey,
		"apiserver.crt": p.serverCert, "apiserver.key": p.serverKey,
		"admin.crt": p.adminCert, "admin.key": p.adminKey,
		"sa.key": p.saKey, "sa.pub": p.saPub,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort, kcmPort := ports[0], ports[1], ports[2], ports[3]
	c.Server = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	c.Kubeconfig = kubeconfig(c.Server, p)
	c.KubeconfigPath = filepath.Join(dir, "admin.kubeconfig")
	if err := os.WriteFile(c.KubeconfigPath, []byte(c.Kubeconfig), 0o600); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caCert)
	pair, err := tls.X509KeyPair(p.adminCert, p.adminKey)
	if err != nil {
		return nil, err
	}
	c.client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
		}},
	}

	f := func(name string) string { return filepath.Join(dir, name) }
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClient)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)
	if err := c.spawn("etcd", bin.Etcd,
		"--name=kubetest",
		"--data-dir="+f("etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--initial-cluster-state=new",
		"--logger=zap", "--log-outputs=stderr",
	); err != nil {
		return c, err
	}
	if err := c.spawn("kube-apiserver", bin.APIServer,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+f("apiserver-certs"),
		"--tls-cert-file="+f("apiserver.crt"),
		"--tls-private-key-file="+f("apiserver.key"),
		"--client-ca-file="+f("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+f("sa.pub"),
		"--service-account-signing-key-file="+f("sa.key"),
		"--service-cluster-ip-range="+ServiceCIDR,
		"--authorization-mode=RBAC",
		// No node runs here: nothing would keep the kubernetes Endpoints
		// fresh, and a reconciler pointing at 127.0.0.1 is refused.
		"--endpoint-reconciler-type=none",
		// Cilium's DaemonSet is privileged.
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
	); err != nil {
		return c, err
	}
	if err := c.waitFor("kube-apiserver /readyz", func(ctx context.Context) (bool, error) {
		code, _, err := c.Do(ctx, http.MethodGet, "/readyz", nil)
		return err == nil && code == http.StatusOK, nil
	}); err != nil {
		return c, err
	}
	if err := c.spawn("kube-controller-manager", bin.ControllerManager,
		"--kubeconfig="+c.KubeconfigPath,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(kcmPort),
		"--cert-dir="+f("kcm-certs"),
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		// Tokens of kubernetes.io/service-account-token Secrets, the default
		// service account, namespace finalization, the garbage collector
		// that finishes foreground deletions (the provider deletes that
		// way), and DaemonSet status (rollout checks read it).
		"--controllers=serviceaccount-token-controller,serviceaccount-controller,namespace-controller,garbage-collector-controller,daemonset-controller",
		"--service-account-private-key-file="+f("sa.key"),
		"--root-ca-file="+f("ca.crt"),
	); err != nil {
		return c, err
	}
	if err := c.waitFor("the default service account (kube-controller-manager running)", func(ctx context.Context) (bool, error) {
		code, _, err := c.Do(ctx, http.MethodGet, "/api/v1/namespaces/default/serviceaccounts/default", nil)
		return err == nil && code == http.StatusOK, nil
	}); err != nil {
		return c, err
	}
	return c, nil
}

// Do sends one request to the API server as the admin. body, when not nil,
// is sent as JSON (a []byte as it is). It returns the status and the body.
func (c *Cluster) Do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return 0, nil, err
			}
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// Stop ends every process (controller manager, API server, etcd, in that
// order): SIGTERM, then SIGKILL after ten seconds. It is safe to call twice.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	procs := c.procs
	c.procs = nil
	c.mu.Unlock()
	var errs []error
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		select {
		case <-p.done:
			continue // already gone (its exit was reported where it mattered)
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			errs = append(errs, fmt.Errorf("%s ignored SIGTERM for 10s and was killed", p.name))
		}
	}
	return errors.Join(errs...)
}

// LogTails returns the last n lines of each component's log.
func (c *Cluster) LogTails(n int) string {
	var b strings.Builder
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		data, err := os.ReadFile(filepath.Join(c.Dir, name+".log"))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		fmt.Fprintf(&b, "--- %s.log (last %d lines)\n%s\n", name, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

func (c *Cluster) spawn(name, path string, args ...string) error {
	logPath := filepath.Join(c.Dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return nil
}

// waitFor polls ready until it holds, a process dies or StartTimeout passes.
func (c *Cluster) waitFor(what string, ready func(context.Context) (bool, error)) error {
	deadline := time.Now().Add(StartTimeout)
	for {
		c.mu.Lock()
		procs := c.procs
		c.mu.Unlock()
		for _, p := range procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited (%v) while waiting for %s; its log:\n%s", p.name, p.err, what, tail(p.log, 30))
			default:
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok, err := ready(ctx)
		cancel()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s\n%s", StartTimeout, what, c.LogTails(20))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func kubeconfig(server string, p *pki) string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetest
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: kubetest-admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kubetest
  context:
    cluster: kubetest
    user: kubetest-admin
    namespace: default
current-context: kubetest
`, server, b64(p.caCert), b64(p.adminCert), b64(p.adminKey))
}
