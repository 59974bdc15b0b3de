package kubetest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tacker-cilium/tacker-cilium/internal/kubetest"
)

// The control plane is real enough for a Tacker VIM: a token Secret of a
// service account gets its token and CA from the controller manager, and
// the token authenticates as that service account against the API server.
func TestServiceAccountTokenSecretIsFilled(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	mustDo := func(method, path string, body any, want int) []byte {
		t.Helper()
		code, data, err := c.Do(ctx, method, path, body)
		if err != nil || code != want {
			t.Fatalf("%s %s: %d %v: %s", method, path, code, err, data)
		}
		return data
	}
	mustDo(http.MethodPost, "/api/v1/namespaces/default/serviceaccounts",
		map[string]any{"metadata": map[string]any{"name": "tacker"}}, http.StatusCreated)
	mustDo(http.MethodPost, "/api/v1/namespaces/default/secrets", map[string]any{
		"metadata": map[string]any{
			"name":        "tacker-token",
			"annotations": map[string]string{"kubernetes.io/service-account.name": "tacker"},
		},
		"type": "kubernetes.io/service-account-token",
	}, http.StatusCreated)

	var secret struct {
		Data map[string][]byte `json:"data"`
	}
	for {
		if err := json.Unmarshal(mustDo(http.MethodGet, "/api/v1/namespaces/default/secrets/tacker-token", nil, http.StatusOK), &secret); err != nil {
			t.Fatal(err)
		}
		if len(secret.Data["token"]) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("token never filled: %v\n%s", secret.Data, c.LogTails(20))
		case <-time.After(200 * time.Millisecond):
		}
	}
	if string(secret.Data["ca.crt"]) != string(c.CACert) {
		t.Errorf("ca.crt of the token Secret is not the cluster's CA:\n%s", secret.Data["ca.crt"])
	}

	// The token is accepted by the API server as the service account.
	review := mustDo(http.MethodPost, "/apis/authentication.k8s.io/v1/tokenreviews", map[string]any{
		"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
		"spec": map[string]any{"token": string(secret.Data["token"])},
	}, http.StatusCreated)
	if !strings.Contains(string(review), `"username":"system:serviceaccount:default:tacker"`) {
		t.Errorf("token not authenticated as the service account: %s", review)
	}

	if !strings.Contains(c.Kubeconfig, "server: "+c.Server) || !strings.HasPrefix(c.Server, "https://127.0.0.1:") {
		t.Errorf("kubeconfig does not point at the loopback server %s:\n%s", c.Server, c.Kubeconfig)
	}
}

// A namespace deleted with foreground propagation, as the Pulumi provider
// deletes, goes away: the namespace and garbage-collector controllers run.
func TestNamespaceDeletionFinishes(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if code, data, err := c.Do(ctx, http.MethodPost, "/api/v1/namespaces",
		map[string]any{"metadata": map[string]any{"name": "doomed"}}); err != nil || code != http.StatusCreated {
		t.Fatalf("create: %d %v %s", code, err, data)
	}
	if code, data, err := c.Do(ctx, http.MethodPost, "/api/v1/namespaces/doomed/configmaps",
		map[string]any{"metadata": map[string]any{"name": "inside"}}); err != nil || code != http.StatusCreated {
		t.Fatalf("create configmap: %d %v %s", code, err, data)
	}
	if code, data, err := c.Do(ctx, http.MethodDelete, "/api/v1/namespaces/doomed",
		map[string]any{"propagationPolicy": "Foreground"}); err != nil || code != http.StatusOK {
		t.Fatalf("delete: %d %v %s", code, err, data)
	}
	for {
		code, data, err := c.Do(ctx, http.MethodGet, "/api/v1/namespaces/doomed", nil)
		if err == nil && code == http.StatusNotFound {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("namespace still there: %d %v %s", code, err, data)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
