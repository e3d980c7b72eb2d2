-- wrk script: POST one fixed JSON body (BODY env) with Basic auth (AUTH env).
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("AUTH")
if auth then wrk.headers["Authorization"] = auth end
