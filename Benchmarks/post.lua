-- wrk script: POST one fixed JSON body (BODY env) with an Authorization header (AUTH env; none when empty).
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
