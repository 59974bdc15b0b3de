// Package tacker proves the Tacker provider against real OpenStack tools:
// a real Keystone (Debian's, on PostgreSQL, under uwsgi) that issues the
// tokens and holds the catalog, the loopback Tacker stand-in registered in
// that catalog as nfv-orchestration, and python-tackerclient's
// `openstack vim register` as the reference for what goes on the wire.
package tacker

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/keystonetest"
	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
)

// cloud is one Keystone and one stand-in for the whole package: a catalog
// holds one nfv-orchestration endpoint per region, and Keystone takes
// about 15 seconds to start.
var cloud struct {
	once     sync.Once
	keystone *keystonetest.Keystone
	tacker   *tackertest.Server
	took     time.Duration
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cloud.tacker != nil {
		cloud.tacker.Close()
	}
	cloud.keystone.Stop()
	os.Exit(code)
}

// openstack starts Keystone and the stand-in on first use. A missing tool
// fails the test, naming scripts/tools.sh.
func openstack(t *testing.T) (*keystonetest.Keystone, *tackertest.Server) {
	t.Helper()
	cloud.once.Do(func() {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		k, err := keystonetest.Start(ctx)
		if err != nil {
			cloud.err = err
			return
		}
		cloud.keystone = k
		// Tacker sits behind keystonemiddleware: only tokens Keystone
		// validates get through, and they name the project.
		s := &tackertest.Server{Authorize: k.Validate}
		if err := s.Start("127.0.0.1:0"); err != nil {
			cloud.err = err
			return
		}
		cloud.tacker = s
		if err := k.RegisterService(ctx, "tacker", "nfv-orchestration", s.URL); err != nil {
			cloud.err = err
			return
		}
		if err := k.CreateUser(ctx, "nfv", "nfv_user", "nfv-password"); err != nil {
			cloud.err = err
			return
		}
		cloud.took = time.Since(start)
	})
	if cloud.err != nil {
		t.Fatalf("keystone on loopback: %v", cloud.err)
	}
	t.Logf("keystone %s up in %s (%v)", cloud.keystone.URL, cloud.took.Round(time.Millisecond), cloud.keystone.Timings)
	cloud.tacker.Reset()
	return cloud.keystone, cloud.tacker
}
