import type { Redis } from 'ioredis';
import type { BudgetLedger } from './ledger.js';

// KEYS: per scope, its spent counter then its reservations hash (field = reservation id, value
// "amount:expiresAt"). Expired reservations are dropped as they are met, so a crashed replica's
// reservations stop counting. Every scope is checked before any is booked: all or nothing.
const reserveScript = `
local now = tonumber(ARGV[1])
local scopes = #KEYS / 2
for i = 1, scopes do
  local spent = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local reserved = 0
  local entries = redis.call('HGETALL', KEYS[2 * i])
  for j = 1, #entries, 2 do
    local amount, expires = string.match(entries[j + 1], '^(%d+):(%d+)$')
    if tonumber(expires) <= now then
      redis.call('HDEL', KEYS[2 * i], entries[j])
    else
      reserved = reserved + tonumber(amount)
    end
  end
  if spent + reserved + tonumber(ARGV[3]) > tonumber(ARGV[5 + i]) then
    return {i, spent, reserved}
  end
end
for i = 1, scopes do
  redis.call('HSET', KEYS[2 * i], ARGV[2], ARGV[3] .. ':' .. ARGV[4])
  redis.call('EXPIRE', KEYS[2 * i], ARGV[5])
end
return {0, 0, 0}`;

const settleScript = `
local first = 0
for i = 1, #KEYS / 2 do
  redis.call('HDEL', KEYS[2 * i], ARGV[1])
  local spent = redis.call('INCRBY', KEYS[2 * i - 1], ARGV[2])
  redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[3])
  if i == 1 then first = spent end
end
return first`;

const releaseScript = `
for i = 1, #KEYS do redis.call('HDEL', KEYS[i], ARGV[1]) end
return 0`;

// One hash tag for every budget key: a Redis Cluster then keeps them in one slot, as a multi-key script needs.
const spentKey = (scope: string) => `{budget}:spent:${scope}`;
const reservationsKey = (scope: string) => `{budget}:reserved:${scope}`;
const keyPairs = (scopes: string[]) => scopes.flatMap((scope) => [spentKey(scope), reservationsKey(scope)]);

/** The shared ledger: one Lua script per operation, so replicas cannot interleave a check and a booking. */
export function createRedisLedger(redis: Redis): BudgetLedger {
  return {
    async reserve(limits, { id, amountNano, expiresAt, now, keepSeconds }) {
      const keys = keyPairs(limits.map((limit) => limit.key));
      const args = [now, id, amountNano, expiresAt, keepSeconds, ...limits.map((limit) => limit.limitNano)];
      const [index, spent, reserved] = (await redis.eval(reserveScript, keys.length, ...keys, ...args)) as [number, number, number];
      return index === 0 ? { ok: true } : { ok: false, index: index - 1, spentNano: spent, reservedNano: reserved };
    },
    async settle(scopes, id, actualNano, { keepSeconds }) {
      const keys = keyPairs(scopes);
      return Number(await redis.eval(settleScript, keys.length, ...keys, id, actualNano, keepSeconds));
    },
    async release(scopes, id) {
      const keys = scopes.map(reservationsKey);
      await redis.eval(releaseScript, keys.length, ...keys, id);
    },
  };
}
