-- wrk script for the /ivr/voice benchmark: replays pre-built, pre-signed requests.
-- Arguments (after `--`): a file prefix. Thread N reads PREFIX-N.req, whose requests are
-- separated by NUL bytes, and sends each once in order; it wraps around only if it runs out,
-- and says so in done() (a repeated CallSid would update a call row instead of inserting one).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1] .. "-" .. id .. ".req", "rb"))
  local data = file:read("*a")
  file:close()
  requests = {}
  local start = 1
  while start <= #data do
    local stop = string.find(data, "\0", start, true) or (#data + 1)
    requests[#requests + 1] = string.sub(data, start, stop - 1)
    start = stop + 1
  end
  sent = 0
  wrapped = 0
end

function request()
  sent = sent + 1
  if sent > #requests then
    sent = 1
    wrapped = wrapped + 1
  end
  return requests[sent]
end

function done(summary, latency, _requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + thread:get("wrapped")
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "status_errors=%d socket_errors=%d timeouts=%d wraps=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    errors.status, errors.connect + errors.read + errors.write, errors.timeout, wraps))
end
