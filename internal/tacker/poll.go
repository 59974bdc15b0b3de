package tacker

import (
	"context"
	"errors"
	"time"
)

// Polling says how often and for how long the client waits for what Tacker
// does in the background: onboarding a package, running an LCM operation.
// A zero field takes its default.
type Polling struct {
	Interval   time.Duration // between two reads; default 5s
	Onboarding time.Duration // from upload to ONBOARDED; default 10m
	// Operation bounds one LCM operation; default 1h, as instantiating a
	// Kubernetes cluster takes Tacker's own sample up to 45 minutes.
	Operation time.Duration
}

func (p Polling) withDefaults() Polling {
	if p.Interval <= 0 {
		p.Interval = 5 * time.Second
	}
	if p.Onboarding <= 0 {
		p.Onboarding = 10 * time.Minute
	}
	if p.Operation <= 0 {
		p.Operation = time.Hour
	}
	return p
}

// SetPolling changes how the client waits; zero fields keep their default.
func (c *Client) SetPolling(p Polling) { c.poll = p.withDefaults() }

// errWaitTimeout is what waitFor returns when time is up; callers turn it
// into an error that says what was still pending.
var errWaitTimeout = errors.New("timed out")

// waitFor calls check every Interval until it reports done or fails, or
// until timeout (or ctx) ends.
func (c *Client) waitFor(ctx context.Context, timeout time.Duration, check func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(c.poll.Interval)
	defer tick.Stop()
	for {
		done, err := check(ctx)
		if done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return errWaitTimeout
		case <-tick.C:
		}
	}
}

// elapsed is the time since start, rounded for a message.
func elapsed(start time.Time) time.Duration {
	d := time.Since(start)
	if d > time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}
