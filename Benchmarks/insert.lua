-- wrk script: insert one new record per request. Keys are unique across threads:
-- thread t sends OFFSET + t, OFFSET + t + N, ... (N = number of threads; OFFSET, default 0,
-- lets repeated runs against one table insert new keys).
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  step = tonumber(os.getenv("THREADS") or "2")
  next_id = id + tonumber(os.getenv("OFFSET") or "0")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = os.getenv("AUTH")
end

function request()
  local body = string.format('{"operation":"insert","database":"bench","table":"one","records":[{"id":%d,"name":"dog %d","age":%d,"weight":%d.5}]}', next_id, next_id, next_id % 20, next_id % 90)
  next_id = next_id + step
  return wrk.format(nil, "/", nil, body)
end
