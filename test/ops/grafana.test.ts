import { describe, expect, it } from 'vitest';
import { allPanels, dashboardPaths, readDashboard, readRepoFile, readYaml, type DashboardPanel } from './files.js';

interface Datasource {
  name: string;
  type: string;
  uid: string;
  jsonData?: {
    exemplarTraceIdDestinations?: { name: string; datasourceUid: string }[];
    derivedFields?: { name: string; datasourceUid?: string; url: string }[];
    tracesToLogsV2?: { datasourceUid: string };
    alertmanagerUid?: string;
  };
}

const datasourceFile = 'grafana/provisioning/datasources/datasources.yml';
const datasources = readYaml<{ datasources: Datasource[] }>(datasourceFile).datasources;
const datasourceTypes = new Map(datasources.map((ds) => [ds.uid, ds.type]));

// React panel types shipped with Grafana; Angular ones (graph, singlestat, table-old…) no longer load.
const modernPanelTypes = new Set([
  'row', 'timeseries', 'stat', 'gauge', 'bargauge', 'barchart', 'table', 'logs', 'text', 'heatmap',
  'histogram', 'piechart', 'state-timeline', 'status-history', 'traces', 'nodeGraph', 'alertlist',
]);
const grafanaVariables = new Set(['__rate_interval', '__interval', '__range', '__range_s', '__interval_ms']);

function expectKnownDatasource(where: string, datasource: unknown): void {
  expect(datasource, `${where}: datasource must be {type, uid}`).toMatchObject({ type: expect.any(String), uid: expect.any(String) });
  const { type, uid } = datasource as { type: string; uid: string };
  expect(datasourceTypes.get(uid), `${where}: datasource uid "${uid}" is not provisioned`).toBe(type);
}

describe('grafana provisioning', () => {
  it('provisions the four datasources with fixed uids', () => {
    expect([...datasourceTypes]).toEqual(
      expect.arrayContaining([
        ['prometheus', 'prometheus'],
        ['loki', 'loki'],
        ['jaeger', 'jaeger'],
        ['alertmanager', 'alertmanager'],
      ]),
    );
  });

  it('cross-links metrics, logs and traces through provisioned uids', () => {
    const byUid = new Map(datasources.map((ds) => [ds.uid, ds]));
    expect(byUid.get('prometheus')?.jsonData?.exemplarTraceIdDestinations).toContainEqual({ name: 'trace_id', datasourceUid: 'jaeger' });
    expect(byUid.get('prometheus')?.jsonData?.alertmanagerUid).toBe('alertmanager');
    expect(byUid.get('jaeger')?.jsonData?.tracesToLogsV2?.datasourceUid).toBe('loki');
    const derived = byUid.get('loki')?.jsonData?.derivedFields ?? [];
    expect(derived.some((field) => field.datasourceUid === 'jaeger')).toBe(true);
    for (const field of derived) {
      if (field.datasourceUid) expect(datasourceTypes.has(field.datasourceUid), field.name).toBe(true);
    }
  });

  it('escapes Grafana template variables as $$ so provisioning does not expand them', () => {
    // `${__value.raw}` would be replaced by an (empty) environment variable at load time.
    expect(readRepoFile(datasourceFile)).not.toMatch(/(^|[^$])\$\{__/m);
  });

  it('loads dashboards from the directory compose mounts', () => {
    const providers = readYaml<{ providers: { options: { path: string } }[] }>('grafana/provisioning/dashboards/dashboards.yml').providers;
    const compose = readRepoFile('docker-compose.observability.yml');
    for (const provider of providers) expect(compose).toContain(`./grafana/dashboards:${provider.options.path}:ro`);
  });
});

describe.each(dashboardPaths())('dashboard %s', (path) => {
  const dashboard = readDashboard(path);
  const panels = allPanels(dashboard);
  const dataPanels = panels.filter((panel) => panel.type !== 'row');
  const variables = new Set(
    ((dashboard.templating as { list?: { name: string }[] } | undefined)?.list ?? []).map((variable) => variable.name),
  );

  it('is in the raw dashboard model', () => {
    expect(dashboard).not.toHaveProperty('dashboard');
    expect(dashboard).not.toHaveProperty('__inputs');
    expect(dashboard).not.toHaveProperty('__requires');
    // A fixed id would clash with the database row Grafana assigns on provisioning.
    expect(dashboard.id ?? null).toBeNull();
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dataPanels.length).toBeGreaterThan(0);
  });

  it('has unique panel ids', () => {
    const ids = panels.map((panel) => panel.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses no Angular panel types', () => {
    for (const panel of panels) expect(modernPanelTypes.has(panel.type), `${panel.title}: ${panel.type}`).toBe(true);
  });

  it('references only provisioned datasources, on every panel and target', () => {
    for (const panel of dataPanels) {
      expectKnownDatasource(`${panel.title}`, panel.datasource);
      expect(panel.targets?.length, `${panel.title} has no targets`).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expectKnownDatasource(`${panel.title} ${target.refId}`, target.datasource);
    }
  });

  it('asks Prometheus for exemplars and uses only defined variables', () => {
    for (const panel of dataPanels) {
      for (const target of panel.targets ?? []) {
        expect(target.expr?.trim(), `${panel.title} ${target.refId}`).toBeTruthy();
        if (target.datasource?.type === 'prometheus') expect(target.exemplar, `${panel.title} ${target.refId}`).toBe(true);
        for (const [, name] of (target.expr ?? '').matchAll(/\$\{?(\w+)/g)) {
          expect(variables.has(name as string) || grafanaVariables.has(name as string), `${panel.title}: $${name}`).toBe(true);
        }
      }
    }
  });

  it('filters a Loki logs panel by the trace_id textbox variable', () => {
    const templating = (dashboard.templating as { list: { name: string; type: string }[] }).list;
    expect(templating).toContainEqual(expect.objectContaining({ name: 'trace_id', type: 'textbox' }));
    const logs = dataPanels.filter(
      (panel: DashboardPanel) =>
        panel.type === 'logs' && panel.targets?.some((target) => target.expr?.includes('$trace_id')),
    );
    expect(logs.length).toBeGreaterThan(0);
  });
});
