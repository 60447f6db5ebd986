-- wrk script for `POST /api/ui/notify` (bench/run.sh): one small JSON notification per request.
-- The bearer token is given on wrk's command line (-H 'Authorization: Bearer …').
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Bench","body":"A notification sent by bench/run.sh.","priority":"normal"}'
