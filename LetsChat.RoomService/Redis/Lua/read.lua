-- Reads a room's log, with the epoch and bounds the reader needs to tell whether it missed anything.
--
-- KEYS[1] letschat:{room}:seq, KEYS[2] letschat:{room}:log, KEYS[3] letschat:{room}:epoch,
-- KEYS[4] letschat:{room}:ids, KEYS[5] letschat:{room}:updates, KEYS[6] letschat:{room}:latest,
-- KEYS[7] letschat:{room}:reactors
-- ARGV[1] mode: "latest" (the last ARGV[3] messages), "before" (the last ARGV[3] messages with
--               seq < ARGV[2]): pages of messages, each as it is now (updates folded in);
--               "after" (every event with seq > ARGV[2], messages and updates in seq order, at
--               most ARGV[3]): what a client or replica that stopped at ARGV[2] missed
-- ARGV[2] seq bound (ignored for "latest")
-- ARGV[3] limit
-- ARGV[4] a fresh random epoch to create the room's log with when it has none, or "" to only read
-- ARGV[5] retention in seconds (applies when an epoch is created)
-- ARGV[6] ARGV[7] ARGV[8] ARGV[9] optional: the newest (epoch, seq) the reader delivered, a fresh
--         epoch and the room's channel: a log behind that seq went backwards, and takes the
--         fresh epoch and announces it, as publish.lua does. A log whose epoch alone is gone
--         takes the fresh epoch too (ARGV[8], else ARGV[4]), and is never wiped.
-- ARGV[10] optional: seconds an epoch created for a room with no message lives (ARGV[5] without it)
-- ARGV[11] optional, "latest" and "before": bytes of entries a page may carry; a page cut there
--          keeps its newest (at least one) and says more, so no join reads more than about this
--          from Redis however large the room's messages are
-- ARGV[6] to ARGV[9] may be "" (absent) when ARGV[10] or ARGV[11] follow.
-- Returns {epoch or "", last seq, first seq kept (last + 1 when empty), more (0|1), entry...}
-- in ascending seq order: message entries "<seq> <body>", and in "after" mode update entries
-- marked "u <seq> <target> <body>" (Redis/RoomRecords.cs).

local epoch = redis.call('GET', KEYS[3])
if not epoch then
  local fresh = ARGV[8] or ARGV[4]
  local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
  if newest and fresh ~= '' then
    -- The epoch alone is gone (evicted, or expired apart from the log): keep the log under a new
    -- epoch, as publish.lua does, and announce it when the channel is known.
    local changed = redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')[2] or 0
    local kept = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(newest), tonumber(changed))
    epoch = fresh
    redis.call('SET', KEYS[1], kept, 'EX', ARGV[5])
    redis.call('SET', KEYS[3], epoch, 'EX', ARGV[5])
    if ARGV[9] then redis.call('PUBLISH', ARGV[9], 'r ' .. epoch .. ' ' .. kept) end
  elseif ARGV[4] == '' then
    return {'', 0, 1, 0}
  else
    epoch = ARGV[4]
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
    -- A room with no message yet: its epoch lives as long as its presence renews it (presence.lua),
    -- so a join to a fresh name costs no key for long; the first message gives it the retention.
    redis.call('SET', KEYS[3], epoch, 'EX', ARGV[10] or ARGV[5])
  end
end

local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[9] and ARGV[9] ~= '' and ARGV[6] == epoch and last < tonumber(ARGV[7]) then
  epoch = ARGV[8]
  redis.call('SET', KEYS[3], epoch, 'EX', ARGV[5])
  redis.call('PUBLISH', ARGV[9], 'r ' .. epoch .. ' ' .. last)
end
local first = last + 1
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if oldest[2] then
  first = tonumber(oldest[2])
end

local mode, bound, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local frames
local more = 0
if mode == 'after' then
  -- The two sets merged by seq, cut at the limit. A message's entry already has the updates
  -- after it folded in; they come too, and applying one again changes nothing.
  local messages = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. bound, '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
  local updates = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. bound, '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
  frames = {}
  local m, u = 1, 1
  while #frames < limit and (m <= #messages or u <= #updates) do
    if u > #updates or (m <= #messages and tonumber(messages[m + 1]) <= tonumber(updates[u + 1])) then
      frames[#frames + 1] = messages[m]
      m = m + 2
    else
      frames[#frames + 1] = 'u ' .. updates[u]
      u = u + 2
    end
  end
  if limit > 0 and #frames == limit and redis.call('ZCOUNT', KEYS[2], '(' .. bound, '+inf') + redis.call('ZCOUNT', KEYS[5], '(' .. bound, '+inf') > limit then
    more = 1
  end
else
  -- A page, newest first: one more than the limit tells whether older ones exist.
  local newest_first = mode == 'latest'
    and redis.call('ZREVRANGE', KEYS[2], 0, limit)
    or redis.call('ZREVRANGEBYSCORE', KEYS[2], '(' .. bound, '-inf', 'LIMIT', 0, limit + 1)
  if #newest_first > limit then
    more = 1
    newest_first[#newest_first] = nil
  end
  local budget = tonumber(ARGV[11] or '')
  if budget then
    local bytes = 0
    for i = 1, #newest_first do
      bytes = bytes + #newest_first[i]
      if bytes > budget and i > 1 then
        for j = #newest_first, i, -1 do newest_first[j] = nil end
        more = 1
        break
      end
    end
  end
  frames = {}
  for i = #newest_first, 1, -1 do
    frames[#frames + 1] = newest_first[i]
  end
end

local result = {epoch, last, first, more}
for i = 1, #frames do
  result[#result + 1] = frames[i]
end
return result
