-- wrk script for bench/bench_supports.py: each request is the next "path token" line of
-- $BENCH_FILE (threads take alternate lines), POSTed with the member's bearer token.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  for line in io.lines(os.getenv("BENCH_FILE")) do
    local path, token = line:match("^(%S+) (%S+)$")
    table.insert(lines, {path = path, token = token})
  end
  step = tonumber(os.getenv("BENCH_THREADS") or "2")
  i = id
  created, refused, other = 0, 0, 0
end

function request()
  local entry = lines[(i % #lines) + 1]
  i = i + step
  return wrk.format("POST", entry.path, {["Authorization"] = "Bearer " .. entry.token,
                                         ["Content-Type"] = "application/json"}, "{}")
end

function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 409 then refused = refused + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local c, r, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    r = r + thread:get("refused")
    o = o + thread:get("other")
  end
  io.write(string.format("STATUS created=%d refused=%d other=%d\n", c, r, o))
  io.write(string.format("LATENCY p50=%.1f p95=%.1f p99=%.1f\n", latency:percentile(50) / 1000,
                         latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
