# crictl: a fast, Kubernetes-aware CLI for CRI runtimes.
GO ?= go
BIN ?= bin/crictl
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -s -w -X github.com/crictl/crictl/pkg/commands.version=$(VERSION)
PREFIX ?= /usr/local
FUZZTIME ?= 20000x
GOLANGCI_LINT ?= $(shell $(GO) env GOPATH)/bin/golangci-lint

.PHONY: all build test test-unit lint install fuzz bench clean help golden
all: build ## build bin/crictl (the default)

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# check-help fails when a target has no "## description" for make help.
check-help:
	@! grep -hE '^[a-z0-9-]+:' $(MAKEFILE_LIST) | grep -vE '^check-help:|## ' | grep . || { echo 'targets above have no "## description" for make help'; exit 1; }

build: ## build bin/crictl
	CGO_ENABLED=0 $(GO) build -trimpath -tags urfave_cli_no_docs -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/crictl

test: ## run every test: unit, command and end-to-end (e2e needs root; CI=true makes a skip a failure)
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

golden: ## rewrite golden files and docs/commands.md after a deliberate output change
	$(GO) test ./pkg/commands -count=1 -update

test-unit: ## run the tests that need no runtime
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v /test/e2e)

fuzz: ## run each fuzz target for FUZZTIME (default 20000x: an execution count)
	./hack/fuzz.sh $(FUZZTIME)

lint: check-help ## gofmt, go vet and golangci-lint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	@if [ -x "$(GOLANGCI_LINT)" ]; then $(GOLANGCI_LINT) run ./...; else echo "golangci-lint not installed: $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0"; fi

install: build ## install crictl into $(PREFIX)/bin
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/crictl

clean: ## remove build output
	rm -rf bin

-include Makefile.e2e
