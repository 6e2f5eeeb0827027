// Puts answers on the page. Model output only ever reaches the DOM as text (textContent, text nodes):
// an answer containing markup shows that markup, it never becomes elements.
import { ServiceError, type UiSettings } from './api.js';

export interface Source {
  id: string;
  title: string;
  authors: string[];
  year: number;
  url: string;
  score: number;
}

export interface AnswerMetadata {
  trace_id: string;
  feedback_token: string;
  model: string;
  prompt: { name: string; version: number; label?: string; variant?: string };
  tokens: { input: number; cached: number; output: number; reasoning: number; total: number };
  cost_usd: number | null;
  latency_ms: number;
  retrieved_docs: number;
  avg_relevance: number;
  cache?: { hit: boolean; age_s?: number; saved_usd?: number };
}

const element = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
};

/** The answer text with each citation `[n]` that names a listed source turned into a link to it. */
export function renderAnswer(container: HTMLElement, text: string, sourceCount: number): void {
  const parts: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const index = Number(match[1]);
    if (index < 1 || index > sourceCount) continue;
    parts.push(document.createTextNode(text.slice(last, match.index)));
    const link = element('a', match[0]);
    link.href = `#source-${index}`;
    link.setAttribute('aria-label', `source ${index}`);
    parts.push(link);
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push(document.createTextNode(text.slice(last)));
  container.replaceChildren(...parts);
}

export function renderSources(list: HTMLOListElement, sources: Source[]): void {
  list.replaceChildren(
    ...sources.map((source, index) => {
      const item = element('li');
      item.id = `source-${index + 1}`;
      const link = element('a', source.title);
      link.href = /^https?:\/\//.test(source.url) ? source.url : '#';
      link.rel = 'noopener noreferrer';
      link.target = '_blank';
      const details = element('span', ` — ${source.authors.join(', ')} (${source.year}) · score ${source.score.toFixed(2)}`);
      details.className = 'meta';
      item.append(link, details);
      return item;
    }),
  );
}

const usd = (value: number) => `$${value.toFixed(6)}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Each link to the answer's trace whose base URL is configured; unset ones are left out. */
export function traceLinks(traceId: string, links: UiSettings['links']): HTMLAnchorElement[] {
  const names = { jaeger: 'Jaeger', langfuse: 'LangFuse', grafana: 'Grafana (Loki logs)' } as const;
  return (Object.keys(names) as Array<keyof typeof names>).flatMap((key) => {
    const template = links[key];
    if (!template) return [];
    const link = element('a', names[key]);
    link.href = template.replaceAll('{trace_id}', traceId);
    link.rel = 'noopener noreferrer';
    link.target = '_blank';
    link.dataset.sink = key;
    return [link];
  });
}

/** The chapter's "what you see" block: cost, tokens, timing, model, prompt, retrieval, cache, trace. */
export function renderWhatYouSee(list: HTMLDListElement, metadata: AnswerMetadata, timeToFirstTokenMs: number | undefined, links: UiSettings['links']): void {
  const { tokens, prompt, cache } = metadata;
  const rows: Array<[string, string | Node[]]> = [
    ['Cost', metadata.cost_usd === null ? 'unknown (model not in the price table)' : usd(metadata.cost_usd)],
    ['Tokens', `input ${tokens.input} · cached ${tokens.cached} · output ${tokens.output} · reasoning ${tokens.reasoning}`],
    ['Latency', seconds(metadata.latency_ms)],
    ['Time to first token', timeToFirstTokenMs === undefined ? 'no text streamed' : `${seconds(timeToFirstTokenMs)} (seen by this page)`],
    ['Model', metadata.model],
    ['Prompt', `${prompt.name} v${prompt.version} · variant ${prompt.label ?? prompt.variant ?? 'none'}`],
    ['Retrieved documents', `${metadata.retrieved_docs} · average relevance ${metadata.avg_relevance.toFixed(2)}`],
  ];
  if (cache) rows.push(['Cache', cache.hit ? `hit · saved ${usd(cache.saved_usd ?? 0)}` : 'miss']);
  const traceId = element('code', metadata.trace_id);
  rows.push(['Trace id', [traceId, document.createTextNode(' '), ...traceLinks(metadata.trace_id, links)]]);
  list.replaceChildren(
    ...rows.flatMap(([term, value]) => {
      const dd = element('dd');
      dd.dataset.field = term.toLowerCase().replaceAll(' ', '-');
      if (typeof value === 'string') dd.textContent = value;
      else dd.append(...value);
      return [element('dt', term), dd];
    }),
  );
}

/** Says plainly what went wrong: which field (400), when to retry (429), which trace (5xx). */
export function describeError(error: unknown): string {
  if (!(error instanceof ServiceError)) return `The service could not be reached (${error instanceof Error ? error.message : String(error)}).`;
  const { status, body, retryAfterSeconds } = error;
  if (status === 400 && body.details?.length) {
    return `Please fix: ${body.details.map(({ field, message }) => `${field} — ${message}`).join('; ')}.`;
  }
  if (status === 401) return 'An API key is needed: enter it under Identity and ask again.';
  if (status === 429) {
    const wait = retryAfterSeconds ?? Number(/retry in (\d+)/.exec(body.message)?.[1]);
    return `Too many requests. Retry in ${Number.isFinite(wait) ? wait : 60} s.`;
  }
  if (status === undefined || status >= 500) {
    const what = status === undefined ? 'The answer failed' : `The service failed (${status})`;
    return `${what}: ${body.error} — ${body.message}. Trace id: ${body.trace_id ?? 'unknown'}.`;
  }
  return `Request refused (${status} ${body.error}): ${body.message}`;
}
