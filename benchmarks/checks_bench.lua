-- wrk script of benchmarks/checks_bench.py: each request POSTs a single-subject check of a
-- subject drawn at random from a file of codes (one a line).
--
--   wrk -t2 -c64 -d20s --latency -s benchmarks/checks_bench.lua URL -- KEY CODES_FILE MEASURE
--
-- At the end it prints one line "JSON {...}" with the totals and latency percentiles (µs).

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

function init(args)
  local key, file, measure = args[1], args[2], args[3]
  codes = {}
  for line in io.lines(file) do
    if #line > 0 then
      codes[#codes + 1] = line
    end
  end
  math.randomseed(os.time() * 1000 + thread_id)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
  prefix = '{"measure":"' .. measure .. '","subjects":["'
  suffix = '"],"purpose":"boarding check","reference":"wrk"}'
end

function request()
  return wrk.format(nil, nil, nil, prefix .. codes[math.random(#codes)] .. suffix)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"non_2xx":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"stdev_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    latency.stdev))
end
