import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

describe('research page settings', () => {
  it('default to a 15 s stream heartbeat and no trace links', () => {
    const config = loadConfig({});
    expect(config.streamHeartbeatMs).toBe(15_000);
    expect(config.ui).toEqual({ jaegerUrl: undefined, langfuseUrl: undefined, grafanaUrl: undefined });
  });

  it('read the three UI base URLs', () => {
    const config = loadConfig({ UI_JAEGER_URL: 'http://j:16686', UI_LANGFUSE_URL: 'http://l:3000/project/p', UI_GRAFANA_URL: 'http://g:3000' });
    expect(config.ui).toEqual({ jaegerUrl: 'http://j:16686', langfuseUrl: 'http://l:3000/project/p', grafanaUrl: 'http://g:3000' });
  });

  it('fail fast naming every bad one', () => {
    let message = '';
    try {
      loadConfig({ UI_JAEGER_URL: 'jaeger', UI_GRAFANA_URL: 'no url', STREAM_HEARTBEAT_MS: '0' });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of ['UI_JAEGER_URL', 'UI_GRAFANA_URL', 'STREAM_HEARTBEAT_MS']) expect(message).toContain(`  ${name}: `);
  });
});
