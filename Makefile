# mirrorlab — build, test, lint, bench.
# Privileged tests (namespaces, veth, AF_PACKET) need root; they skip without
# it unless MIRRORLAB_REQUIRE_PRIVILEGED=1, where a skip is a failure.

GO            ?= go
BIN           := $(CURDIR)/bin
STATICCHECK   := $(BIN)/staticcheck
STATICCHECK_V := v0.8.2
ACTIONLINT    := $(BIN)/actionlint
ACTIONLINT_V  := v1.7.12
TEST_FLAGS    ?= -count=1 -timeout 20m
# Debian packages used by some tests and scenarios: command:package
# (chromium: the HTML report is rendered and screenshotted in a test;
# /usr/bin/aws: Debian's aws CLI v2, for the serve end-to-end test, beside
# the v1 that pip may have put first on the PATH).
DEB_DEPS      := ip:iproute2 tc:iproute2 tcpdump:tcpdump tshark:tshark chromium:chromium /usr/bin/aws:awscli

.PHONY: all build generate test test-unit test-privileged test-terraform test-terraform-acceptance lint lint-actions bench bench-deps clean deps

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/...

## generate: rebuild the committed eBPF objects and their Go bindings
## (internal/dataplane/internal/kpath) from C; needs clang, llvm and libbpf-dev (Debian 12's
## clang 14 reproduces the committed object byte for byte). Run it after
## editing bpf/: TestConstantsMatchObject fails while kpath.h and the
## object disagree.
generate:
	$(GO) generate ./internal/dataplane/internal/kpath/

## deps: install the Debian packages that tests use, when missing (needs root
## and apt-get; elsewhere it only reports what is missing).
deps:
	@missing=""; for pair in $(DEB_DEPS); do \
		cmd=$${pair%%:*}; pkg=$${pair##*:}; \
		command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "warning: missing Debian packages:$$missing (tests that need them fail under MIRRORLAB_REQUIRE_PRIVILEGED=1)"; \
	fi

## test: every test, unit and privileged (run as root for the privileged ones).
test: deps
	$(GO) test $(TEST_FLAGS) ./...

## test-unit: only the tests that need no root.
test-unit:
	$(GO) test $(TEST_FLAGS) -short ./...

## test-privileged: only the privileged suites, run as root.
test-privileged: deps
	MIRRORLAB_REQUIRE_PRIVILEGED=1 $(GO) test $(TEST_FLAGS) -run 'Privileged|Scenarios' ./...

## test-terraform: the Terraform example (examples/terraform) applied, planned
## and destroyed for real against mirrorlab serve, with and without a lab
## (opt-in, not part of make test; the lab part needs root). The AWS provider
## and OpenTofu are built from the Go module proxy into TF_CACHE when missing
## (about 30 minutes the first time); TF_TOOL=terraform uses the terraform on
## the PATH instead of building OpenTofu.
TF_CACHE      ?= $${XDG_CACHE_HOME:-$$HOME/.cache}/mirrorlab/terraform
TF_TOOL       ?= tofu
TF_PROVIDER_V := v1.60.1-0.20260602190131-5f2286d6d836
TOFU_V        := v1.12.6
test-terraform: deps
	@TF_CACHE="$(TF_CACHE)" TF_PROVIDER_V=$(TF_PROVIDER_V) TOFU_V=$(TOFU_V) TF_TOOL=$(TF_TOOL) GO="$(GO)" sh examples/terraform/tools.sh
	MIRRORLAB_TERRAFORM=1 MIRRORLAB_TF_BIN="$(TF_CACHE)/bin" MIRRORLAB_TF_TOOL=$(TF_TOOL) $(GO) test $(TEST_FLAGS) -v -run '^TestTerraform' ./examples/terraform/

## test-terraform-acceptance: terraform-provider-aws's own acceptance tests
## of the four traffic-mirror resources (TestAccVPCTrafficMirror*), unmodified,
## with OpenTofu against mirrorlab serve --empty --no-lab, in a network
## namespace with only loopback; prints a table (test, PASS/FAIL/SKIP, first
## error) and fails unless every test passes (a SKIP is a missing action).
## Opt-in, not part of make test. The provider's test binary and OpenTofu are
## built into TF_CACHE when missing (70 minutes and ~10 GB of memory on 2 cores).
test-terraform-acceptance:
	@TF_CACHE="$(TF_CACHE)" TF_PROVIDER_V=$(TF_PROVIDER_V) TOFU_V=$(TOFU_V) GO="$(GO)" sh examples/terraform/acceptance.sh

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_V)

$(ACTIONLINT):
	GOBIN=$(BIN) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_V)

lint: $(STATICCHECK) lint-actions
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null || { echo "go mod tidy needed:"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

## lint-actions: the GitHub workflows (and the inputs they pass to action.yml)
## checked by actionlint.
lint-actions: $(ACTIONLINT)
	$(ACTIONLINT) .github/workflows/*.yml

## bench: Go benchmarks, five runs each (compare with benchstat).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./... | tee bench.txt

## bench-deps: the peer agent of `mirrorlab bench`, GoReplay (needs cgo and
## Debian's libpcap-dev). Never part of `make test`: without it the bench
## reports the peer's figures as not measured, with the reason.
GOREPLAY_V := v1.3.2
bench-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! dpkg -s libpcap-dev >/dev/null 2>&1; then \
		echo "installing: libpcap-dev gcc"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libpcap-dev gcc >/dev/null; \
	fi
	CGO_ENABLED=1 $(GO) install github.com/buger/goreplay@$(GOREPLAY_V)

clean:
	rm -rf $(BIN) bench.txt
