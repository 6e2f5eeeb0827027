// Summarises V8 .cpuprofile files (from `node --cpu-prof`): top functions and top packages by self time.
// Usage: node --import tsx bench/cpuprofile-summary.ts <file or directory>… [--top N]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled time, idle excluded. */
  busyMs: number;
  functions: SelfTime[];
  packages: SelfTime[];
  /** Self time of node internals and native code charged to the nearest package or file that called it. */
  callers: SelfTime[];
}

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** node_modules/<pkg> (scoped too), the repository file, node: internals, or V8's pseudo-frames. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules !== -1) {
    const [first, second] = path.slice(inModules + 'node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? path);
  }
  if (path.startsWith('node:')) return 'node: internals';
  return path.startsWith(repoRoot) ? path.slice(repoRoot.length) : path;
}

/**
 * Sample timestamps are CLOCK_MONOTONIC µs, the clock behind process.hrtime in every process on the
 * machine, so another process can name the window to keep (e.g. the measured load run, not start-up).
 */
export interface Window {
  fromUs: number;
  toUs: number;
}

export function summariseProfile(file: string, top = 25, window?: Window): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  let at = profile.startTime;
  // timeDeltas[i] is the gap before sample i, so sample i is charged the gap that follows it.
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    const gap = profile.timeDeltas[index + 1] ?? 0;
    selfMs.set(id, (selfMs.get(id) ?? 0) + gap / 1000);
  });
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const packageOfNode = (node: ProfileNode) => packageOf(node.callFrame.url, node.callFrame.functionName);
  const isRuntime = (pkg: string) => pkg === 'node: internals' || pkg === '(native)';
  // Who asked for it: a socket write or a TextEncoder call is charged to the exporter that made it.
  const callerOf = (id: number): string => {
    let current: number | undefined = id;
    while (current !== undefined) {
      const pkg = packageOfNode(byId.get(current) as ProfileNode);
      if (!isRuntime(pkg)) return pkg;
      current = parentOf.get(current);
    }
    return packageOfNode(byId.get(id) as ProfileNode);
  };
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  const callers = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    if (functionName === '(idle)') continue;
    busyMs += ms;
    const caller = callerOf(id);
    callers.set(caller, (callers.get(caller) ?? 0) + ms);
    const pkg = packageOf(url, functionName);
    const where = pkg === 'node: internals' ? url : pkg;
    const name = `${functionName || '(anonymous)'} ${url ? `${where}:${lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + ms);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
  }
  const ranked = (totals: Map<string, number>) =>
    [...totals]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / busyMs) * 1000) / 10 }));
  return { file, busyMs: Math.round(busyMs), functions: ranked(functions), packages: ranked(packages), callers: ranked(callers) };
}

/** With `requests`, each row also shows its self time per request served in the window. */
export function formatSummary(summary: ProfileSummary, requests?: number): string {
  const perRequest = (ms: number) => (requests ? `${((ms * 1000) / requests).toFixed(1).padStart(8)} µs/req  ` : '');
  const rows = (items: SelfTime[]) =>
    items.map((item) => `  ${String(item.share).padStart(5)} %  ${String(item.ms).padStart(7)} ms  ${perRequest(item.ms)}${item.name}`);
  return [
    `${summary.file}: ${summary.busyMs} ms busy (idle excluded)${requests ? `, ${perRequest(summary.busyMs).trim()} over ${requests} requests` : ''}`,
    'top packages by self time:',
    ...rows(summary.packages),
    'top packages by self time, node internals and native code charged to their caller:',
    ...rows(summary.callers),
    'top functions by self time:',
    ...rows(summary.functions),
  ].join('\n');
}

function profilesIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(path, name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  for (const file of positionals.flatMap(profilesIn)) console.log(`${formatSummary(summariseProfile(file, Number(values.top)))}\n`);
}
