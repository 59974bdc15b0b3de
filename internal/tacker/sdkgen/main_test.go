package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// The SDK the components compile against is what the plugin serves.
func TestSDKIsCurrent(t *testing.T) {
	files, err := Generate(t.Context())
	require.NoError(t, err)
	require.Contains(t, files, filepath.Join("go", "tacker", "vim.go"))
	stale := Stale(filepath.Join(tooltest.Root(t), "sdk"), files)
	require.Empty(t, stale, "sdk/ is stale: run go run ./internal/tacker/sdkgen")
}
