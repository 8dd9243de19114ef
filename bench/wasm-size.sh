#!/usr/bin/env bash
# Size of the WebAssembly bundle as shipped: raw, gzip -9 and (if the brotli
# tool is installed) brotli -q 11. See bench/README.md.
#
# Usage: bench/wasm-size.sh [FILE.wasm ...]
# Without arguments it measures target/site/pkg/cohort_bg.wasm, or every
# $LEPTOS_SITE_ROOT/pkg/*.wasm when LEPTOS_SITE_ROOT is set or that file is
# missing. The JS glue and CSS next to it are listed too, for context.
#
# Environment: LEPTOS_SITE_ROOT (default target/site);
#   BENCH_ENFORCE=1 exits 3 when a .wasm file is over the gzip target.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
site_root="${LEPTOS_SITE_ROOT:-${root}/target/site}"
enforce="${BENCH_ENFORCE:-0}"

# Target: 250 KB of gzip'd wasm, counted as 250 000 bytes.
target_gzip_bytes=250000

die() { printf 'wasm-size.sh: %s\n' "$*" >&2; exit 1; }

files=()
if (( $# > 0 )); then
  files=("$@")
elif [[ -z "${LEPTOS_SITE_ROOT:-}" && -f "${site_root}/pkg/cohort_bg.wasm" ]]; then
  files=("${site_root}/pkg/cohort_bg.wasm")
else
  shopt -s nullglob
  files=("${site_root}"/pkg/*.wasm)
  shopt -u nullglob
fi
(( ${#files[@]} > 0 )) || die "no .wasm file in ${site_root}/pkg (build the site first, or pass a file)"

have_brotli=0
if command -v brotli >/dev/null 2>&1; then
  have_brotli=1
fi

raw_size() { wc -c <"$1" | tr -d ' '; }
gzip_size() { gzip -9 -c -- "$1" | wc -c | tr -d ' '; }
brotli_size() { brotli -q 11 -c -- "$1" | wc -c | tr -d ' '; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

row() {
  local file="$1" raw gz br="n/a" name
  [[ -f "${file}" ]] || die "no such file: ${file}"
  raw="$(raw_size "${file}")"
  gz="$(gzip_size "${file}")"
  if (( have_brotli )); then
    br="$(brotli_size "${file}")"
    br="${br} ($(kib "${br}") KiB)"
  fi
  name="${file#"${root}/"}"
  # shellcheck disable=SC2016 # the backticks are Markdown, not a command
  printf '| `%s` | %s (%s KiB) | %s (%s KiB) | %s |\n' "${name}" "${raw}" "$(kib "${raw}")" "${gz}" "$(kib "${gz}")" "${br}"
}

printf '| file | raw bytes | gzip -9 bytes | brotli -q 11 bytes |\n'
printf '| --- | ---: | ---: | ---: |\n'

over=0
for f in "${files[@]}"; do
  row "${f}"
  if (( $(gzip_size "${f}") > target_gzip_bytes )); then
    over=1
  fi
done

# The JS glue and the stylesheet that ship with it, for context.
pkg_dir="$(dirname "${files[0]}")"
shopt -s nullglob
for f in "${pkg_dir}"/*.js "${pkg_dir}"/*.css; do
  row "${f}"
done
shopt -u nullglob

if (( have_brotli == 0 )); then
  printf '\n(brotli is not installed: apt-get install brotli)\n'
fi
printf '\nTarget: wasm <= %s bytes gzip -9: %s\n' "${target_gzip_bytes}" "$([[ ${over} == 0 ]] && echo pass || echo MISS)"

if [[ "${enforce}" == 1 && "${over}" == 1 ]]; then
  exit 3
fi
