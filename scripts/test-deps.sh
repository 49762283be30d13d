#!/usr/bin/env bash
# Installs what the test suites need on a fresh machine, and is quick when
# everything is already there. Debian packages via apt-get; Go modules via
# the Go module proxy (go mod download).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# The git CLI and git http-backend for the git trigger's tests
# (internal/trigger/triggertest serves repositories over smart HTTP).
command -v git >/dev/null 2>&1 || need_apt+=(git)
# A real Prometheus for the metric-source and canary-analysis tests.
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
# A real Alertmanager sending to gennaker's incident webhook (test/incidents).
[ -x /usr/bin/prometheus-alertmanager ] || need_apt+=(prometheus-alertmanager)
# A real headless Chromium, node and npm for the web UI's end-to-end test (test/ui).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# A real PostgreSQL 15 for the PostgreSQL store's tests (test/pgenv starts it
# itself in a temporary directory; the cluster the package may create and
# start on port 5432 is not used).
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

# PostgreSQL refuses to run as root: as root, test/pgenv runs initdb and
# postgres as this unprivileged system user (without it, as nobody).
if [ "$(id -u)" -eq 0 ] && ! id gennaker-test >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gennaker-test
fi

go mod download
# A real Kubernetes control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler, etcd, kwok) for test/k8senv, built from the Go module proxy
# into ${GENNAKER_K8S_CACHE:-$HOME/.cache/gennaker/k8s}; about a second when
# already built, 5-8 minutes cold.
./scripts/k8s/build.sh

# A real OpenID Connect provider (zitadel/oidc's example OP, with our client,
# users and a groups claim) for the login tests (test/oidcenv), built from the
# Go module proxy into ${GENNAKER_OIDC_CACHE:-$HOME/.cache/gennaker/oidc};
# about 0.1s when already built, 15s-2.5 minutes cold.
./scripts/oidc/build.sh

# playwright-core, pinned by test/ui/package-lock.json (drives /usr/bin/chromium; downloads no browser).
[ -d test/ui/node_modules/playwright-core ] || (cd test/ui && npm ci --no-audit --no-fund)
echo "test dependencies ready"
