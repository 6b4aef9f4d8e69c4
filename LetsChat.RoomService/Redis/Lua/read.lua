-- Reads a room's log, with the epoch and bounds the reader needs to tell whether it missed anything.
--
-- The keys and the shared rules are in log.lua, in front.
--
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

local ttl = ARGV[5]
local channel = ARGV[9] ~= '' and ARGV[9] or nil
local epoch = kept_epoch(ARGV[8] or ARGV[4], channel, ttl)
if not epoch then
  if ARGV[4] == '' then
    return {'', 0, 1, 0}
  end
  -- A room with no message yet: its epoch lives as long as its presence renews it (presence.lua),
  -- so a join to a fresh name costs no key for long; the first message gives it the retention.
  epoch = new_epoch(ARGV[4], ARGV[10] or ttl)
end
if channel then
  epoch = unless_rewound(epoch, ARGV[6], ARGV[7], ARGV[8], channel, ttl)
end

local last = tonumber(redis.call('GET', SEQ) or '0')
local first = last + 1
local oldest = redis.call('ZRANGE', LOG, 0, 0, 'WITHSCORES')
if oldest[2] then
  first = tonumber(oldest[2])
end

local mode, bound, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
local frames
local more = 0
if mode == 'after' then
  -- The two sets merged by seq, cut at the limit. A message's entry already has the updates
  -- after it folded in; they come too, and applying one again changes nothing.
  local messages = redis.call('ZRANGEBYSCORE', LOG, '(' .. bound, '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
  local updates = redis.call('ZRANGEBYSCORE', UPDATES, '(' .. bound, '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
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
  if limit > 0 and #frames == limit and redis.call('ZCOUNT', LOG, '(' .. bound, '+inf') + redis.call('ZCOUNT', UPDATES, '(' .. bound, '+inf') > limit then
    more = 1
  end
else
  -- A page, newest first: one more than the limit tells whether older ones exist.
  local newest_first = mode == 'latest'
    and redis.call('ZREVRANGE', LOG, 0, limit)
    or redis.call('ZREVRANGEBYSCORE', LOG, '(' .. bound, '-inf', 'LIMIT', 0, limit + 1)
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
