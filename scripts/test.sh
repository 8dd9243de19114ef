#!/usr/bin/env bash
# README command 2 (and what CI runs): formatting, lints, unit and integration tests, then
# end-to-end tests in headless Chromium against the running server.
# One build of the dependencies per run: tests and the e2e server use the `ci` profile
# (release semantics, opt-level 1), clippy runs inside that same build as the workspace
# wrapper (no second, check-mode compile of every dependency), and the WebAssembly builds
# next to it. The release build is for serving and benchmarks only (scripts/serve.sh).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
started=$(date +%s)
LOG_DIR="$COHORT_CACHE/test-logs"
mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.log

# Runs "$@" in the background with its output in $LOG_DIR/$1.log; `finish NAME` waits for it
# and shows the log when it failed.
declare -A JOBS=()
background() {
  local name=$1
  shift
  ("$@") >"$LOG_DIR/$name.log" 2>&1 &
  JOBS[$name]=$!
}
finish() {
  local name=$1
  if wait "${JOBS[$name]}"; then
    step "$name: done"
  else
    step "$name: FAILED"
    tail -n 80 "$LOG_DIR/$name.log"
    return 1
  fi
}

# Chromium for the browser tests and a Chinese font for share images, in one apt run (two at
# once would fight over dpkg's lock).
install_system_packages() {
  install_cjk_font
  if [ -x /usr/bin/chromium ]; then return 0; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

install_wasm_tools_and_build() {
  install_wasm_bindgen
  with_clippy build_wasm
}

step "cargo fmt --check"
cargo fmt --all -- --check

install_rust_target
install_npm_packages
background apt install_system_packages
background wasm install_wasm_tools_and_build
# The test build also builds the server binary the browser tests run, and lints every
# workspace crate and target (tests included) with clippy on the way.
step "building the tests and the server (profile ci, with clippy)"
json="$(with_clippy cargo test --profile ci -p app -p server --features app/ssr --no-run --message-format=json-render-diagnostics)"
SERVER_BIN="$(printf '%s\n' "$json" | grep '"reason":"compiler-artifact"' | grep '"kind":\["bin"\]' \
  | grep '"name":"server"' | grep -E '"profile":\{[^}]*"test":false\}' | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)"
[ -x "$SERVER_BIN" ] || { echo "the test build reported no server binary"; exit 1; }

# The test binaries the build above made, with the package each belongs to. They are run
# directly: the time limit below then counts running only, never compiling.
# (The profile's `test` flag says what is a test harness; the target's own `test` flag is true
# for the server binary too.)
TEST_BINS="$(printf '%s\n' "$json" | grep '"reason":"compiler-artifact"' | grep -E '"profile":\{[^}]*"test":true\}' \
  | sed -n 's/.*"manifest_path":"\([^"]*\)".*"executable":"\([^"]*\)".*/\1 \2/p')"
[ -n "$TEST_BINS" ] || { echo "the test build reported no test binaries"; exit 1; }

# The whole run takes about a minute. A test that hangs (one cause, now fixed, is in
# docs/roadmap.md) must not eat the CI budget: each binary runs under a time limit, and a run
# killed by it is run once more, and says so; a run that fails is not.
cargo_tests() {
  local status=0 manifest exe s
  : >"$LOG_DIR/cargo-test.log"
  while read -r manifest exe; do
    (cd "$(dirname "$manifest")" && RUST_MIN_STACK=16777216 timeout --signal=KILL 420 "$exe" --test-threads=4) \
      2>&1 | tee -a "$LOG_DIR/cargo-test.log"
    s=${PIPESTATUS[0]}
    if [ "$s" = 137 ] && [ "$status" = 0 ]; then status=137; elif [ "$s" != 0 ] && [ "$s" != 137 ]; then status=$s; fi
  done <<<"$TEST_BINS"
  return "$status"
}
step "unit and integration tests (run from the build above)"
tests_ok=1
status=0
cargo_tests || status=$?
if [ "$status" = 137 ]; then
  step "the tests stalled and were stopped by the time limit; running them once more"
  cp "$LOG_DIR/cargo-test.log" "$LOG_DIR/cargo-test-stalled.log"
  status=0
  cargo_tests || status=$?
fi
[ "$status" = 0 ] || tests_ok=0

finish wasm
finish apt

step "end-to-end tests in headless Chromium"
PORT="${E2E_PORT:-3217}"
OIDC_PORT="${OIDC_MOCK_PORT:-3218}"
E2E_DIR="$(mktemp -d)"
(cd end2end && OIDC_MOCK_PORT=$OIDC_PORT node oidc-mock.mjs) >"$LOG_DIR/oidc-mock.log" 2>&1 &
OIDC_PID=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration" >/dev/null 2>&1 && break
  sleep 0.2
done
OIDC_ISSUER="http://localhost:$OIDC_PORT" OIDC_CLIENT_ID="cohort-e2e" OIDC_CLIENT_SECRET="e2e-secret" \
  OIDC_LABEL="Mock SSO" \
  COHORT_ADDR="127.0.0.1:$PORT" DATABASE_URL="mem://" MEDIA_DIR="$E2E_DIR/media" \
  LEPTOS_SITE_ROOT="$ROOT/target/site" LEPTOS_ENV=PROD RUST_LOG="${RUST_LOG:-warn,app=info,server=info}" \
  COHORT_CHARGE_RETRIES="2s,2s,2s" COHORT_STRIPE_TEST_CONTROLS=1 \
  "$SERVER_BIN" --seed-demo >"$LOG_DIR/e2e-server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID $OIDC_PID 2>/dev/null || true; rm -rf "$E2E_DIR"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 $SERVER_PID 2>/dev/null || { cat "$LOG_DIR/e2e-server.log"; exit 1; }
  sleep 0.3
done
e2e_ok=1
(cd end2end && COHORT_BASE_URL="http://127.0.0.1:$PORT" timeout --signal=KILL 1800 npx playwright test) \
  2>&1 | tee "$LOG_DIR/e2e.log" || e2e_ok=0

# One closing line over every runner. A runner that died (killed, crashed) counts as a failure
# even if the lines it printed before were all green.
passed=0; failed=0
while read -r p q; do passed=$((passed + p)); failed=$((failed + q)); done < <(
  sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$LOG_DIR/cargo-test.log")
e2e_passed=$(sed -n 's/^ *\([0-9][0-9]*\) passed.*/\1/p' "$LOG_DIR/e2e.log" | tail -1)
e2e_failed=$(sed -n 's/^ *\([0-9][0-9]*\) failed.*/\1/p' "$LOG_DIR/e2e.log" | tail -1)
passed=$((passed + ${e2e_passed:-0})); failed=$((failed + ${e2e_failed:-0}))
if [ "$tests_ok" = 0 ] && [ "$failed" -eq 0 ]; then failed=1; echo "cargo test did not finish cleanly (see above)"; fi
if [ "$e2e_ok" = 0 ] && [ "${e2e_failed:-0}" -eq 0 ]; then failed=$((failed + 1)); echo "the browser tests did not finish cleanly (see above)"; fi
echo
echo "took $(( $(date +%s) - started )) s"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
