-- wrk script: GET /recommend for a random known reader per request.
--   wrk -t2 -c32 -d15s --latency -s recommend.lua http://127.0.0.1:8080 -- 53424 10
-- args: the number of readers (raw IDs 1...N, as the generated goodbooks data has) and K.
local readers, k = 53424, 10

function init(args)
  if args[1] then readers = tonumber(args[1]) end
  if args[2] then k = tonumber(args[2]) end
  -- Threads start at different clocks, so their reader streams differ.
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  return wrk.format("GET", "/recommend?user=" .. math.random(1, readers) .. "&k=" .. k)
end

-- One machine-readable line after wrk's own report.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d errors_status=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    e.connect, e.read, e.write, e.timeout, e.status))
end
