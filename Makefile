# gennaker's two commands:
#   make demo   run the demo (same as: go run ./cmd/gennaker demo)
#   make test   install what the tests need, then run every suite (never skips one)

GO ?= go
export GENNAKER_REQUIRE_ALL := 1
# gennaker is pure Go. Without cgo the binary is static and kustomize's Go
# plugin loader (the plugin package) stays out: with cgo it is 34 MB larger
# and idles at ~80 MiB instead of ~63 (docs/benchmarks.md, footprint).
export CGO_ENABLED := 0

.PHONY: demo test test-deps build vet unit integration bench fuzz

demo:
	$(GO) run ./cmd/gennaker demo

test: test-deps vet unit integration

test-deps:
	./scripts/test-deps.sh

build:
	$(GO) build ./...

vet: build
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal test bench)" || (echo "gofmt would change:"; gofmt -l cmd internal test bench; exit 1)

# Unit and package tests (real SQLite, real child processes, real proxy).
unit:
	$(GO) test -count=1 ./cmd/... ./internal/... ./bench/...

# Suites that run the gennaker binary as a real server process: the crash
# tests, the deploy integration tests, the CLI end-to-end scripts, the
# security attacks, the Kubernetes control plane and the browser tests, and
# the fault injection (test/faults: failing and polled webhooks, another
# process holding SQLite's write lock under 200 clients' load), and the HA
# suite (test/ha: two replicas on PostgreSQL, one killed 20 times).
# One package at a time (-p 1): the crash tests bound how soon a restarted
# server resumes, and a second package's servers on the same 2 cores make
# those bounds a coin flip.
integration:
	$(GO) test -count=1 -p 1 -timeout 20m ./test/...

# bench/k8srollback needs the Kubernetes binaries that test-deps builds.
bench:
	$(GO) run ./bench/engine
	$(GO) run ./bench/footprint
	$(GO) run ./bench/rollback
	$(GO) run ./bench/k8srollback
	$(GO) test -run '^$$' -bench ProxyVsDirect -benchtime 1x ./internal/provider/local

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./internal/config
	$(GO) test -run '^$$' -fuzz FuzzHookPayload -fuzztime 60s ./internal/api
	$(GO) test -run '^$$' -fuzz FuzzWebhook -fuzztime 60s ./internal/incident
	$(GO) test -run '^$$' -fuzz FuzzParseSelector -fuzztime 60s ./internal/slo/prom
