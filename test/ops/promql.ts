import { alertRules, allPanels, dashboardPaths, readDashboard } from './files.js';

export interface LabelledExpr {
  /** Where the expression comes from, for failure messages. */
  source: string;
  expr: string;
}

/** Values for Grafana's built-in variables that make sense for a minute-long test run. */
const grafanaDefaults: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
  __range_s: '3600',
  __interval_ms: '15000',
};

export function substituteVariables(expr: string, variables: Record<string, string>): string {
  const values = { ...grafanaDefaults, ...variables };
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced?: string, bare?: string) => values[braced ?? bare ?? ''] ?? match);
}

/** Every Prometheus target of every dashboard panel, with Grafana variables filled in. */
export function dashboardExpressions(variables: Record<string, string>): LabelledExpr[] {
  return dashboardPaths().flatMap((path) =>
    allPanels(readDashboard(path)).flatMap((panel) =>
      (panel.targets ?? [])
        .filter((target) => target.datasource?.type === 'prometheus' && target.expr)
        .map((target) => ({
          source: `${path} "${panel.title}" ${target.refId}`,
          expr: substituteVariables(target.expr as string, variables),
        })),
    ),
  );
}

export function alertExpressions(): LabelledExpr[] {
  return alertRules().map((rule) => ({ source: `alert ${rule.alert}`, expr: rule.expr }));
}

export interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

/** An instant query through Prometheus' HTTP API; an invalid expression yields status "error". */
export async function instantQuery(prometheusUrl: string, expr: string): Promise<QueryResponse> {
  const response = await fetch(`${prometheusUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  return (await response.json()) as QueryResponse;
}
