-- wrk reporting hook for bench/load.sh.
-- Prints one machine-readable line after the run; load.sh parses it.
-- wrk reports durations and latencies in microseconds.

done = function(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d rps=%.2f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests,
    summary.requests / seconds,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    latency.max / 1000,
    e.connect + e.read + e.write + e.timeout,
    e.status
  ))
end
