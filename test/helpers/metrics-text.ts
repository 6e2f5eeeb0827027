// Reads values out of Prometheus text exposition, so tests can assert on /metrics the way a scraper sees it.

export type Labels = Record<string, string>;

interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const labelPair = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = sampleLine.exec(line);
    if (!match) continue;
    const labels: Labels = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(labelPair)) labels[key as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * Sum of every series of `name` whose labels include `labels`. A missing series throws: a renamed metric
 * or a label that is never set must fail the test, not read as 0.
 */
export function metricValue(text: string, name: string, labels: Labels = {}): number {
  const matching = parseSamples(text).filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matching.length === 0) throw new Error(`no series ${name}${JSON.stringify(labels)} in the metrics text`);
  return matching.reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * Like `metricValue`, but 0 while the metric has recorded no series at all: for a reading taken before the
 * work under test, or where the work must not have reached the metric. A missing label value still throws.
 */
export function metricValueIfAny(text: string, name: string, labels: Labels = {}): number {
  return parseSamples(text).some((sample) => sample.name === name) ? metricValue(text, name, labels) : 0;
}

/**
 * 0 where this exact series does not exist: for a reading taken before the work under test (a label value
 * such as `status="cancelled"` appears on first use), or a series the work must not have created. Pair it
 * with at least one strict `metricValue` read of the same metric, so that a renamed metric still fails.
 */
export function seriesValueOrZero(text: string, name: string, labels: Labels = {}): number {
  const matching = parseSamples(text).filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return matching.reduce((sum, sample) => sum + sample.value, 0);
}
