-- Removes finished jobs older than a cutoff, a bounded batch per call (no full-hash scans).
-- KEYS[1]: the done set   KEYS[2]: the task data hash   KEYS[3]: the task metadata prefix
-- ARGV[1]: SSCAN cursor   ARGV[2]: batch size           ARGV[3]: cutoff (Unix seconds)
-- Returns {next cursor, removed}
local scan = redis.call("sscan", KEYS[1], ARGV[1], "COUNT", tonumber(ARGV[2]))
local removed = 0
local cutoff = tonumber(ARGV[3])
for _, id in ipairs(scan[2]) do
    local meta_key = KEYS[3] .. ":" .. id
    local done_at = tonumber(redis.call("hget", meta_key, "done_at") or "0")
    if done_at <= cutoff then
        redis.call("hdel", KEYS[2], id)
        redis.call("hdel", KEYS[3] .. ":result", id)
        redis.call("del", meta_key)
        redis.call("srem", KEYS[1], id)
        removed = removed + 1
    end
end
return {scan[1], removed}
