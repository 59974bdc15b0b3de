package cilium

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/kubetest"
	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

func apply(t *testing.T, ctx context.Context, c *kubetest.Cluster, path string, obj map[string]any) []byte {
	t.Helper()
	code, body, err := c.Do(ctx, http.MethodPost, path, obj)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, code, string(body))
	return body
}

// node registers a Node as its kubelet would, Ready or not.
func node(t *testing.T, ctx context.Context, c *kubetest.Cluster, name, ready string) {
	t.Helper()
	body := apply(t, ctx, c, "/api/v1/nodes", map[string]any{
		"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": name, "labels": map[string]any{"role": name}},
	})
	var obj map[string]any
	require.NoError(t, json.Unmarshal(body, &obj))
	now := time.Now().UTC().Format(time.RFC3339)
	obj["status"] = map[string]any{"conditions": []any{map[string]any{
		"type": "Ready", "status": ready, "reason": "Test", "lastHeartbeatTime": now, "lastTransitionTime": now,
	}}}
	code, out, err := c.Do(ctx, http.MethodPut, "/api/v1/nodes/"+name+"/status", obj)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, string(out))
}

// daemonSet is a cilium DaemonSet whose pods go to the nodes labelled role=<on>.
func daemonSet(on string) map[string]any {
	labels := map[string]any{"k8s-app": "cilium"}
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "DaemonSet",
		"metadata": map[string]any{"name": "cilium", "namespace": "kube-system", "labels": labels},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"nodeSelector": map[string]any{"role": on},
					// As the chart's: the API server taints new nodes not-ready.
					"tolerations": []any{map[string]any{"operator": "Exists"}},
					"containers":  []any{map[string]any{"name": "cilium-agent", "image": "quay.io/cilium/cilium:v1.20.2"}},
				},
			},
		},
	}
}

func runVerify(t *testing.T, ctx context.Context, c *kubetest.Cluster) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "bash", "verify.sh")
	cmd.Env = append(os.Environ(), "KUBECTL="+tooltest.Path(t, "kubectl")+" --kubeconfig="+c.KubeconfigPath, "TIMEOUT=3s")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The check after the release, with the real kubectl against a real API
// server (no kubelets: nothing runs, so Ready is what the test says): each
// failure names the pod or the node that is not ready.
func TestVerifyNamesWhatIsNotReady(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	node(t, ctx, c, "k8s-cp-0", "True")
	node(t, ctx, c, "k8s-worker-0", "False")

	// No pod is wanted anywhere: the rollout is complete, but a node is
	// not Ready.
	apply(t, ctx, c, "/apis/apps/v1/namespaces/kube-system/daemonsets", daemonSet("nowhere"))
	var out string
	var err error
	deadline := time.Now().Add(time.Minute)
	for out, err = runVerify(t, ctx, c); err == nil || containsAll(out, "did not roll out"); out, err = runVerify(t, ctx, c) {
		require.True(t, time.Now().Before(deadline), "the DaemonSet controller never observed the DaemonSet:\n%s", out)
		time.Sleep(time.Second)
	}
	require.Contains(t, out, "node k8s-worker-0: NotReady")
	require.NotContains(t, out, "node k8s-cp-0:")

	// Now a cilium pod is wanted on the control plane and never starts.
	code, body, err := c.Do(ctx, http.MethodDelete, "/apis/apps/v1/namespaces/kube-system/daemonsets/cilium", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, string(body))
	require.Eventually(t, func() bool {
		code, _, err := c.Do(ctx, http.MethodGet, "/apis/apps/v1/namespaces/kube-system/daemonsets/cilium", nil)
		return err == nil && code == http.StatusNotFound
	}, time.Minute, time.Second)
	apply(t, ctx, c, "/apis/apps/v1/namespaces/kube-system/daemonsets", daemonSet("k8s-cp-0"))
	deadline = time.Now().Add(time.Minute)
	for out, err = runVerify(t, ctx, c); err == nil || !containsAll(out, "did not roll out", "  pod cilium-"); out, err = runVerify(t, ctx, c) {
		require.True(t, time.Now().Before(deadline), "no pod named:\n%s", out)
		time.Sleep(time.Second)
	}
	require.Regexp(t, `  pod cilium-\S+ on node \S+: Pending`, out)
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
