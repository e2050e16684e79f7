-- POSTs the ExtenderArgs body in $BODY_FILE to the path of the URL wrk was given, alternating
-- filter and prioritize when $ALTERNATE is set (kube-scheduler's pattern for one pod).
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local alternate = os.getenv("ALTERNATE") ~= nil
local n = 0

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n + 1
  if alternate and n % 2 == 0 then
    return wrk.format(nil, "/prioritize")
  end
  return wrk.format(nil, "/filter")
end
