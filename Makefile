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

# The whole suite: unit tests on Pulumi mocks, and every rendered artifact
# through the real tool that consumes it.
test: tools
	go vet ./...
	go test -count=1 ./...

unit:
	go test ./components/... ./stacks/... ./internal/...

render:
	go run ./cmd/tacker-cilium render --stack $(STACK) --out $(OUT)

bench:
	go test -run '^$$' -bench . -benchtime 5x ./stacks/

lint:
	test -z "$$(gofmt -l .)"
	shellcheck -s bash scripts/*.sh cloud-init/*.sh .ci/run
