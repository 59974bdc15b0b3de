package main

import (
	"strings"
	"testing"
)

func TestHelpListsEveryCommand(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		var out, errOut strings.Builder
		if code := run([]string{arg}, &out, &errOut); code != 0 {
			t.Fatalf("%s: exit %d: %s", arg, code, errOut.String())
		}
		for _, cmd := range []string{"render", "preview", "up", "refresh", "destroy", "drift"} {
			if !strings.Contains(out.String(), "\n  "+cmd+" ") {
				t.Errorf("%s does not list %s:\n%s", arg, cmd, out.String())
			}
		}
	}
}

// Usage errors exit 1, never 2: CI reads 2 as drift.
func TestUsageErrorsExitOne(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"nosuch"},
		{"drift"},
		{"drift", "--stack"},
		{"drift", "--stack", "x", "extra"},
		{"up", "--stack", "x", "--config", "novalue"},
		{"up", "--bogus"},
	} {
		var out, errOut strings.Builder
		if code := run(args, &out, &errOut); code != 1 {
			t.Errorf("%q: exit %d, want 1", args, code)
		}
	}
}
