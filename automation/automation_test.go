package automation_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tacker-cilium/tacker-cilium/automation"
)

// What CI gates on: 0 when all went well and nothing drifted, 2 on drift,
// 1 on any error (an error wins over drift).
func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		sum  *automation.Summary
		err  error
		want int
	}{
		{&automation.Summary{}, nil, 0},
		{&automation.Summary{Drifted: true}, nil, 2},
		{&automation.Summary{Drifted: true}, errors.New("boom"), 1},
		{nil, errors.New("boom"), 1},
		{nil, nil, 0},
	} {
		if got := automation.ExitCode(c.sum, c.err); got != c.want {
			t.Errorf("ExitCode(%+v, %v) = %d, want %d", c.sum, c.err, got, c.want)
		}
	}
}

// Problems that need no engine are reported before any is started.
func TestOpenRefusesEarly(t *testing.T) {
	ctx := context.Background()
	root := smokeProject(t)
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "")
	t.Setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "")
	_, err := automation.Open(ctx, automation.Options{Stack: "dev", Root: root})
	if err == nil || !strings.Contains(err.Error(), "PULUMI_CONFIG_PASSPHRASE") {
		t.Errorf("no passphrase: got %v", err)
	}
	_, err = automation.Open(ctx, automation.Options{Stack: "nosuch", Root: root})
	if err == nil || !strings.Contains(err.Error(), "Pulumi.nosuch.yaml") {
		t.Errorf("unknown stack: got %v", err)
	}
	_, err = automation.Open(ctx, automation.Options{Root: root})
	if err == nil {
		t.Error("no stack: no error")
	}
}
