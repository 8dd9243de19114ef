#!/usr/bin/env bash
# Campaign benchmarks (issue 4): the campaign page under load with 10 000 pledges and 2 000
# comments, and search latency over 10 000 campaigns.
#
# Seeds a fresh on-disk database (surrealkv, the default engine) with `server seed-bench`,
# starts the release server on it, then runs wrk: 50 connections for 20 s against
# /c/bench-campaign, and 4 connections for 20 s of search queries (typos and Chinese included).
# Prints a Markdown table, also saved to bench/results/campaigns-<date>.md.
#
# Environment (optional): COHORT_SERVER_BIN, LEPTOS_SITE_ROOT, BENCH_PORT (default 3950),
# BENCH_DURATION (20), BENCH_CONNECTIONS (50), BENCH_SEARCH_CONNECTIONS (4).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
server_bin="${COHORT_SERVER_BIN:-${CARGO_TARGET_DIR:-${HOME}/.cache/cohort/target}/release/server}"
site_root="${LEPTOS_SITE_ROOT:-${root}/target/site}"
port="${BENCH_PORT:-3950}"
duration="${BENCH_DURATION:-20}"
connections="${BENCH_CONNECTIONS:-50}"
search_connections="${BENCH_SEARCH_CONNECTIONS:-4}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cohort-bench.XXXXXX")"
pid=""

cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[[ -x "$server_bin" ]] || { echo "build first: bash scripts/serve.sh or cargo leptos build --release" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

export DATABASE_URL="surrealkv://$work/db" MEDIA_DIR="$work/media" LEPTOS_SITE_ROOT="$site_root"
export COHORT_ADDR="127.0.0.1:$port" RUST_LOG=warn LEPTOS_ENV=PROD
# wrk searches from one address far faster than a person: lift the per-address search budget.
export COHORT_SEARCH_PER_MINUTE=0
echo "seeding (10 000 campaigns, 10 000 pledges, 2 000 comments)…" >&2
seed_started=$(date +%s)
seed_line="$("$server_bin" seed-bench | tail -1)"
seed_secs=$(( $(date +%s) - seed_started ))
echo "$seed_line" >&2

"$server_bin" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
curl -sf -o /dev/null "$base/c/bench-campaign" || { cat "$work/server.log" >&2; echo "campaign page failed" >&2; exit 1; }

run() { # name, connections, url, [script]
  local script="${4:-wrk-report.lua}"
  (cd "$here" && wrk -t 1 -c 2 -d 2s -s "$script" "$3" >/dev/null 2>&1) || true   # warm-up
  (cd "$here" && wrk -t 1 -c "$2" -d "${duration}s" --latency -s "$script" "$3") | grep '^BENCH' | sed "s/^BENCH/$1/"
}
page="$(run page "$connections" "$base/c/bench-campaign")"
search="$(run search "$search_connections" "$base" search.lua)"
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" <<<"$1"; }
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
report="# Campaign benchmarks, $stamp

Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB. Release build, surrealkv on disk.
Data: $seed_line (seed took ${seed_secs} s).

| what | connections | requests/s | p50 ms | p99 ms | errors |
| --- | --- | --- | --- | --- | --- |
| campaign page SSR (/c/bench-campaign) | $connections | $(field "$page" rps) | $(field "$page" p50_ms) | $(field "$page" p99_ms) | $(field "$page" errors)/$(field "$page" non2xx) |
| search (POST /api/discover, 12 queries incl. typos and Chinese) | $search_connections | $(field "$search" rps) | $(field "$search" p50_ms) | $(field "$search" p99_ms) | $(field "$search" errors)/$(field "$search" non2xx) |

Server RSS after the runs: $((rss_kb / 1024)) MiB. Targets: search p99 ≤ 50 ms.
"
mkdir -p "$here/results"
printf '%s' "$report" | tee "$here/results/campaigns-$stamp.md"
