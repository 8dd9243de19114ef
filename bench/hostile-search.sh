#!/usr/bin/env bash
# Hostile search benchmark (issue 13, item 3): does a handful of expensive search requests slow
# everyone else down? Starts the release server on 127.0.0.1 only with the demo data in memory,
# measures /healthz and the home page (p99) idle, then again while 8 connections send the most
# expensive searches a stranger may send (100-character near-miss queries, 100 000-character
# ones) as fast as they can. Passes when each p99 under attack is at most 2× its idle value.
#
# Two runs under attack: with the per-address search budget as shipped (COHORT_SEARCH_PER_MINUTE
# default), and with the budget off, which shows what the bounded, off-worker matching alone
# achieves. Bounded in time: about 6 × BENCH_DURATION seconds plus start-up.
#
# Environment (optional): COHORT_SERVER_BIN, LEPTOS_SITE_ROOT, BENCH_PORT (default 3960),
# BENCH_DURATION (10), BENCH_ENFORCE=1 (exit 3 when a target is missed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
server_bin="${COHORT_SERVER_BIN:-${CARGO_TARGET_DIR:-${HOME}/.cache/cohort/target}/release/server}"
site_root="${LEPTOS_SITE_ROOT:-${root}/target/site}"
port="${BENCH_PORT:-3960}"
duration="${BENCH_DURATION:-10}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cohort-hostile.XXXXXX")"
pid=""
attack_pid=""

stop() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=""
}
cleanup() { stop; rm -rf "$work"; }
trap cleanup EXIT

[[ -x "$server_bin" ]] || { echo "build first: no release server at $server_bin" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

base="http://127.0.0.1:$port"
start() { # search budget per minute
  export DATABASE_URL="mem://" MEDIA_DIR="$work/media" LEPTOS_SITE_ROOT="$site_root"
  export COHORT_ADDR="127.0.0.1:$port" RUST_LOG=warn LEPTOS_ENV=PROD COHORT_SEARCH_PER_MINUTE="$1"
  "$server_bin" --seed-demo >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do curl -sf "$base/healthz" >/dev/null && return 0; sleep 0.2; done
  cat "$work/server.log" >&2; echo "server did not start" >&2; exit 1
}

measure() { # url → "p99_ms" of 1 connection for BENCH_DURATION
  (cd "$here" && timeout $((duration + 15)) wrk -t 1 -c 1 -d "${duration}s" --latency -s wrk-report.lua "$1") \
    | sed -n 's/^BENCH.*p99_ms=\([0-9.]*\).*/\1/p'
}

attack() { # runs the hostile load for the length of one measurement, in the background
  (cd "$here" && timeout $((duration + 15)) wrk -t 2 -c 8 -d "$((duration + 1))s" -s hostile-search.lua "$base") \
    | sed -n 's/^BENCH/hostile/p' >"$work/attack.$1" &
  attack_pid=$!
}

declare -A p99
run_case() { # label, search budget
  start "$2"
  curl -sf -o /dev/null "$base/" || true   # warm-up
  for target in healthz home; do
    url="$base/healthz"; [[ $target == home ]] && url="$base/"
    p99["$1.$target.idle"]="$(measure "$url")"
    attack "$1.$target"; sleep 0.5
    p99["$1.$target.attack"]="$(measure "$url")"
    wait "$attack_pid" || true
  done
  stop
}

run_case budget 120
run_case nobudget 0

verdict() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 <= 2 * (a + 0) || b + 0 <= 1) print "pass"; else print "MISS" }'; }
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
report="# Hostile search benchmark, $stamp

8 connections sending the most expensive accepted (and some refused) searches, while one
connection measures each endpoint for ${duration} s. Target: p99 under attack ≤ 2 × idle p99
(or ≤ 1 ms).

| search budget | endpoint | idle p99 ms | under attack p99 ms | verdict |
| --- | --- | --- | --- | --- |"
missed=0
for c in budget nobudget; do
  label="120/min per address (default)"; [[ $c == nobudget ]] && label="off (matching alone)"
  for target in healthz home; do
    idle="${p99[$c.$target.idle]:-?}"; hot="${p99[$c.$target.attack]:-?}"
    v="$(verdict "$idle" "$hot")"; [[ $v == MISS ]] && missed=1
    report+="
| $label | \`/${target/home/}\` | $idle | $hot | $v |"
  done
done
report+="

Hostile load as wrk saw it (non2xx counts refusals: 400 too long, 429 over budget):
\`\`\`
$(cat "$work"/attack.* 2>/dev/null)
\`\`\`"
mkdir -p "$here/results"
echo "$report" | tee "$here/results/hostile-search-$stamp.md"
[[ "${BENCH_ENFORCE:-0}" == 1 && $missed == 1 ]] && exit 3
exit 0
