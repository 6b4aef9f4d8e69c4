-- A socket's place under a cap that holds across replicas (Security/ConnectionCap.cs): one sorted
-- set per client network, and one per user, of the sockets open now on any replica. Each member
-- is a lease its replica renews every presence heartbeat; a crashed replica's leases run out by
-- themselves, so its sockets stop counting within one lease.
--
-- KEYS[1] letschat:net:<network>:sockets or letschat:user:{id}:sockets
--         sorted set: score = lease expiry (ms), member = "<replica> <connection id>"
-- ARGV[1] now (ms), ARGV[2] lease (ms), ARGV[3] the cap, ARGV[4] the member
-- Returns 1 when the socket took a place, 0 when the cap is full (nothing is written then).

local now, lease, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= cap then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
