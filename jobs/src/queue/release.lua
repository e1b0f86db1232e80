-- Hands a stopping worker's unfinished jobs back to the queue at once.
-- KEYS[1]: the worker's inflight set    KEYS[2]: the active list
-- KEYS[3]: the signal list              KEYS[4]: the workers sorted set
-- ARGV[1]: the worker's name
local jobs = redis.call("smembers", KEYS[1])
if #jobs > 0 then
    redis.call("rpush", KEYS[2], unpack(jobs))
    redis.call("del", KEYS[1])
    redis.call("del", KEYS[3])
    redis.call("lpush", KEYS[3], 1)
end
redis.call("zrem", KEYS[4], ARGV[1])
return #jobs
