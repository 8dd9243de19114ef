#!/usr/bin/env bash
# Lesson media benchmarks, on a fresh on-disk database (surrealkv): a 200 MB lesson video
# fetched by an enrolled learner through the entitlement-checked media route, side by side with
# the same file through the plain static ServeDir (/media/covers/): full-file throughput (best
# of 3), p50/p99 of 500 random 64 KiB range requests, and the server's resident memory while 50
# clients stream the whole file at once (target: it stays flat). Prints a Markdown table, also
# saved to bench/results/media-<date>.md.
#
# Environment (optional): COHORT_SERVER_BIN, BENCH_PORT (3970), BENCH_MEDIA_MB (200),
# BENCH_SEEKS (500), BENCH_CLIENTS (50).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
server_bin="${COHORT_SERVER_BIN:-${CARGO_TARGET_DIR:-${HOME}/.cache/cohort/target}/release/server}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cohort-bench-media.XXXXXX")"
trap 'rm -rf "$work"' EXIT
[[ -x "$server_bin" ]] || { echo "build first: bash scripts/serve.sh or cargo leptos build --release" >&2; exit 1; }

export DATABASE_URL="surrealkv://$work/db" MEDIA_DIR="$work/media" RUST_LOG="${RUST_LOG:-warn}"
export COHORT_ADDR="127.0.0.1:${BENCH_PORT:-3970}" LEPTOS_ENV=PROD
started=$(date +%s)
table="$("$server_bin" bench-media)"
out="$here/results/media-$(date +%Y-%m-%d).md"
{
  echo "# Lesson media benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "$(nproc) cores, release build, surrealkv on disk; the clients run inside the server process (their memory counts in its RSS). MB = 10^6 bytes. Total run $(( $(date +%s) - started )) s."
  echo
  echo "| measure | media route (entitlement check + ServeFile) | static ServeDir |"
  echo "| --- | --- | --- |"
  echo "$table"
} | tee "$out"
