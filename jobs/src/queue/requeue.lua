-- Moves one dead job back to its queue's active list, as if freshly pushed.
-- KEYS[1]: the dead set        KEYS[2]: the active list     KEYS[3]: the signal list
-- KEYS[4]: the job's meta hash KEYS[5]: the job data hash
-- ARGV[1]: the task id
-- Returns 1 when requeued, 0 when the job is not dead, -1 when its data is gone (vacuumed).
if redis.call("sismember", KEYS[1], ARGV[1]) == 0 then
    return 0
end
if redis.call("hexists", KEYS[5], ARGV[1]) == 0 then
    return -1
end
redis.call("srem", KEYS[1], ARGV[1])
redis.call("hset", KEYS[4], "status", "Pending", "attempts", 0)
redis.call("hdel", KEYS[4], "result", "done_at")
redis.call("rpush", KEYS[2], ARGV[1])
redis.call("del", KEYS[3])
redis.call("lpush", KEYS[3], 1)
return 1
