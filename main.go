package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/tacker-cilium/tacker-cilium/stacks"
)

func main() { pulumi.Run(stacks.Program) }
