-- wrk script for the global rate limit benchmark: one check per request, keyed by a random
-- API key out of BENCH_KEYS, so every decision asks Redis for a token of its own bucket.
local keys = tonumber(os.getenv("BENCH_KEYS") or "10000")
request = function()
  return wrk.format("GET", "/", { ["Host"] = "orders.bench.local",
    ["x-api-key"] = tostring(math.random(1, keys)) })
end
