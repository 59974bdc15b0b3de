// Command pulumi-resource-tacker is the Pulumi provider plugin of Tacker.
// The engine starts it; Pulumi.yaml's plugins.providers entry points the
// engine at the directory it is built into (make plugin).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/provider"
)

func main() {
	prov, err := provider.New()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-tacker: %v\n", err)
		os.Exit(1)
	}
	if err := prov.Run(context.Background(), provider.Name, provider.Version); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-tacker: %v\n", err)
		os.Exit(1)
	}
}
