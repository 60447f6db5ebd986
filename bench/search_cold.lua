-- wrk script for knowledge search without the answer cache (bench/run.sh): every request asks
-- different words, three of a list of 24 the docs use (2 024 combinations, against a cache of
-- 256 answers walked in order: none is still kept when its query comes round again). The
-- bearer token is given on wrk's command line (-H 'Authorization: Bearer …').
local words = {
    "token", "agent", "revoke", "notify", "scope", "runtime", "deploy", "logs", "idempotency",
    "error", "page", "user", "docker", "incus", "process", "restart", "pause", "stream",
    "search", "knowledge", "operation", "status", "session", "password",
}
local queries = {}
for i = 1, #words do
    for j = i + 1, #words do
        for k = j + 1, #words do
            queries[#queries + 1] = words[i] .. "+" .. words[j] .. "+" .. words[k]
        end
    end
end
local n = 0

function setup(thread)
    -- Threads start apart, so no two ask the same query at the same time.
    thread:set("start", math.random(#queries))
end

function init(args)
    n = tonumber(start) or 0
end

function request()
    n = n + 1
    return wrk.format("GET", "/api/knowledge/search?q=" .. queries[n % #queries + 1])
end
