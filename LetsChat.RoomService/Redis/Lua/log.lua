-- What publish.lua, update.lua and read.lua share; RedisScripts puts it in front of each. It holds
-- a room's keys, the epoch rules, and the only Lua that builds a log entry or a record. Their
-- format is defined in Redis/RoomRecords.cs. The JSON parts (bodies) are opaque here.
--
-- KEYS[1] letschat:{room}:seq      INCR counter: the last seq handed out
-- KEYS[2] letschat:{room}:log      sorted set: score = seq, member = message entry "<seq> <body>"
-- KEYS[3] letschat:{room}:epoch    string: the id of this incarnation of the room's log
-- KEYS[4] letschat:{room}:ids      sorted set: score = seq, member = "<user id> <client id>" (dedupe)
-- KEYS[5] letschat:{room}:updates  sorted set: score = seq, member = update entry "<seq> <target> <body>"
-- KEYS[6] letschat:{room}:latest   hash: target seq -> the seq of its one update in KEYS[5] (its version)
-- KEYS[7] letschat:{room}:reactors sorted set: score = target seq, member = "<target> <user id> <emoji>"
--
-- After a crash, any prefix of a script's writes may be all that comes back: Garnet logs a
-- script's writes one by one and replays as many as reached its log (bench/script_kill.py shows
-- it; redis-server replays a script's writes whole or not at all). So each write is ordered to
-- leave a state the next call reads correctly: the dedupe entry goes before the entry it guards,
-- and a dedupe entry counts only if its entry is there (or is older than the log keeps).

local SEQ, LOG, EPOCH, IDS, UPDATES, LATEST, REACTORS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]

local function message_entry(seq, body) return seq .. ' ' .. body end
local function update_entry(seq, target, body) return seq .. ' ' .. target .. ' ' .. body end
-- trace: the send's W3C traceparent, or "-". It travels with the record, never into the log.
local function message_record(epoch, trace, entry) return 'm ' .. epoch .. ' ' .. trace .. ' ' .. entry end
local function update_record(epoch, entry) return 'u ' .. epoch .. ' ' .. entry end

-- "r <epoch> <seq>": the log went backwards, and goes on as this new epoch after seq.
local function announce_rewind(channel, epoch, seq)
  redis.call('PUBLISH', channel, 'r ' .. epoch .. ' ' .. seq)
end

-- The room's epoch, or nil when it has no log. A log whose epoch alone is gone (evicted by a Redis
-- that may evict, or expired apart from the log) is never wiped: it takes `fresh` (unless "") and
-- goes on after its newest seq, announced on `channel` when one is given.
local function kept_epoch(fresh, channel, ttl)
  local epoch = redis.call('GET', EPOCH)
  local newest = not epoch and redis.call('ZRANGE', LOG, -1, -1, 'WITHSCORES')[2]
  if epoch or not newest or fresh == '' then
    return epoch or nil
  end
  local changed = redis.call('ZRANGE', UPDATES, -1, -1, 'WITHSCORES')[2] or 0
  local kept = math.max(tonumber(redis.call('GET', SEQ) or '0'), tonumber(newest), tonumber(changed))
  redis.call('SET', SEQ, kept, 'EX', ttl)
  redis.call('SET', EPOCH, fresh, 'EX', ttl)
  if channel then announce_rewind(channel, fresh, kept) end
  return fresh
end

-- A new incarnation of the log: whatever is left of an old one must not mix with it.
local function new_epoch(fresh, ttl)
  redis.call('DEL', SEQ, LOG, IDS, UPDATES, LATEST, REACTORS)
  redis.call('SET', EPOCH, fresh, 'EX', ttl)
  return fresh
end

-- The log went backwards (Redis came back without its last writes) behind what the caller has
-- seen, (seen_epoch, seen_seq): clients have seen seqs the counter is about to hand out again.
-- Rather than reuse one, the log goes on as `fresh`, and every replica hears the rewind before
-- the first event of the new epoch. Returns the epoch the log has now.
local function unless_rewound(epoch, seen_epoch, seen_seq, fresh, channel, ttl)
  local last = tonumber(redis.call('GET', SEQ) or '0')
  if seen_epoch ~= epoch or last >= tonumber(seen_seq) then
    return epoch
  end
  redis.call('SET', EPOCH, fresh, 'EX', ttl)
  announce_rewind(channel, fresh, last)
  return fresh
end

-- The seq a send or an update with dedupe `key` was stored at, or nil. is_stored(seq) says whether
-- its entry is still there; one older than the log keeps counts as stored. A dedupe entry that
-- outlived its entry (a crash cut a script short) counts as not stored: it is stored again.
local function deduped(key, is_stored)
  local existing = key ~= '' and redis.call('ZSCORE', IDS, key)
  if not existing then
    return nil
  end
  local oldest = redis.call('ZRANGE', LOG, 0, 0, 'WITHSCORES')[2]
  if is_stored(existing) or (oldest and tonumber(existing) < tonumber(oldest)) then
    return tonumber(existing)
  end
  return nil
end

-- The room's next seq, and the dedupe entry that guards it (written first); ids older than the
-- last `keep` seqs go.
local function next_seq(key, keep)
  local seq = redis.call('INCR', SEQ)
  if key ~= '' then
    redis.call('ZADD', IDS, seq, key)
    redis.call('ZREMRANGEBYSCORE', IDS, '-inf', seq - keep)
  end
  return seq
end

-- An active room's keys live `ttl` more seconds; `all` when it has updates (KEYS[5] to KEYS[7]).
local function renew(ttl, all)
  for i = 1, all and 7 or 4 do
    redis.call('EXPIRE', KEYS[i], ttl)
  end
end

