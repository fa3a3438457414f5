-- wrk script of benchmarks/checks_bench.py for `single --rate N`: the requests of
-- checks_bench.lua, sent at a fixed total rate instead of back to back, as wrk2 does: each
-- thread keeps a schedule of send times (one every threads/N seconds) and every request
-- waits for the next free one. The latency wrk measures is then that of a server at the
-- offered load, not of a queue of -c requests; "late" counts the requests sent later than
-- their scheduled time (the server or the machine fell behind), which wrk's latency would
-- not show, and late_p99_us is how late the 99th percentile was.
--
--   wrk -t2 -c64 -d20s --latency -s benchmarks/checks_rate.lua URL -- KEY CODES MEASURE RATE

local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "checks_bench.lua")

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } xy_timespec;
  int clock_gettime(int clock, xy_timespec *ts);
]]
local ts = ffi.new("xy_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local threads = {}
local base_setup, base_init, base_request, base_done = setup, init, request, done

function setup(thread)
  base_setup(thread)
  threads[#threads + 1] = thread
end

-- wrk gives each thread its own Lua state, in which `threads` is empty: the thread count
-- comes in as the 5th argument instead.
function init(args)
  base_init(args)
  interval_us = 1e6 * tonumber(args[5]) / tonumber(args[4])
  next_us = nil
  slots = {}   -- scheduled send times of the delays handed out, oldest first
  first, last = 1, 0
  late = {}    -- how late each late request was sent (µs)
  sent = 0
end

function delay()
  local now = now_us()
  if next_us == nil or next_us < now - 1e6 then
    next_us = now
  end
  local slot = next_us
  next_us = next_us + interval_us
  last = last + 1
  slots[last] = slot
  local wait_ms = (slot - now) / 1000
  return wait_ms > 0 and wait_ms or 0
end

function request()
  local slot
  if first <= last then
    slot = slots[first]
    slots[first] = nil
    first = first + 1
  end
  if slot ~= nil then
    local behind = now_us() - slot
    if behind > 1000 then -- wrk's timers tick in whole milliseconds
      late[#late + 1] = behind
    end
  end
  sent = sent + 1
  return base_request()
end

function done(summary, latency, requests)
  base_done(summary, latency, requests)
  local all, total = {}, 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get("sent") or 0)
    local mine = thread:get("late") or {}
    for _, v in ipairs(mine) do
      all[#all + 1] = v
    end
  end
  table.sort(all)
  -- the 99th percentile of lateness over every request (on time counts as 0)
  local rank = math.floor(total * 0.01)
  local p99 = 0
  if #all > rank then
    p99 = all[#all - rank]
  end
  io.write(string.format('RATE {"sent":%d,"late":%d,"late_p99_us":%d,"late_max_us":%d}\n',
    total, #all, p99, all[#all] or 0))
end
