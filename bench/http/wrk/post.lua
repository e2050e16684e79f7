-- wrk script: POST a ~1 KB JSON document (the shape of bench_support.cc's small_json_body)
-- to every request, as kube-scheduler does with an extender.
local nodes = {}
for i = 0, 77 do  -- 78 names: 1014 bytes, the same document
  nodes[#nodes + 1] = string.format('"node-%d"', 1000 + i)
end
wrk.method = "POST"
wrk.path = "/filter"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = '{"pod":{"metadata":{"name":"web-7d4b9c","namespace":"default"}},"nodenames":[' ..
  table.concat(nodes, ",") .. "]}"
