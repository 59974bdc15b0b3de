# Everything runs offline but for Debian's apt and the Go module proxy.
STACK ?= multinode
OUT   ?= out

.PHONY: all plugin tools test unit render bench vet lint
all: plugin vet test

# The Tacker provider plugin, where Pulumi.yaml (plugins.providers) points.
plugin:
	go build -o bin/pulumi-resource-tacker ./cmd/pulumi-resource-tacker

# Installs and builds the tools the tests drive (cached by version in .tools/).
tools:
	scripts/tools.sh

# The whole suite: unit tests on Pulumi mocks, every rendered artifact
# through the real tool that consumes it, and the stacks on the real Pulumi
# engine against a loopback kube-apiserver and Tacker stand-in (those tests
# build the CLI and the Tacker plugin themselves: from a cold build cache
# that alone can take most of go test's default 10 minutes).
test: tools
	go vet ./...
	go test -count=1 -timeout 30m ./...

unit:
	go test ./components/... ./stacks/... ./internal/...

render:
	go run ./cmd/tacker-cilium render --stack $(STACK) --out $(OUT)

# Render per stack, program evaluation per node, and the engine's timings.
bench: tools
	scripts/bench.sh

lint:
	test -z "$$(gofmt -l .)"
	shellcheck -s bash scripts/*.sh cloud-init/*.sh .ci/run
