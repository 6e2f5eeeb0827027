import { z } from 'zod';

const optionalUsd = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? Number(value.trim()) : undefined))
  .pipe(z.number('a positive amount in USD').positive('a positive amount in USD').max(1_000_000).optional());

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** The cost-control variables (response cache, budgets, batch, shared state in Redis). */
export const costControlsEnv = {
  REDIS_URL: z
    .string()
    .optional()
    .transform((value) => (value?.trim() ? value.trim() : undefined))
    .pipe(z.url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' }).optional()),
  REDIS_COMMAND_TIMEOUT_MS: int(500, 10, 60_000),
  CACHE_TTL_SECONDS: int(3600, 0, 30 * 86_400),
  CACHE_MAX_ENTRIES: int(1000, 1, 1_000_000),
  BUDGET_USD_PER_DAY: optionalUsd,
  BUDGET_USD_PER_DAY_PER_CALLER: optionalUsd,
  BUDGET_USD_PER_DAY_PER_USER: optionalUsd,
  BUDGET_FAIL_OPEN: flag,
  BATCH_MAX_ITEMS: int(20, 1, 1000),
  BATCH_MAX_CONCURRENCY: int(8, 1, 64),
};

type CostEnv = z.output<z.ZodObject<typeof costControlsEnv>>;

/** Cross-setting rules, as problems naming the variable; the caller throws them with the rest. */
export function costControlProblems(raw: CostEnv & { FEEDBACK_SECRET?: string }): string[] {
  // Every replica must verify the feedback tokens the others issued.
  return raw.REDIS_URL && !raw.FEEDBACK_SECRET ? ['FEEDBACK_SECRET: required when REDIS_URL is set (replicas share it)'] : [];
}

export function costControlsConfig(raw: CostEnv) {
  return {
    redis: raw.REDIS_URL ? { url: raw.REDIS_URL, commandTimeoutMs: raw.REDIS_COMMAND_TIMEOUT_MS } : undefined,
    cache: { ttlSeconds: raw.CACHE_TTL_SECONDS, maxEntries: raw.CACHE_MAX_ENTRIES },
    budget: {
      limits: {
        serviceUsdPerDay: raw.BUDGET_USD_PER_DAY,
        callerUsdPerDay: raw.BUDGET_USD_PER_DAY_PER_CALLER,
        userUsdPerDay: raw.BUDGET_USD_PER_DAY_PER_USER,
      },
      failOpen: raw.BUDGET_FAIL_OPEN,
    },
    batch: { maxItems: raw.BATCH_MAX_ITEMS, maxConcurrency: raw.BATCH_MAX_CONCURRENCY },
  };
}
