-- bench/tracing.ts --traceparent: a W3C traceparent on every request, 1 in 100 sampled, as an
-- Envoy that traces (Istio's default sampling is 1 %) sends it with its ext_authz check.
local seed = math.random(0, 0x7fffffff)
local n = 0
request = function()
  n = n + 1
  local flags = math.random() < 0.01 and "01" or "00"
  wrk.headers["traceparent"] = string.format("00-%08x%08x%08x%08x-%08x%08x-%s",
    seed, n, math.random(0, 0x7fffffff), n, seed, n, flags)
  return wrk.format()
end
