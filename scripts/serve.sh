#!/usr/bin/env bash
# README command 1: install what is missing, build, and serve Cohort at http://127.0.0.1:3000
# with the embedded database (./data/cohort.db) and demo data.
set -euo pipefail
source "$(dirname "$0")/env.sh"
install_tools
install_cjk_font
build_release
cd "$ROOT"
export COHORT_ADDR="${COHORT_ADDR:-127.0.0.1:3000}"
export DATABASE_URL="${DATABASE_URL:-surrealkv://$ROOT/data/cohort.db}"
export MEDIA_DIR="${MEDIA_DIR:-$ROOT/data/media}"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export LEPTOS_ENV=PROD
mkdir -p "$ROOT/data"
step "serving Cohort at http://$COHORT_ADDR (Ctrl-C to stop)"
exec "$SERVER_BIN" --seed-demo
