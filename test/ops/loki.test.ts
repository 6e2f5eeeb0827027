import { describe, expect, it } from 'vitest';
import { readYaml } from './files.js';

// No Loki or Promtail binary in CI (no Debian package): these checks pin the facts that make the
// difference at start-up. The full check is `loki -verify-config` in the image (README → Operate).

interface LokiConfig {
  auth_enabled: boolean;
  schema_config: { configs: { store: string; schema: string; object_store: string; index: { period: string } }[] };
  limits_config: Record<string, unknown>;
  compactor: Record<string, unknown>;
}

interface PromtailConfig {
  clients: { url: string }[];
  positions: { filename: string };
  scrape_configs: { relabel_configs: { source_labels?: string[]; regex?: string; action?: string }[] }[];
}

describe('loki-config.yml', () => {
  const config = readYaml<LokiConfig>('loki-config.yml');

  it('uses schema v13 on a tsdb index with a 24h period (needed for structured metadata)', () => {
    const latest = config.schema_config.configs.at(-1);
    expect(latest).toMatchObject({ store: 'tsdb', schema: 'v13', object_store: 'filesystem', index: { period: '24h' } });
  });

  it('enables retention in the compactor with the delete request store Loki 3 requires', () => {
    expect(config.limits_config.retention_period).toMatch(/^\d+h$/);
    expect(config.compactor).toMatchObject({ retention_enabled: true, delete_request_store: 'filesystem' });
  });

  it('contains none of the keys Loki 3 removed (it refuses to start on them)', () => {
    expect(config.compactor).not.toHaveProperty('shared_store');
    expect(config.limits_config).not.toHaveProperty('enforce_metric_name');
    expect(JSON.stringify(config)).not.toMatch(/max_transfer_retries|max_look_back_period/);
  });
});

describe('promtail-config.yml', () => {
  const config = readYaml<PromtailConfig>('promtail-config.yml');

  it('pushes to the full Loki push path', () => {
    expect(config.clients.map((client) => client.url)).toEqual(['http://loki:3100/loki/api/v1/push']);
  });

  it('drops the API container, whose logs arrive through pino-loki', () => {
    const drops = config.scrape_configs.flatMap((scrape) => scrape.relabel_configs.filter((rule) => rule.action === 'drop'));
    expect(drops).toContainEqual({
      source_labels: ['__meta_docker_container_label_com_docker_compose_service'],
      regex: 'api',
      action: 'drop',
    });
  });
});
