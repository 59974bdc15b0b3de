package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/kubetest"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// node registers a Node as a kubelet would: providerID in its spec, the
// Ready condition (when not empty) in its status.
func node(t *testing.T, ctx context.Context, c *kubetest.Cluster, name, providerID, ready string) {
	t.Helper()
	code, body, err := c.Do(ctx, http.MethodPost, "/api/v1/nodes", map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"providerID": providerID},
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, code, string(body))
	if ready == "" {
		return
	}
	var obj map[string]any
	require.NoError(t, json.Unmarshal(body, &obj))
	now := time.Now().UTC().Format(time.RFC3339)
	obj["status"] = map[string]any{"conditions": []any{map[string]any{
		"type": "Ready", "status": ready, "reason": "Test", "lastHeartbeatTime": now, "lastTransitionTime": now,
	}}}
	code, body, err = c.Do(ctx, http.MethodPut, "/api/v1/nodes/"+name+"/status", obj)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, string(body))
}

func nodeNames(t *testing.T, ctx context.Context, c *kubetest.Cluster) []string {
	t.Helper()
	code, body, err := c.Do(ctx, http.MethodGet, "/api/v1/nodes", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, string(body))
	var list struct {
		Items []struct {
			Metadata struct {
				Name              string  `json:"name"`
				DeletionTimestamp *string `json:"deletionTimestamp"`
			} `json:"metadata"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	var names []string
	for _, n := range list.Items {
		if n.Metadata.DeletionTimestamp == nil {
			names = append(names, n.Metadata.Name)
		}
	}
	sort.Strings(names)
	return names
}

// The sweep after a scale-in, through the real kubectl against a real API
// server: only the nodes of servers Tacker no longer lists that are not
// Ready go; a healed node (old id, Ready again) and nodes without an
// OpenStack provider id stay.
func TestNodeSweepDeletesOnlyNodesOfGoneServers(t *testing.T) {
	kubectl := tooltest.Path(t, "kubectl")
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	node(t, ctx, c, "k8s-cp-0", "openstack:///11111111-aaaa", "True")
	node(t, ctx, c, "k8s-worker-live", "openstack:///22222222-bbbb", "True")
	node(t, ctx, c, "k8s-worker-scaled-in", "openstack:///33333333-cccc", "Unknown")
	node(t, ctx, c, "k8s-worker-never-ready", "openstack:///44444444-dddd", "")
	node(t, ctx, c, "k8s-worker-healed", "openstack:///55555555-eeee", "True")
	node(t, ctx, c, "laptop", "", "False")

	cmd := exec.CommandContext(ctx, "bash", "node-sweep.sh")
	cmd.Env = append(cmd.Environ(),
		"KUBECTL="+kubectl+" --kubeconfig="+c.KubeconfigPath,
		"LIVE_SERVERS=11111111-aaaa 22222222-bbbb 66666666-ffff",
		"GRACE=2", "INTERVAL=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	t.Logf("sweep:\n%s", out)

	require.Equal(t, []string{"k8s-cp-0", "k8s-worker-healed", "k8s-worker-live", "laptop"}, nodeNames(t, ctx, c))
	require.Contains(t, string(out), "deleted node k8s-worker-scaled-in: server 33333333-cccc is gone")
	require.Contains(t, string(out), "deleted node k8s-worker-never-ready: server 44444444-dddd is gone")
	require.Contains(t, string(out), "kept k8s-worker-healed")
	require.Equal(t, 2, strings.Count(string(out), "deleted node"))
}

func TestNodeSweepPassesShellcheck(t *testing.T) {
	out, err := tooltest.Run(t, "shellcheck", "-s", "bash", "node-sweep.sh")
	require.NoError(t, err, out)
}
