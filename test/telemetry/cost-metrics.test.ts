import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/telemetry/sinks/prometheus-registry.js';
import { metricValue } from '../helpers/metrics-text.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('budget_spent_usd{scope="service"}', () => {
  it('holds the settled spend through the day and falls back to 0 at midnight UTC, with no call to reset it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-27T23:59:00Z'));
    const metrics = createMetrics();
    metrics.budgetLimit.set({ scope: 'service' }, 10);
    metrics.setServiceSpent(8.5);
    expect(metricValue(await metrics.plainTextRegistry.metrics(), 'budget_spent_usd', { scope: 'service' })).toBe(8.5);
    vi.setSystemTime(new Date('2026-11-28T00:00:01Z'));
    expect(metricValue(await metrics.plainTextRegistry.metrics(), 'budget_spent_usd', { scope: 'service' })).toBe(0);
    metrics.setServiceSpent(0.25);
    expect(metricValue(await metrics.plainTextRegistry.metrics(), 'budget_spent_usd', { scope: 'service' })).toBe(0.25);
  });

  it('keeps the spend from one scrape to the next within the same day', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-27T08:00:00Z'));
    const metrics = createMetrics();
    metrics.setServiceSpent(3.25);
    vi.setSystemTime(new Date('2026-11-27T20:30:00Z'));
    expect(metricValue(await metrics.plainTextRegistry.metrics(), 'budget_spent_usd', { scope: 'service' })).toBe(3.25);
  });
});
