-- Stores an update of a message (an edit, a delete, a reaction) and publishes it, atomically. An
-- update takes its own seq, like a message, and also replaces the message's entry with its new
-- state, so history pages stay one entry per message. The keys and the shared rules are in
-- log.lua, in front.
--
-- It is a compare-and-swap on the message's version: the seq of its latest update, kept in
-- KEYS[6] (0 before its first). The caller read the message and that version together, decided
-- the new state, and passes both; if another update came in between, this refuses "conflict" and
-- the caller reads again (RedisRoomBroker.UpdateAsync).
--
-- A message keeps at most one update: its latest, which holds the whole message as it is now
-- (applying it is enough to catch up). So a room's updates are bounded by its kept messages, and
-- a replaced text leaves no copy behind. A reaction's entry names its first reactors and counts
-- the rest; the reactors set knows them all (who may take one off), and loses a message's members
-- with it. It is written after the entry, so a crash between the two (Garnet) can leave one
-- reaction counted but unknown to the set. A message's new state is added before its old one is
-- removed, and readers keep the higher version ("v") of the two.
--
-- ARGV[1] pub/sub channel
-- ARGV[2] a fresh random epoch, used only if the room's log lost its epoch
-- ARGV[3] dedupe key "<user id> <client id>"
-- ARGV[4] the update body (JSON, opaque here)
-- ARGV[5] how many messages the log keeps (the dedupe ids are kept as long)
-- ARGV[6] retention in seconds: an idle room's keys expire after this
-- ARGV[7] ARGV[8] the newest (epoch, seq) the publishing replica delivered in this room, or "" 0
-- ARGV[9] the seq of the message it changes (its target)
-- ARGV[10] the target's version as the caller read it: the seq of its latest update, or 0
-- ARGV[11] the target's new body (the message as it is after this update)
-- ARGV[12] "1" when it changes nothing (an edit to the same text, a second delete): only a retry
--          of a stored change is acked (duplicate); anything else is refused
-- ARGV[13] what it does to the reactors set: "+ <member>" (a reaction on), "- <member>" (off),
--          "*" (a delete: every reaction to the target goes), or "" (nothing)
--
-- Returns {epoch, seq, duplicate (0|1), refusal}: refusal is "" (stored or duplicate),
-- "not_found" (the target is not in the log), "conflict" or "no_change".

local channel, fresh, key, keep, ttl, target = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[5]), ARGV[6], ARGV[9]
local epoch = kept_epoch(fresh, channel, ttl)
if not epoch then
  return {'', 0, 0, 'not_found'}
end
epoch = unless_rewound(epoch, ARGV[7], ARGV[8], fresh, channel, ttl)

local stored = deduped(key, function(seq)
  -- Stored if its entry is there, or its target has a later update (which replaced it).
  local latest = redis.call('HGET', LATEST, target)
  return (latest and tonumber(latest) >= tonumber(seq)) or redis.call('ZRANGEBYSCORE', UPDATES, seq, seq, 'LIMIT', 0, 1)[1]
end)
if stored then
  return {epoch, stored, 1, ''}
end
if ARGV[12] == '1' then
  return {epoch, 0, 0, 'no_change'}
end
if redis.call('ZCOUNT', LOG, target, target) == 0 then
  return {epoch, 0, 0, 'not_found'}
end
local previous = redis.call('HGET', LATEST, target)
if (previous or '0') ~= ARGV[10] then
  return {epoch, 0, 0, 'conflict'}
end

-- The new update in, then the one it replaces out; then the message's new state in, its old one out.
local seq = next_seq(key, keep)
local entry = update_entry(seq, target, ARGV[4])
redis.call('ZADD', UPDATES, seq, entry)
redis.call('HSET', LATEST, target, seq)
if previous then
  redis.call('ZREMRANGEBYSCORE', UPDATES, previous, previous)
end
local state = message_entry(target, ARGV[11])
redis.call('ZADD', LOG, target, state)
for _, old in ipairs(redis.call('ZRANGEBYSCORE', LOG, target, target)) do
  if old ~= state then redis.call('ZREM', LOG, old) end
end
local reactor = ARGV[13]
if reactor == '*' then
  redis.call('ZREMRANGEBYSCORE', REACTORS, target, target)
elseif reactor ~= '' then
  local op, member = string.sub(reactor, 1, 1), string.sub(reactor, 3)
  if op == '+' then redis.call('ZADD', REACTORS, target, member) else redis.call('ZREM', REACTORS, member) end
end
renew(ttl, true)

redis.call('PUBLISH', channel, update_record(epoch, entry))
return {epoch, seq, 0, ''}
