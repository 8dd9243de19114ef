#!/usr/bin/env bash
# Load test: SSR home page vs. a static file, plus the server's memory.
#
# Starts target/release/server (fresh in-memory database, demo data) on a free
# loopback port unless COHORT_BASE_URL points at a running server, measures
# requests/s and p99 latency at 50 connections for 20 s against `/` and then
# against /pkg/cohort.css, and prints a Markdown table that is also saved to
# bench/results/load-<date>.md. See bench/README.md.
#
# Environment (all optional):
#   COHORT_BASE_URL     measure this server instead of starting one (RSS then
#                       needs COHORT_SERVER_PID, else it is reported as n/a)
#   COHORT_SERVER_PID   pid of that server, for RSS
#   COHORT_SERVER_BIN   server binary            (default target/release/server)
#   LEPTOS_SITE_ROOT    site root with pkg/      (default target/site)
#   BENCH_PORT          first port to try        (default 3900)
#   BENCH_DURATION      seconds per run          (default 20)
#   BENCH_CONNECTIONS   concurrent connections   (default 50)
#   BENCH_THREADS       load-generator threads   (default 1; the machine has 2 cores)
#   BENCH_WARMUP        warm-up seconds per URL  (default 2; 0 to skip)
#   BENCH_SSR_PATH      SSR page                 (default /)
#   BENCH_STATIC_PATH   static file              (default /pkg/cohort.css)
#   BENCH_TOOL          auto | wrk | oha         (default auto: wrk, else oha)
#   BENCH_ENFORCE       1 = exit 3 when a target is missed (default 0)
#   BENCH_RESULTS_DIR   where the report goes    (default bench/results)

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"

duration="${BENCH_DURATION:-20}"
connections="${BENCH_CONNECTIONS:-50}"
threads="${BENCH_THREADS:-1}"
warmup="${BENCH_WARMUP:-2}"
ssr_path="${BENCH_SSR_PATH:-/}"
static_path="${BENCH_STATIC_PATH:-/pkg/cohort.css}"
tool_choice="${BENCH_TOOL:-auto}"
enforce="${BENCH_ENFORCE:-0}"
results_dir="${BENCH_RESULTS_DIR:-${here}/results}"
server_bin="${COHORT_SERVER_BIN:-${CARGO_TARGET_DIR:-${HOME}/.cache/cohort/target}/release/server}"
site_root="${LEPTOS_SITE_ROOT:-${root}/target/site}"

# Targets (see README.md).
target_p99_ms=25
target_ratio_pct=25
target_rss_mb=150

server_pid=""
server_log=""
work_dir="$(mktemp -d "${TMPDIR:-/tmp}/cohort-bench.XXXXXX")"

log() { printf '%s\n' "$*" >&2; }
die() { log "load.sh: $*"; exit 1; }

cleanup() {
  local status=$?
  if [[ -n "${server_pid}" ]] && kill -0 "${server_pid}" 2>/dev/null; then
    kill -TERM "${server_pid}" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "${server_pid}" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "${server_pid}" 2>/dev/null; then
      kill -KILL "${server_pid}" 2>/dev/null || true
    fi
    wait "${server_pid}" 2>/dev/null || true
  fi
  rm -rf "${work_dir}"
  exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ helpers

# True when nothing listens on 127.0.0.1:$1.
port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

find_free_port() {
  local port="$1" last=$(( $1 + 100 ))
  while (( port <= last )); do
    if port_is_free "${port}"; then
      printf '%s\n' "${port}"
      return 0
    fi
    port=$(( port + 1 ))
  done
  die "no free port in ${1}..${last}"
}

# Resident memory of a pid in MiB (from VmRSS, which is in kB), or n/a.
rss_mib() {
  local pid="$1" kb
  if [[ -z "${pid}" || ! -r "/proc/${pid}/status" ]]; then
    printf 'n/a\n'
    return 0
  fi
  kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/${pid}/status")"
  if [[ -z "${kb}" ]]; then
    printf 'n/a\n'
  else
    awk -v kb="${kb}" 'BEGIN { printf "%.1f\n", kb / 1024 }'
  fi
}

choose_tool() {
  case "${tool_choice}" in
    wrk | oha) ;;
    auto)
      if command -v wrk >/dev/null 2>&1; then
        tool_choice=wrk
      elif command -v oha >/dev/null 2>&1; then
        tool_choice=oha
      elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "load.sh: installing wrk (Debian package)"
        if apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }; then
          tool_choice=wrk
        else
          tool_choice=oha
        fi
      else
        tool_choice=oha
      fi
      ;;
    *) die "BENCH_TOOL must be auto, wrk or oha (got '${tool_choice}')" ;;
  esac
  if [[ "${tool_choice}" == oha ]] && ! command -v oha >/dev/null 2>&1; then
    command -v cargo >/dev/null 2>&1 || die "neither wrk nor oha is installed, and cargo is missing"
    log "load.sh: installing oha with cargo (one-off, takes a few minutes)"
    cargo install oha --locked >&2
    export PATH="${CARGO_HOME:-${HOME}/.cargo}/bin:${PATH}"
    command -v oha >/dev/null 2>&1 || die "oha is still not on PATH after cargo install"
  fi
  if [[ "${tool_choice}" == wrk ]]; then
    command -v wrk >/dev/null 2>&1 || die "BENCH_TOOL=wrk but wrk is not installed (apt-get install wrk)"
  fi
}

# run_load URL SECONDS -> prints "rps p50_ms p99_ms errors non2xx"
run_load() {
  local url="$1" seconds="$2" out="${work_dir}/run.out"
  case "${tool_choice}" in
    wrk)
      wrk -t "${threads}" -c "${connections}" -d "${seconds}s" --latency \
        -s "${here}/wrk-report.lua" "${url}" >"${out}" 2>&1 \
        || { cat "${out}" >&2; die "wrk failed against ${url}"; }
      awk '
        /^BENCH / {
          for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
          printf "%s %s %s %s %s\n", v["rps"], v["p50_ms"], v["p99_ms"], v["errors"], v["non2xx"]
          found = 1
        }
        END { if (!found) exit 1 }
      ' "${out}" || { cat "${out}" >&2; die "could not read wrk results"; }
      ;;
    oha)
      if ! oha -z "${seconds}s" -c "${connections}" --no-tui --output-format json "${url}" >"${out}" 2>/dev/null; then
        # Older oha releases spell it -j / --json.
        oha -z "${seconds}s" -c "${connections}" --no-tui -j "${url}" >"${out}" \
          || die "oha failed against ${url}"
      fi
      python3 - "${out}" <<'PY' || die "could not read oha results"
import json, sys
with open(sys.argv[1]) as f:
    data = json.load(f)
s = data["summary"]
p = data.get("latencyPercentiles", {})
codes = data.get("statusCodeDistribution", {})
non2xx = sum(n for code, n in codes.items() if not str(code).startswith(("2", "3")))
errors = sum(data.get("errorDistribution", {}).values())
ms = lambda v: (v or 0.0) * 1000.0
print(f'{s["requestsPerSec"]:.2f} {ms(p.get("p50")):.3f} {ms(p.get("p99")):.3f} {errors} {non2xx}')
PY
      ;;
  esac
}

check_url() {
  local url="$1" code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "${url}" || true)"
  [[ "${code}" == 200 ]] || die "GET ${url} answered ${code:-nothing}, expected 200"
}

# ------------------------------------------------------------------ server

choose_tool
command -v curl >/dev/null 2>&1 || die "curl is required"

if [[ -n "${COHORT_BASE_URL:-}" ]]; then
  base_url="${COHORT_BASE_URL%/}"
  measured_pid="${COHORT_SERVER_PID:-}"
  log "load.sh: measuring the running server at ${base_url}"
else
  [[ -x "${server_bin}" ]] || die "no server binary at ${server_bin} (build it first, or set COHORT_SERVER_BIN / COHORT_BASE_URL)"
  [[ -d "${site_root}" ]] || die "no site root at ${site_root} (build the site first, or set LEPTOS_SITE_ROOT)"
  port="$(find_free_port "${BENCH_PORT:-3900}")"
  addr="127.0.0.1:${port}"
  base_url="http://${addr}"
  server_log="${work_dir}/server.log"
  log "load.sh: starting ${server_bin} on ${addr}"
  (
    cd "${root}"
    COHORT_ADDR="${addr}" \
    DATABASE_URL="mem://" \
    LEPTOS_SITE_ROOT="${site_root}" \
    LEPTOS_SITE_ADDR="${addr}" \
    LEPTOS_SITE_PKG_DIR="${LEPTOS_SITE_PKG_DIR:-pkg}" \
    LEPTOS_OUTPUT_NAME="${LEPTOS_OUTPUT_NAME:-cohort}" \
    LEPTOS_ENV="${LEPTOS_ENV:-PROD}" \
    RUST_LOG="${RUST_LOG:-warn}" \
      exec "${server_bin}" --seed-demo
  ) >"${server_log}" 2>&1 &
  server_pid=$!
  measured_pid="${server_pid}"
fi

# Wait for /healthz (60 s at most).
ready=0
for _ in $(seq 1 600); do
  if [[ -n "${server_pid}" ]] && ! kill -0 "${server_pid}" 2>/dev/null; then
    log "load.sh: the server exited early; its log:"
    tail -n 40 "${server_log}" >&2 || true
    server_pid=""
    exit 1
  fi
  if curl -fsS -o /dev/null --max-time 2 "${base_url}/healthz" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.1
done
if (( ready == 0 )); then
  [[ -n "${server_log}" ]] && tail -n 40 "${server_log}" >&2
  die "${base_url}/healthz did not answer within 60 s"
fi

check_url "${base_url}${ssr_path}"
check_url "${base_url}${static_path}"

# Let the seeding and first-request work settle before reading idle memory.
sleep 1
rss_idle="$(rss_mib "${measured_pid}")"

# ------------------------------------------------------------------ load

measure() {
  local url="$1"
  if (( warmup > 0 )); then
    run_load "${url}" "${warmup}" >/dev/null
  fi
  run_load "${url}" "${duration}"
}

log "load.sh: ${tool_choice}, ${connections} connections, ${duration} s: ${base_url}${ssr_path}"
ssr_line="$(measure "${base_url}${ssr_path}")"
read -r ssr_rps ssr_p50 ssr_p99 ssr_err ssr_non2xx <<<"${ssr_line}"
log "load.sh: ${tool_choice}, ${connections} connections, ${duration} s: ${base_url}${static_path}"
static_line="$(measure "${base_url}${static_path}")"
read -r st_rps st_p50 st_p99 st_err st_non2xx <<<"${static_line}"

rss_after="$(rss_mib "${measured_pid}")"

# ------------------------------------------------------------------ report

ratio_pct="$(awk -v a="${ssr_rps}" -v b="${st_rps}" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else print "n/a" }')"

# verdict VALUE OP LIMIT -> "pass" / "MISS" / "n/a"
verdict() {
  awk -v v="$1" -v op="$2" -v lim="$3" 'BEGIN {
    if (v == "n/a" || v == "") { print "n/a"; exit }
    ok = (op == "<=") ? (v + 0 <= lim + 0) : (v + 0 >= lim + 0)
    print ok ? "pass" : "MISS"
  }'
}
v_p99="$(verdict "${ssr_p99}" '<=' "${target_p99_ms}")"
v_ratio="$(verdict "${ratio_pct}" '>=' "${target_ratio_pct}")"
rss_peak="${rss_after}"
if [[ "${rss_idle}" != n/a && "${rss_after}" != n/a ]]; then
  rss_peak="$(awk -v a="${rss_idle}" -v b="${rss_after}" 'BEGIN { print (a > b) ? a : b }')"
fi
v_rss="$(verdict "${rss_peak}" '<=' "${target_rss_mb}")"

commit="$(git -C "${root}" rev-parse --short HEAD 2>/dev/null || echo none)"
if [[ -n "$(git -C "${root}" status --porcelain 2>/dev/null | head -n 1)" ]]; then
  commit="${commit} (dirty)"
fi
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"

report="$(cat <<EOF
## Cohort load test, ${stamp}

Commit ${commit}; ${tool_choice}, ${connections} connections, ${duration} s per URL (after ${warmup} s warm-up), ${threads} load thread(s), $(nproc) cores; server ${base_url}.

| | SSR \`${ssr_path}\` | static \`${static_path}\` |
| --- | ---: | ---: |
| requests/s | ${ssr_rps} | ${st_rps} |
| p50 latency (ms) | ${ssr_p50} | ${st_p50} |
| p99 latency (ms) | ${ssr_p99} | ${st_p99} |
| socket errors | ${ssr_err} | ${st_err} |
| non-2xx/3xx responses | ${ssr_non2xx} | ${st_non2xx} |

| measure | value | target | |
| --- | ---: | ---: | --- |
| SSR p99 latency | ${ssr_p99} ms | ≤ ${target_p99_ms} ms | ${v_p99} |
| SSR / static throughput | ${ratio_pct} % | ≥ ${target_ratio_pct} % | ${v_ratio} |
| RSS idle | ${rss_idle} MiB | ≤ ${target_rss_mb} MiB | |
| RSS after load | ${rss_after} MiB | ≤ ${target_rss_mb} MiB | ${v_rss} |
EOF
)"

printf '%s\n' "${report}"
mkdir -p "${results_dir}"
report_file="${results_dir}/load-${stamp}.md"
printf '%s\n' "${report}" >"${report_file}"
log "load.sh: saved ${report_file}"

if [[ "${enforce}" == 1 ]]; then
  for v in "${v_p99}" "${v_ratio}" "${v_rss}"; do
    if [[ "${v}" == MISS ]]; then
      log "load.sh: a target was missed (BENCH_ENFORCE=1)"
      exit 3
    fi
  done
  if (( ssr_err + ssr_non2xx + st_err + st_non2xx > 0 )); then
    log "load.sh: errors during the load (BENCH_ENFORCE=1)"
    exit 3
  fi
fi
