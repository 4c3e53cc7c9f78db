-- wrk script: add the token header, count non-2xx as errors, print one JSON line at the end.
local token = os.getenv("BENCH_TOKEN")
local cookie = os.getenv("BENCH_COOKIE") or ""
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^|]+") do table.insert(paths, p) end
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
end

request = function()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  -- API clients send their token; browsers (the HTML pages) their session cookie.
  if string.sub(path, 1, 5) == "/api/" and not string.find(path, "via=session", 1, true) then
    return wrk.format("GET", path, { ["Authorization"] = "Token " .. token, ["Host"] = "127.0.0.1" })
  end
  return wrk.format("GET", path, { ["Cookie"] = cookie, ["Host"] = "127.0.0.1" })
end

response = function(status, headers, body)
  if status < 200 or status >= 300 then bad = bad + 1 end
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + (t:get("bad") or 0) end
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errors, non2xx))
end
