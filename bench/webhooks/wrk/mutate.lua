-- wrk script: POST the AdmissionReview written by berth-webhooks-bench-server --write-review
-- (path in $BERTH_REVIEW) to /mutate/pods, as kube-apiserver does.
local file = assert(io.open(os.getenv("BERTH_REVIEW"), "rb"))
wrk.method = "POST"
wrk.path = "/mutate/pods?timeout=10s"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, */*"
wrk.headers["User-Agent"] = "kube-apiserver-admission"
wrk.body = file:read("*a")
file:close()
