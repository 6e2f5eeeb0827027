import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './run.js';

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

export function readYaml<T>(path: string): T {
  return parse(readRepoFile(path)) as T;
}

/** Repository-relative paths of the files in `dir` ending with `suffix`, sorted. */
export function listRepoFiles(dir: string, suffix: string): string[] {
  return readdirSync(join(repoRoot, dir))
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => `${dir}/${name}`);
}

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}

/** The rule files Prometheus loads, as listed in prometheus/prometheus.yml (relative to it). */
export function ruleFilePaths(): string[] {
  const config = readYaml<{ rule_files: string[] }>('prometheus/prometheus.yml');
  return config.rule_files.map((file) => `prometheus/${file}`);
}

export function alertRules(): AlertRule[] {
  return ruleFilePaths().flatMap((path) =>
    readYaml<RuleFile>(path).groups.flatMap((group) => group.rules.filter((rule) => rule.alert)),
  );
}

export interface DashboardTarget {
  refId?: string;
  expr?: string;
  exemplar?: boolean;
  datasource?: { type?: string; uid?: string };
}

export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  [key: string]: unknown;
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: DashboardPanel[];
}

export function dashboardPaths(): string[] {
  return listRepoFiles('grafana/dashboards', '.json');
}

export function readDashboard(path: string): Dashboard {
  return JSON.parse(readRepoFile(path)) as Dashboard;
}

/** Panels including those nested in collapsed rows. */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}
