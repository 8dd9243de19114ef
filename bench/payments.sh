#!/usr/bin/env bash
# Payment benchmarks (issue 5), through the built-in Stripe simulator on a fresh on-disk
# database (surrealkv): pledges confirmed per second end to end with 50 concurrent backers
# (Checkout session, hosted card form, webhook), and the time to settle one all-or-nothing
# campaign with 10 000 saved cards. Prints a Markdown table, also saved to
# bench/results/payments-<date>.md.
#
# Environment (optional): COHORT_SERVER_BIN, BENCH_PORT (3960), BENCH_BACKERS (50),
# BENCH_PLEDGES (1000), BENCH_SETTLE (10000).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
server_bin="${COHORT_SERVER_BIN:-${CARGO_TARGET_DIR:-${HOME}/.cache/cohort/target}/release/server}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cohort-bench-pay.XXXXXX")"
trap 'rm -rf "$work"' EXIT
[[ -x "$server_bin" ]] || { echo "build first: bash scripts/serve.sh or cargo leptos build --release" >&2; exit 1; }

export DATABASE_URL="surrealkv://$work/db" MEDIA_DIR="$work/media" RUST_LOG="${RUST_LOG:-warn}"
export COHORT_ADDR="127.0.0.1:${BENCH_PORT:-3960}" LEPTOS_ENV=PROD
started=$(date +%s)
# Only the table rows: the server logs (retried write conflicts, say) share the stream.
table="$("$server_bin" bench-payments | grep '^|')"
out="$here/results/payments-$(date +%Y-%m-%d).md"
{
  echo "# Payment benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "$(nproc) cores, release build, surrealkv on disk, built-in Stripe simulator. Total run $(( $(date +%s) - started )) s."
  echo
  echo "| measure | result |"
  echo "| --- | --- |"
  echo "$table"
} | tee "$out"
