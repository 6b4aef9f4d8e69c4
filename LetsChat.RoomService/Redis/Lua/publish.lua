-- Appends one event to a room's log and publishes it, atomically: an event is never delivered
-- without being in history, nor in history without being delivered. The event is a chat message,
-- or an update of one (edit, delete, reaction): an update takes its own seq, like a message, and
-- also replaces the message's entry with its new state, so history pages stay one entry per message.
--
-- After a crash, any prefix of these writes may be all that comes back: Garnet logs a script's
-- writes one by one and replays as many as reached its log (bench/script_kill.py shows it;
-- redis-server replays a script's writes whole or not at all). So each write is ordered to leave a
-- state the next call reads correctly: the dedupe entry goes before the entry it guards, and a
-- dedupe entry counts only if its entry is there (or is older than the log keeps); a message's new
-- state is added before its old one is removed, and readers keep the higher version of the two.
--
-- KEYS[1] letschat:{room}:seq      INCR counter: the last seq handed out
-- KEYS[2] letschat:{room}:log      sorted set: score = seq, member = message entry "<seq> <body>"
-- KEYS[3] letschat:{room}:epoch    string: the id of this incarnation of the room's log
-- KEYS[4] letschat:{room}:ids      sorted set: score = seq, member = "<user id> <client id>" (dedupe)
-- KEYS[5] letschat:{room}:updates  sorted set: score = seq, member = update entry "<seq> <target> <body>"
-- KEYS[6] letschat:{room}:latest   hash: target seq -> the seq of its one update in KEYS[5]
-- KEYS[7] letschat:{room}:reactors sorted set: score = target seq, member = "<target> <user id> <emoji>"
-- ARGV[1] pub/sub channel
-- ARGV[2] a fresh random epoch, used only if the room has none (new room, or Redis lost it)
-- ARGV[3] dedupe key "<user id> <client id>", or "" for none (seed clients)
-- ARGV[4] the message body, or the update body (JSON, opaque here)
-- ARGV[5] how many messages the log keeps
-- ARGV[6] retention in seconds: an idle room's keys expire after this
-- ARGV[7] ARGV[8] the newest (epoch, seq) the publishing replica delivered in this room, or "" 0
-- ARGV[9]  a message: ""; an update: the seq of the message it changes (its target)
-- ARGV[10] a message: the seq it replies to, or ""; an update: the target's entry as the caller read it
-- ARGV[11] an update: the target's new entry
-- ARGV[12] an update: "1" when it changes nothing (an edit to the same text, a second delete):
--          only a retry of a stored change is acked (duplicate); anything else is refused
-- ARGV[13] an update: what it does to the reactors set: "+ <member>" (a reaction on), "- <member>"
--          (off), "*" (a delete: every reaction to the target goes), or "" (nothing)
-- The entries and the published records "m <epoch> <entry>", "u <epoch> <update entry>" are
-- defined in Redis/RoomRecords.cs.
--
-- A message keeps at most one update: its latest, which holds the whole message as it is now
-- (applying it is enough to catch up). So a room's updates are bounded by its kept messages, a
-- replaced text leaves no copy behind, and a delete reads only its own target's entry.
-- A reaction's entry names its first reactors and counts the rest; the reactors set knows them all
-- (who may take one off), and loses a message's members with it. It is written after the entry, so
-- a crash between the two (Garnet) can leave one reaction counted but unknown to the set.
--
-- Returns {epoch, seq, duplicate (0|1), refusal}: refusal is "" (stored or duplicate), "not_found"
-- (the target or the message replied to is not in the log), "conflict" (the target changed since
-- the caller read it: read it again) or "no_change".

local update = ARGV[9] ~= ''
local target = ARGV[9]
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[2]
  local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
  if newest then
    -- The epoch alone is gone (evicted by a Redis that may evict, or expired apart from the log):
    -- never a wipe. The room keeps its log under a new epoch, as when the log goes backwards below.
    local changed = redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')[2] or 0
    local kept = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(newest), tonumber(changed))
    redis.call('SET', KEYS[1], kept)
    redis.call('SET', KEYS[3], epoch)
    redis.call('PUBLISH', ARGV[1], 'r ' .. epoch .. ' ' .. kept)
  else
    if update or ARGV[10] ~= '' then
      return {'', 0, 0, 'not_found'}
    end
    -- A new incarnation: whatever is left of an old one must not mix with it.
    redis.call('DEL', KEYS[1], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
    redis.call('SET', KEYS[3], epoch)
  end
end

-- The log went backwards (Redis came back without its last writes): clients have seen seqs the
-- counter is about to hand out again. Rather than reuse one, start a new epoch over the kept log.
-- Every replica hears "r <epoch> <seq>" before the first event of the new epoch.
local kept = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[7] == epoch and kept < tonumber(ARGV[8]) then
  epoch = ARGV[2]
  redis.call('SET', KEYS[3], epoch)
  redis.call('PUBLISH', ARGV[1], 'r ' .. epoch .. ' ' .. kept)
end

if ARGV[3] ~= '' then
  local existing = redis.call('ZSCORE', KEYS[4], ARGV[3])
  if existing then
    local stored
    if update then
      -- Stored if its entry is there, or its target has a later update (which replaced it).
      local latest = redis.call('HGET', KEYS[6], target)
      stored = (latest and tonumber(latest) >= tonumber(existing))
        or redis.call('ZRANGEBYSCORE', KEYS[5], existing, existing, 'LIMIT', 0, 1)[1]
    else
      stored = redis.call('ZRANGEBYSCORE', KEYS[2], existing, existing, 'LIMIT', 0, 1)[1]
    end
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]
    if stored or (oldest and tonumber(existing) < tonumber(oldest)) then
      return {epoch, tonumber(existing), 1, ''}
    end
    -- The dedupe entry outlived its entry (a crash cut this script short): store it again.
  end
end
if ARGV[12] == '1' then
  return {epoch, 0, 0, 'no_change'}
end

if update then
  local current = redis.call('ZRANGEBYSCORE', KEYS[2], target, target)
  if #current == 0 then
    return {epoch, 0, 0, 'not_found'}
  end
  local read = false
  for i = 1, #current do
    if current[i] == ARGV[10] then read = true end
  end
  if not read then
    return {epoch, 0, 0, 'conflict'}
  end
elseif ARGV[10] ~= '' and redis.call('ZCOUNT', KEYS[2], ARGV[10], ARGV[10]) == 0 then
  return {epoch, 0, 0, 'not_found'}
end

local seq = redis.call('INCR', KEYS[1])
local keep = tonumber(ARGV[5])
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[4], seq, ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', seq - keep)
end

local record
local indexed = update -- whether the room has updates (each is indexed in KEYS[6])
if update then
  -- The new update in, then the one it replaces out; then the message's new state in, its old one out.
  local entry = seq .. ' ' .. target .. ' ' .. ARGV[4]
  local previous = redis.call('HGET', KEYS[6], target)
  redis.call('ZADD', KEYS[5], seq, entry)
  redis.call('HSET', KEYS[6], target, seq)
  if previous then redis.call('ZREMRANGEBYSCORE', KEYS[5], previous, previous) end
  redis.call('ZADD', KEYS[2], target, ARGV[11])
  for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], target, target)) do
    if old ~= ARGV[11] then redis.call('ZREM', KEYS[2], old) end
  end
  local reactor = ARGV[13] or ''
  if reactor == '*' then
    redis.call('ZREMRANGEBYSCORE', KEYS[7], target, target)
  elseif reactor ~= '' then
    local op, member = string.sub(reactor, 1, 1), string.sub(reactor, 3)
    if op == '+' then redis.call('ZADD', KEYS[7], target, member) else redis.call('ZREM', KEYS[7], member) end
  end
  record = 'u ' .. epoch .. ' ' .. entry
else
  local entry = seq .. ' ' .. ARGV[4]
  redis.call('ZADD', KEYS[2], seq, entry)
  -- The oldest messages go, and each one's update with it. A room whose messages have no update
  -- (most messages) trims in one call, as cheaply as before updates were indexed.
  indexed = redis.call('EXISTS', KEYS[6]) == 1
  if not indexed then
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(keep + 1))
  else
    local over = redis.call('ZCARD', KEYS[2]) - keep
    if over > 0 then
      local gone = redis.call('ZPOPMIN', KEYS[2], over)
      for i = 2, #gone, 2 do
        local latest = redis.call('HGET', KEYS[6], gone[i])
        if latest then
          redis.call('ZREMRANGEBYSCORE', KEYS[5], latest, latest)
          redis.call('HDEL', KEYS[6], gone[i])
          redis.call('ZREMRANGEBYSCORE', KEYS[7], gone[i], gone[i])
        end
      end
    end
  end
  record = 'm ' .. epoch .. ' ' .. entry
end
-- With no update there is no updates key, index or reactors set whose TTL to renew.
for i = 1, indexed and 7 or 4 do
  redis.call('EXPIRE', KEYS[i], ARGV[6])
end

redis.call('PUBLISH', ARGV[1], record)
return {epoch, seq, 0, ''}
