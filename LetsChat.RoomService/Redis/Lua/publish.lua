-- Appends a chat message to a room's log and publishes it, atomically: a message is never
-- delivered without being in history, nor in history without being delivered. (Edits, deletes
-- and reactions are update.lua's.) The keys and the shared rules are in log.lua, in front.
--
-- ARGV[1] pub/sub channel
-- ARGV[2] a fresh random epoch, used only if the room has none (new room, or Redis lost it)
-- ARGV[3] dedupe key "<user id> <client id>", or "" for none (seed clients)
-- ARGV[4] the message body (JSON, opaque here)
-- ARGV[5] how many messages the log keeps
-- ARGV[6] retention in seconds: an idle room's keys expire after this
-- ARGV[7] ARGV[8] the newest (epoch, seq) the publishing replica delivered in this room, or "" 0
-- ARGV[9] the seq of the message it replies to, or ""
-- ARGV[10] the send's W3C traceparent, or "-"
--
-- Returns {epoch, seq, duplicate (0|1), refusal}: refusal is "" (stored or duplicate) or
-- "not_found" (the message it replies to is not in the log).

local channel, fresh, key, keep, ttl, reply_to = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[5]), ARGV[6], ARGV[9]
local epoch = kept_epoch(fresh, channel, ttl)
if not epoch then
  if reply_to ~= '' then
    return {'', 0, 0, 'not_found'}
  end
  epoch = new_epoch(fresh, ttl)
end
epoch = unless_rewound(epoch, ARGV[7], ARGV[8], fresh, channel, ttl)

local stored = deduped(key, function(seq) return redis.call('ZRANGEBYSCORE', LOG, seq, seq, 'LIMIT', 0, 1)[1] end)
if stored then
  return {epoch, stored, 1, ''}
end
if reply_to ~= '' and redis.call('ZCOUNT', LOG, reply_to, reply_to) == 0 then
  return {epoch, 0, 0, 'not_found'}
end

local seq = next_seq(key, keep)
local entry = message_entry(seq, ARGV[4])
redis.call('ZADD', LOG, seq, entry)
-- The oldest messages go, and each one's update and reactions with it. A room whose messages have
-- no update (most messages) trims in one call, as cheaply as before updates were indexed.
local indexed = redis.call('EXISTS', LATEST) == 1
if not indexed then
  redis.call('ZREMRANGEBYRANK', LOG, 0, -(keep + 1))
else
  local over = redis.call('ZCARD', LOG) - keep
  if over > 0 then
    local gone = redis.call('ZPOPMIN', LOG, over)
    for i = 2, #gone, 2 do
      local latest = redis.call('HGET', LATEST, gone[i])
      if latest then
        redis.call('ZREMRANGEBYSCORE', UPDATES, latest, latest)
        redis.call('HDEL', LATEST, gone[i])
        redis.call('ZREMRANGEBYSCORE', REACTORS, gone[i], gone[i])
      end
    end
  end
end
-- With no update there is no updates key, index or reactors set whose TTL to renew.
renew(ttl, indexed)

redis.call('PUBLISH', channel, message_record(epoch, ARGV[10], entry))
return {epoch, seq, 0, ''}
