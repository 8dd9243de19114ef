#!/usr/bin/env bash
# Sourced by the other scripts: where tools and builds live (outside the clone, so a fresh clone
# reuses them), and installing whatever is missing. Safe to run again: it skips what is there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COHORT_CACHE="${COHORT_CACHE:-$HOME/.cache/cohort}"
TOOLS="$COHORT_CACHE/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$COHORT_CACHE/target}"
export PATH="$TOOLS/bin:$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
CARGO_LEPTOS_VERSION="0.3.10" # 0.3.11 needs a newer rustc than the machine's

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

install_tools() {
  mkdir -p "$TOOLS"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo-leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    step "installing cargo-leptos $CARGO_LEPTOS_VERSION (once per machine, ~15 min on 2 cores)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --root "$TOOLS"
  fi
  local wbg
  wbg="$(wasm_bindgen_version)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$wbg"; then
    # Must match the wasm-bindgen in Cargo.lock; cargo-leptos would otherwise try to download
    # it. Without --locked: its lockfile wants a crate version the registry lacks.
    step "installing wasm-bindgen-cli $wbg"
    cargo install wasm-bindgen-cli --version "$wbg" --root "$TOOLS"
  fi
  if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    step "installing npm packages from end2end/package-lock.json (wasm-opt, Playwright, axe-core)"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
  fi
}

# Precompressed copies for tower-http's ServeDir (it serves .br/.gz when the browser accepts them).
precompress_site() {
  local dir="$ROOT/target/site"
  find "$dir" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.webmanifest' \) |
    while read -r f; do
      gzip -9 -k -f "$f"
      if command -v brotli >/dev/null 2>&1; then brotli -q 11 -f -k "$f"; fi
    done
}

build_release() {
  step "building the release site (server + WebAssembly)"
  (cd "$ROOT" && cargo leptos build --release)
  precompress_site
}

# A Chinese font for share images (resvg uses the machine's fonts; DejaVu covers Latin text).
# Best effort: without it Chinese titles render as blanks on the image, nothing fails.
install_cjk_font() {
  if command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; then return 0; fi
  if ! command -v apt-get >/dev/null; then return 0; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo -n"; fi
  step "installing a Chinese font for share images (fonts-wqy-zenhei)"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-wqy-zenhei >/dev/null; } \
    || echo "  (could not install fonts-wqy-zenhei; Chinese text on share images will be blank)"
}
