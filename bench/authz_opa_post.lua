-- wrk script for the OPA peer: POSTs the check as OPA input (the token comes from the env).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"input":{"method":"GET","host":"orders.bench.local","path":"/orders/42",' ..
  '"headers":{"authorization":"Bearer ' .. os.getenv("BENCH_TOKEN") .. '"}}}'
