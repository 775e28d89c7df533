"""The waiting room's Lua scripts: each runs atomically on Redis's clock (Redis 6.2 commands).

Every script gets the same KEYS, all under the event's hash tag (one Cluster slot):
1 meta (hash: epoch, state pre|opening|open, seq, serving, k, assigned, rate, tokens, ts, eta,
admitted_total, reset), 2 line (zset user → ticket), 3 pre (set), 4 frozen (set: the pre-queue
as it was at opening), 5 quit (set: frozen fans who left before their number came),
6 active (zset user → admission expiry, ms), 7 admitted (hash user → jti, read by booking).

Replies start with a code: 1 waiting, 2 admitted, 3 pre-queue, 0 no place, -1 no state (meta
missing), -2 another epoch (followed by it), -3 sale closed, -4 before the pre-queue window,
-5 a join limit (followed by the milliseconds until a join is allowed).
"""

from __future__ import annotations

_PRELUDE = """
local META, LINE, PRE, FROZEN = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local QUIT, ACTIVE, ADMITTED = KEYS[5], KEYS[6], KEYS[7]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function meta_number(field, default)
  local value = redis.call('HGET', META, field)
  if value then return tonumber(value) end
  return default
end

-- nil when the state is the epoch the caller knows, else the reply that says what is wrong
local function epoch_problem(expected)
  local epoch = redis.call('HGET', META, 'epoch')
  if not epoch then return {-1} end
  if epoch ~= expected then return {-2, tonumber(epoch)} end
  return nil
end

-- unpack() has a small stack: big lists go in chunks
local function in_chunks(list, call)
  for i = 1, #list, 1000 do
    call(unpack(list, i, math.min(i + 999, #list)))
  end
end

local function drop_expired(now, limit)
  local gone = redis.call('ZRANGEBYSCORE', ACTIVE, '-inf', now, 'LIMIT', 0, limit)
  in_chunks(gone, function(...)
    redis.call('ZREM', ACTIVE, ...)
    redis.call('HDEL', ADMITTED, ...)
  end)
  return #gone
end

-- the admission token bucket: `rate` a second, one second's worth of burst
local function take_tokens(now, rate, want)
  local burst = math.max(1, rate)
  local tokens = meta_number('tokens', burst)
  local ts = meta_number('ts', now)
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
  local n = math.max(0, math.min(want, math.floor(tokens)))
  redis.call('HSET', META, 'tokens', tostring(tokens - n), 'ts', tostring(now))
  return n
end

-- expiry on a whole second (rounded up: never shorter than the TTL), so the token's `exp`
-- (seconds) is exactly the stored expiry
local function admit(user, ticket, now, ttl_ms)
  local expires = math.ceil((now + ttl_ms) / 1000) * 1000
  redis.call('ZADD', ACTIVE, expires, user)
  redis.call('HSET', ADMITTED, user, ticket)
  if ticket > meta_number('serving', 0) then redis.call('HSET', META, 'serving', ticket) end
  redis.call('HINCRBY', META, 'admitted_total', 1)
  return expires
end

-- at opening, freeze the pre-queue and reserve tickets 1..k for it: later joins get k+1..
-- (an empty pre-queue has nothing to draw: the room opens at once)
local function freeze_if_due(now, opens)
  if redis.call('HGET', META, 'state') ~= 'pre' or now < opens then return end
  local k = redis.call('SCARD', PRE)
  if k == 0 then
    redis.call('HSET', META, 'state', 'open')
    return
  end
  redis.call('RENAME', PRE, FROZEN)
  redis.call('HSET', META, 'state', 'opening', 'k', k, 'seq', k, 'assigned', 0)
end

local function position_of(user)
  local rank = redis.call('ZRANK', LINE, user)
  if redis.call('HGET', META, 'state') == 'opening' then
    -- pre-queue fans not yet given their numbers are all ahead
    rank = rank + math.max(0, meta_number('k', 0) - meta_number('assigned', 0))
  end
  return rank
end

local function reply(code, ticket, position, expires)
  return {code, ticket, position, meta_number('serving', 0), expires,
          redis.call('HGET', META, 'eta') or '', redis.call('HGET', META, 'state') or ''}
end

local function place_of(user, now)
  local ticket = redis.call('ZSCORE', LINE, user)
  if ticket then return reply(1, tonumber(ticket), position_of(user), 0) end
  local expires = redis.call('ZSCORE', ACTIVE, user)
  if expires and tonumber(expires) > now then
    return reply(2, tonumber(redis.call('HGET', ADMITTED, user) or '0'), 0, tonumber(expires))
  end
  if redis.call('SISMEMBER', PRE, user) == 1 then return reply(3, 0, 0, 0) end
  if redis.call('SISMEMBER', FROZEN, user) == 1
      and redis.call('SISMEMBER', QUIT, user) == 0 then
    return reply(3, 0, 0, 0)
  end
  return nil
end
"""

# KEYS 8, 9: the join limits' token buckets (per client address, per account), under the
# event's tag too. ARGV: epoch, user, opens_ms, closes_ms, pre_window_ms, max_active, ceiling
# rate, ttl_ms, then per address rate (tokens/s, 0: no limit) and burst, per account rate and
# burst. Idempotent per user; O(log n). Admits at once when nobody waits and budget and rate
# allow. The limits are checked first (a refused join changes nothing else): {-5, wait_ms}.
JOIN = (
    _PRELUDE
    + """
local problem = epoch_problem(ARGV[1])
if problem then return problem end
local user = ARGV[2]
local now = now_ms()

-- 0 when a token was taken from the bucket (or there is no limit), else ms until one is due
local function bucket_wait(key, rate, burst)
  if rate <= 0 then return 0 end
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or burst
  local ts = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
  local wait = 0
  if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
  return wait
end
local wait = bucket_wait(KEYS[8], tonumber(ARGV[9]), tonumber(ARGV[10]))
if wait > 0 then return {-5, wait} end
wait = bucket_wait(KEYS[9], tonumber(ARGV[11]), tonumber(ARGV[12]))
if wait > 0 then return {-5, wait} end

if now >= tonumber(ARGV[4]) then return {-3} end
local expires = redis.call('ZSCORE', ACTIVE, user)
if expires and tonumber(expires) <= now then
  redis.call('ZREM', ACTIVE, user)
  redis.call('HDEL', ADMITTED, user)
end
local place = place_of(user, now)
if place then return place end
local opens = tonumber(ARGV[3])
if redis.call('HGET', META, 'state') == 'pre' and now < opens then
  if now < opens - tonumber(ARGV[5]) then return {-4} end
  redis.call('SADD', PRE, user)
  return reply(3, 0, 0, 0)
end
freeze_if_due(now, opens)
local ticket = redis.call('HINCRBY', META, 'seq', 1)
if redis.call('HGET', META, 'state') == 'open' and redis.call('ZCARD', LINE) == 0 then
  drop_expired(now, 100)
  if redis.call('ZCARD', ACTIVE) < tonumber(ARGV[6]) then
    local rate = meta_number('rate', tonumber(ARGV[7]))
    if take_tokens(now, rate, 1) == 1 then
      return reply(2, ticket, 0, admit(user, ticket, now, tonumber(ARGV[8])))
    end
  end
end
redis.call('ZADD', LINE, ticket, user)
return reply(1, ticket, position_of(user), 0)
"""
)

# ARGV: epoch, user. Read-only.
STATUS = (
    _PRELUDE
    + """
local problem = epoch_problem(ARGV[1])
if problem then return problem end
local place = place_of(ARGV[2], now_ms())
if place then return place end
return {0, meta_number('reset', 0)}
"""
)

# ARGV: user. Out of every structure, whatever the epoch; 1 when an admission was given back.
LEAVE = (
    _PRELUDE
    + """
local user = ARGV[1]
redis.call('ZREM', LINE, user)
redis.call('SREM', PRE, user)
if redis.call('SISMEMBER', FROZEN, user) == 1 then redis.call('SADD', QUIT, user) end
local gave = redis.call('ZREM', ACTIVE, user)
redis.call('HDEL', ADMITTED, user)
return gave
"""
)

# ARGV: user. The fan bought or their hold expired: the admission ends, the place is not kept.
END_ADMISSION = (
    _PRELUDE
    + """
local gave = redis.call('ZREM', ACTIVE, ARGV[1])
redis.call('HDEL', ADMITTED, ARGV[1])
return gave
"""
)

# ARGV: epoch, opens_ms, max_active, ceiling rate, ttl_ms, batch.
# Reply: n, dropped, serving, waiting, active, state, rate, admitted_total (every admission so
# far, however made: the measured pace reads it), then, when n > 0, the admissions' expiry
# (ms, the same for every fan of a step), the admitted users and their tickets, each list as
# one string joined by newlines (thousands of fans cost two strings to send and to parse).
ADMIT = (
    _PRELUDE
    + """
local problem = epoch_problem(ARGV[1])
if problem then return problem end
local now = now_ms()
local dropped = drop_expired(now, 10000)
freeze_if_due(now, tonumber(ARGV[2]))
local state = redis.call('HGET', META, 'state') or ''
local waiting = redis.call('ZCARD', LINE)
local rate = meta_number('rate', tonumber(ARGV[4]))
local out = {0, dropped, 0, waiting, 0, state, tostring(rate), 0}
if state == 'open' and waiting > 0 then
  local free = tonumber(ARGV[3]) - redis.call('ZCARD', ACTIVE)
  if free > 0 then
    local n = take_tokens(now, rate, math.min(free, waiting, tonumber(ARGV[6])))
    if n > 0 then
      local popped = redis.call('ZPOPMIN', LINE, n)
      local count = #popped / 2
      -- as admit() does for one fan, in bulk: every fan of the step expires at the same time
      local expires = math.ceil((now + tonumber(ARGV[5])) / 1000) * 1000
      local users, tickets, scored, owned = {}, {}, {}, {}
      for i = 1, #popped, 2 do
        users[#users + 1] = popped[i]
        tickets[#tickets + 1] = popped[i + 1]
        scored[#scored + 1] = expires
        scored[#scored + 1] = popped[i]
        owned[#owned + 1] = popped[i]
        owned[#owned + 1] = popped[i + 1]
      end
      for i = 1, #scored, 1000 do
        redis.call('ZADD', ACTIVE, unpack(scored, i, math.min(i + 999, #scored)))
        redis.call('HSET', ADMITTED, unpack(owned, i, math.min(i + 999, #owned)))
      end
      -- ZPOPMIN pops in ticket order: the last is the highest
      local top = tonumber(tickets[#tickets])
      if top > meta_number('serving', 0) then redis.call('HSET', META, 'serving', top) end
      redis.call('HINCRBY', META, 'admitted_total', count)
      out[1] = count
      out[4] = waiting - count
      out[9] = expires
      out[10] = table.concat(users, '\\n')
      out[11] = table.concat(tickets, '\\n')
    end
  end
end
out[3] = meta_number('serving', 0)
out[5] = redis.call('ZCARD', ACTIVE)
out[8] = meta_number('admitted_total', 0)
return out
"""
)

# ARGV: epoch, first ticket, users in drawn order ("" keeps a number nobody gets).
# Idempotent: a redo after a crash skips fans already placed; fans who left before their
# number came are skipped (their numbers stay reserved).
ASSIGN = (
    _PRELUDE
    + """
local problem = epoch_problem(ARGV[1])
if problem then return problem end
if redis.call('HGET', META, 'state') ~= 'opening' then return {0} end
local first = tonumber(ARGV[2])
local added = 0
for i = 3, #ARGV do
  local user = ARGV[i]
  if user ~= '' and redis.call('SISMEMBER', QUIT, user) == 0
      and not redis.call('ZSCORE', LINE, user) and not redis.call('ZSCORE', ACTIVE, user) then
    redis.call('ZADD', LINE, first + i - 3, user)
    added = added + 1
  end
end
local done = first + #ARGV - 3
if done > meta_number('assigned', 0) then redis.call('HSET', META, 'assigned', done) end
return {added}
"""
)

# ARGV: epoch. Every pre-queue fan has a number: the room is open.
FINISH_OPENING = (
    _PRELUDE
    + """
local problem = epoch_problem(ARGV[1])
if problem then return problem end
if redis.call('HGET', META, 'state') == 'opening' then
  redis.call('HSET', META, 'state', 'open')
  redis.call('HDEL', META, 'assigned')
  redis.call('DEL', FROZEN, QUIT)
end
return {1}
"""
)

# ARGV: epoch, state (pre|open), reset (1 when a room that existed lost its state).
# Wipes whatever is left of an older epoch: without its meta nothing of it can be trusted.
INIT = (
    _PRELUDE
    + """
local current = tonumber(redis.call('HGET', META, 'epoch') or '0')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', META, LINE, PRE, FROZEN, QUIT, ACTIVE, ADMITTED)
redis.call('HSET', META, 'epoch', ARGV[1], 'state', ARGV[2], 'seq', 0, 'serving', 0, 'k', 0,
           'admitted_total', 0)
if ARGV[3] == '1' then redis.call('HSET', META, 'reset', now_ms()) end
return 1
"""
)

# ARGV: rate, eta (seconds per person). Only on an existing state: never a meta without epoch.
SET_PACE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'rate', ARGV[1], 'eta', ARGV[2])
return 1
"""

# KEYS[1] the lease; ARGV: owner, ttl_ms. Take it when free, renew it when ours.
LEASE_ACQUIRE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""

LEASE_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
