-- Who is in a room, across replicas. Each socket is one entry that its replica refreshes by
-- heartbeat; entries not refreshed expire, so a crashed replica's members leave by themselves.
-- Joins and leaves are published per user (a user with two tabs joins once, leaves once).
-- A crowd (more users than ARGV[5]) publishes no joins and leaves: each would go to every member,
-- so N joins cost N^2 frames. Its members hear the count instead, each heartbeat, and a joiner
-- gets the first ARGV[5] users and the count.
--
-- KEYS[1] letschat:{room}:presence  sorted set: score = expiry (ms), member = "<user id> <connection id>"
-- KEYS[2] letschat:{room}:users     hash: user id -> number of live entries
-- KEYS[3] letschat:{room}:names     hash: user id -> user JSON {"id":..,"name":..} (opaque here)
-- KEYS[4] letschat:{room}:epoch, KEYS[5] letschat:{room}:log: a room with no message yet keeps its
--         epoch only as long as its presence (a join creates it, read.lua), so an empty room costs
--         no key for longer than that
-- ARGV[1] operation: join | leave | heartbeat | members
-- ARGV[2] now (ms)
-- ARGV[3] expiry for entries written now (ms)
-- ARGV[4] pub/sub channel for join/leave records "p join <user>", "p count <n>" (Redis/RoomRecords.cs)
-- ARGV[5] the most users a room announces joins and leaves for, and lists to a joiner
-- join:      ARGV[6] entry, ARGV[7] user JSON
-- leave:     ARGV[6] entry
-- heartbeat: ARGV[6..] pairs of entry, user JSON: this replica's live entries
-- members:   (nothing)  returns {count of live users, user JSON of at most ARGV[5] of them}
-- Keys live a little longer than entries, so an abandoned room cleans itself up.

local now, expiry, channel, listed = tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])

local function event(kind, user_json)
  redis.call('PUBLISH', channel, 'p ' .. kind .. ' ' .. user_json)
end

local function drop_entry(entry, user_id)
  if redis.call('ZREM', KEYS[1], entry) == 0 then
    return
  end
  if redis.call('HINCRBY', KEYS[2], user_id, -1) <= 0 then
    local user_json = redis.call('HGET', KEYS[3], user_id)
    redis.call('HDEL', KEYS[2], user_id)
    redis.call('HDEL', KEYS[3], user_id)
    if user_json and redis.call('HLEN', KEYS[2]) < listed then
      event('leave', user_json)
    end
  end
end

local function reap()
  local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  for _, entry in ipairs(expired) do
    drop_entry(entry, string.match(entry, '^(%S+)'))
  end
end

local function keep_keys()
  for i = 1, 3 do
    redis.call('PEXPIREAT', KEYS[i], expiry + 60000)
  end
  if redis.call('EXISTS', KEYS[5]) == 0 then
    redis.call('PEXPIREAT', KEYS[4], expiry + (expiry - now))
  end
end

-- Adds (or refreshes) an entry; a user's first live entry announces the join.
local function add_entry(entry, user_json)
  local user_id = string.match(entry, '^(%S+)')
  if redis.call('ZADD', KEYS[1], expiry, entry) == 1 then
    redis.call('HSET', KEYS[3], user_id, user_json)
    if redis.call('HINCRBY', KEYS[2], user_id, 1) == 1 and redis.call('HLEN', KEYS[2]) <= listed then
      event('join', user_json)
    end
  end
end

local op = ARGV[1]
if op == 'join' then
  reap()
  add_entry(ARGV[6], ARGV[7])
  keep_keys()
  return 1
elseif op == 'leave' then
  drop_entry(ARGV[6], string.match(ARGV[6], '^(%S+)'))
  return 1
elseif op == 'heartbeat' then
  -- Refresh first, then reap: a late heartbeat revives its entries instead of bouncing them.
  -- An entry that was reaped meanwhile (a replica paused past the TTL) is re-added and re-announced.
  for i = 6, #ARGV, 2 do
    add_entry(ARGV[i], ARGV[i + 1])
  end
  reap()
  keep_keys()
  local count = redis.call('HLEN', KEYS[2])
  if count > listed then
    event('count', tostring(count))
  end
  return 1
elseif op == 'members' then
  reap()
  -- The first users HSCAN finds, not all of them: a joiner's snapshot stays one small frame.
  local count, cursor, names = redis.call('HLEN', KEYS[2]), '0', {}
  repeat
    local page = redis.call('HSCAN', KEYS[3], cursor, 'COUNT', listed)
    cursor = page[1]
    for i = 2, #page[2], 2 do
      if #names < listed then names[#names + 1] = page[2][i] end
    end
  until cursor == '0' or #names >= listed
  return {count, unpack(names)}
end
return redis.error_reply('unknown presence operation ' .. tostring(op))
