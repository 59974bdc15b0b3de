package stacks

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// aioHost makes the existing host a single-node cluster over SSH.
func aioHost(ctx *pulumi.Context, cfg *Config) (*target, error) {
	return nil, errors.New("aio host mode: not built yet")
}
