-- Appends one chat message to a room's log and publishes it, atomically: a message is never
-- delivered without being in history, nor in history without being delivered.
--
-- After a crash, any prefix of these writes may be all that comes back: Garnet logs a script's
-- writes one by one and replays as many as reached its log (bench/script_kill.py shows it;
-- redis-server replays a script's writes whole or not at all). So each write is ordered to leave a
-- state the next call reads correctly: the dedupe entry goes before the log entry, and a dedupe
-- entry counts only if the log has its seq (or the seq is older than the log keeps).
--
-- KEYS[1] letschat:{room}:seq    INCR counter: the last seq handed out
-- KEYS[2] letschat:{room}:log    sorted set: score = seq, member = log entry "<seq> <body>"
-- KEYS[3] letschat:{room}:epoch  string: the id of this incarnation of the room's log
-- KEYS[4] letschat:{room}:ids    sorted set: score = seq, member = "<user id> <client id>" (dedupe)
-- ARGV[1] pub/sub channel
-- ARGV[2] a fresh random epoch, used only if the room has none (new room, or Redis lost it)
-- ARGV[3] dedupe key "<user id> <client id>", or "" for none (seed clients)
-- ARGV[4] the message body (JSON, opaque here)
-- ARGV[5] how many messages the log keeps
-- ARGV[6] retention in seconds: an idle room's keys expire after this
-- ARGV[7] ARGV[8] the newest (epoch, seq) the publishing replica delivered in this room, or "" 0
-- The entry and the published record "m <epoch> <entry>" are defined in Broker/RoomRecords.cs.
-- Returns {epoch, seq, duplicate (0|1)}.

local epoch = redis.call('GET', KEYS[3])
if not epoch then
  -- A new incarnation: whatever is left of an old one must not mix with it.
  epoch = ARGV[2]
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
  redis.call('SET', KEYS[3], epoch)
end

-- The log went backwards (Redis came back without its last writes): clients have seen seqs the
-- counter is about to hand out again. Rather than reuse one, start a new epoch over the kept log.
-- Every replica hears "r <epoch> <seq>" before the first message of the new epoch.
local kept = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[7] == epoch and kept < tonumber(ARGV[8]) then
  epoch = ARGV[2]
  redis.call('SET', KEYS[3], epoch)
  redis.call('PUBLISH', ARGV[1], 'r ' .. epoch .. ' ' .. kept)
end

if ARGV[3] ~= '' then
  local existing = redis.call('ZSCORE', KEYS[4], ARGV[3])
  if existing then
    local stored = redis.call('ZRANGEBYSCORE', KEYS[2], existing, existing, 'LIMIT', 0, 1)[1]
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]
    if stored or (oldest and tonumber(existing) < tonumber(oldest)) then
      return {epoch, tonumber(existing), 1}
    end
    -- The dedupe entry outlived its log entry (a crash cut this script short): store it again.
  end
end

local seq = redis.call('INCR', KEYS[1])
local entry = seq .. ' ' .. ARGV[4]
local keep = tonumber(ARGV[5])

if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[4], seq, ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', seq - keep)
end
redis.call('ZADD', KEYS[2], seq, entry)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(keep + 1))
for i = 1, 4 do
  redis.call('EXPIRE', KEYS[i], ARGV[6])
end

redis.call('PUBLISH', ARGV[1], 'm ' .. epoch .. ' ' .. entry)
return {epoch, seq, 0}
