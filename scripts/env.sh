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

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# Runs "$@" with clippy as the compiler of the workspace's own crates: the build lints them
# (warnings are errors) while dependencies compile as usual, so linting costs no second build.
with_clippy() {
  command -v clippy-driver >/dev/null || rustup component add clippy
  RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver)" CLIPPY_ARGS="-Dwarnings__CLIPPY_HACKERY__" "$@"
}

install_rust_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# Must match the wasm-bindgen in Cargo.lock. Without --locked: its lockfile wants a crate
# version the registry lacks.
install_wasm_bindgen() {
  mkdir -p "$TOOLS"
  local wbg
  wbg="$(wasm_bindgen_version)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$wbg"; then
    step "installing wasm-bindgen-cli $wbg"
    CARGO_TARGET_DIR="$COHORT_CACHE/tools-build" cargo install wasm-bindgen-cli --version "$wbg" --root "$TOOLS"
  fi
}

# Playwright, axe-core and binaryen's wasm-opt, from the committed lockfile.
install_npm_packages() {
  if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    step "installing npm packages from end2end/package-lock.json (wasm-opt, Playwright, axe-core)"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
  fi
}

install_tools() {
  install_rust_target
  install_npm_packages
  install_wasm_bindgen
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

# The site cargo-leptos would build, built with plain cargo (see docs/build.md: installing
# cargo-leptos cost a cold machine 15-23 minutes for three steps we can run ourselves).
# Layout: target/site/{favicon, manifest…} from public/, and target/site/pkg/cohort.{js,wasm,css}
# as leptos' HydrationScripts expects them.
# Sets SERVER_BIN to the binary cargo reports: several clones can share one CARGO_TARGET_DIR,
# and the copy at target/release/server may come from another clone's build.
build_server() {
  step "building the server (release)"
  local json
  json="$(cd "$ROOT" && cargo build --release -p server --bin server --message-format=json-render-diagnostics)"
  SERVER_BIN="$(printf '%s\n' "$json" | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)"
  [ -x "$SERVER_BIN" ] || { echo "cargo reported no server binary" >&2; return 1; }
  export SERVER_BIN
}

build_wasm() {
  step "building the WebAssembly (profile wasm-release) and its JS glue"
  (cd "$ROOT" && cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release)
  local site="$ROOT/target/site" pkg="$ROOT/target/site/pkg" out
  out="$(mktemp -d)"
  wasm-bindgen --target web --no-typescript --out-name cohort --out-dir "$out" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
  wasm-opt -Oz --enable-bulk-memory "$out/cohort_bg.wasm" -o "$out/cohort.wasm"
  rm -f "$out/cohort_bg.wasm"
  rm -rf "$pkg" && mkdir -p "$site" && mv "$out" "$pkg" && chmod 755 "$pkg"
  cp "$ROOT/style/main.css" "$pkg/cohort.css"
  cp -R "$ROOT/public/." "$site/"
  precompress_site
}

build_release() {
  build_server
  build_wasm
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
