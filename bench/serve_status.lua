-- Prints the first non-200 answer of each wrk thread, so non-2xx counts are explained.
local shown = false
function response(status, headers, body)
  if status ~= 200 and not shown then
    shown = true
    io.write(string.format("status %d: %s\n", status, string.sub(body or "", 1, 200)))
  end
end
