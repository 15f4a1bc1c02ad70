#!/usr/bin/env bash
# Runs every test of the project against real services, on a fresh machine:
# makes sure Mosquitto listens on 127.0.0.1:1883 and that influxd 1.8.10,
# mailpit, nats-server and Chromium are installed (tests start their own
# influxd, mailpit and nats-server on temporary ports) and axe-core (npm) is cached,
# then runs `go test ./...`. Idempotent; fails (never skips) when a service
# cannot be had. Extra arguments go to `go test` (e.g. -run, -v).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test.sh] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq >/dev/null; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# 1. Mosquitto (broker and clients), listening on 127.0.0.1:1883.
if ! command -v mosquitto_pub >/dev/null || ! command -v mosquitto >/dev/null; then
  log "installing mosquitto and mosquitto-clients (Debian)"
  apt_install mosquitto mosquitto-clients
fi
if ! port_open 1883; then
  log "starting mosquitto on 127.0.0.1:1883"
  conf=/etc/mosquitto/mosquitto.conf
  if [ -f "$conf" ]; then mosquitto -d -c "$conf"; else mosquitto -d -p 1883; fi
  for _ in $(seq 1 50); do port_open 1883 && break; sleep 0.1; done
fi
port_open 1883 || { log "FAIL: no MQTT broker on 127.0.0.1:1883"; exit 1; }

# 2. influxd 1.8.10 (built once from source, cached in GOPATH/bin).
GOBIN_DIR="$(go env GOPATH | cut -d: -f1)/bin"
export PATH="$GOBIN_DIR:$PATH"
# `go install` leaves `influxd version` saying "unknown": ask the binary's
# build information for the module version instead.
influxd_ok() { [ -x "$GOBIN_DIR/influxd" ] && go version -m "$GOBIN_DIR/influxd" 2>/dev/null | grep -Eq '^\s+mod\s+github.com/influxdata/influxdb\s+v1\.8\.10\b'; }
if ! influxd_ok; then
  log "building influxd 1.8.10 (once, about 2-3 minutes)"
  GOFLAGS=-buildvcs=false go install github.com/influxdata/influxdb/cmd/influxd@v1.8.10
fi
influxd_ok || { log "FAIL: influxd 1.8.10 not available in $GOBIN_DIR"; exit 1; }
export BALANCE_INFLUXD="$GOBIN_DIR/influxd"

# 3. mailpit (SMTP server with an HTTP API) for the e-mail tests.
if ! command -v mailpit >/dev/null; then
  log "installing mailpit v1.33.1"
  GOFLAGS=-buildvcs=false go install github.com/axllent/mailpit@v1.33.1
fi
command -v mailpit >/dev/null || { log "FAIL: mailpit not available"; exit 1; }
export BALANCE_MAILPIT="$(command -v mailpit)"

# 4. Headless Chromium for the dashboard's end-to-end tests (Debian package).
if ! command -v chromium >/dev/null; then
  log "installing chromium (Debian)"
  apt_install chromium
fi
command -v chromium >/dev/null || { log "FAIL: chromium not available"; exit 1; }
export BALANCE_CHROMIUM="$(command -v chromium)"

# The compose healthcheck tests run the images' own probe, wget.
if ! command -v wget >/dev/null; then
  log "installing wget (Debian)"
  apt_install wget
fi
command -v wget >/dev/null || { log "FAIL: wget not available"; exit 1; }

# 5. axe-core (npm) for the accessibility checks run inside Chromium,
# installed once into a cache directory outside the checkout.
AXE_VERSION=4.14.1
AXE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/balance-test/axe-core-$AXE_VERSION"
AXE_JS="$AXE_DIR/node_modules/axe-core/axe.min.js"
if [ ! -s "$AXE_JS" ]; then
  command -v npm >/dev/null || { log "installing npm (Debian)"; apt_install npm; }
  log "installing axe-core $AXE_VERSION (npm)"
  mkdir -p "$AXE_DIR"
  npm install --prefix "$AXE_DIR" --no-audit --no-fund --silent "axe-core@$AXE_VERSION" >/dev/null
fi
[ -s "$AXE_JS" ] || { log "FAIL: axe-core not available at $AXE_JS"; exit 1; }
export BALANCE_AXE="$AXE_JS"

# 6. PostgreSQL for the postgres state store's tests (the machine's server,
# started by the CI machine; each test creates and drops its own database).
export BALANCE_TEST_POSTGRES="${BALANCE_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
if [ "$BALANCE_TEST_POSTGRES" = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" ] && ! port_open 5432; then
  log "FAIL: no PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth); start it or set BALANCE_TEST_POSTGRES"; exit 1
fi

# 7. nats-server 2.15.3 (pure Go, cached in GOPATH/bin) for the clustered
# message layer's tests (natsingest starts its own 3-node cluster). A
# distribution's older nats-server on PATH does not count: the tests need
# consumer reset (2.14+).
nats_ok() { [ -x "$GOBIN_DIR/nats-server" ] && go version -m "$GOBIN_DIR/nats-server" 2>/dev/null | grep -Eq '^\s+mod\s+github.com/nats-io/nats-server/v2\s+v2\.15\.3\b'; }
if ! nats_ok; then
  log "installing nats-server v2.15.3"
  GOFLAGS=-buildvcs=false go install github.com/nats-io/nats-server/v2@v2.15.3
fi
nats_ok || { log "FAIL: nats-server v2.15.3 not available in $GOBIN_DIR"; exit 1; }
export BALANCE_NATS_SERVER="$GOBIN_DIR/nats-server"

export BALANCE_TEST_MQTT="tcp://127.0.0.1:1883"
log "services ready; running go test ./..."
go test -count=1 -timeout 30m "$@" ./...
# The fault matrix (about 1.5 min): balance, InfluxDB and Mosquitto killed
# in turn under load, every acknowledged sample stored once.
if [ "$#" -eq 0 ]; then
  log "fault matrix"
  go test -count=1 -timeout 15m -tags faultmatrix -run '^TestFaultMatrix$' ./cmd/balance/
fi
