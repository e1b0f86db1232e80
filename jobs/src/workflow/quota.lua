-- Reserves a publish in an account's rolling window, atomically across workers.
-- KEYS[1]: the account's ledger (sorted set of post ids scored by reservation time, ms)
-- ARGV[1]: now (ms)  ARGV[2]: window (ms)  ARGV[3]: limit  ARGV[4]: post id
-- Returns 0 when reserved (or already reserved), else the ms until a slot frees.
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call("zremrangebyscore", KEYS[1], 0, now - window)
if redis.call("zscore", KEYS[1], ARGV[4]) then
    return 0
end
if redis.call("zcard", KEYS[1]) < tonumber(ARGV[3]) then
    redis.call("zadd", KEYS[1], now, ARGV[4])
    redis.call("pexpire", KEYS[1], window)
    return 0
end
local oldest = redis.call("zrange", KEYS[1], 0, 0, "WITHSCORES")
return math.max(1, tonumber(oldest[2]) + window - now)
