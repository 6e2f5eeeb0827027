// Generators of requests that must be refused with a 4xx: each kind breaks the body in one way, on top
// of an otherwise valid request, so that a 200 would mean a check is missing rather than a bad generator.
import type { Prng } from '../helpers/prng.js';

export type Route = '/api/query' | '/api/feedback';

export interface MalformedRequest {
  kind: string;
  route: Route;
  headers: Record<string, string>;
  payload: string | Buffer;
}

type Body = Record<string, unknown>;

const json = { 'content-type': 'application/json' };
const traceId = '0123456789abcdef0123456789abcdef';

const validBody = (route: Route, rng: Prng): Body =>
  route === '/api/query'
    ? { query: `what is ${rng.string(rng.int(1, 30))}`, user_id: `user-${rng.int(1, 99)}`, top_k: rng.int(1, 20) }
    : { trace_id: traceId, is_helpful: rng.next() < 0.5, feedback_token: rng.string(43, 'abcdefABCDEF0123456789-_'), user_id: 'user-1' };

const wrongValues = [0, -1, 1.5, 1e308, true, false, null, [], [1, 'a'], {}, { a: 1 }, '', ' ', '\u0000'];

/** Per field, values that the schema must refuse (besides wrong types). */
const invalidValues: Record<Route, Record<string, unknown[]>> = {
  '/api/query': {
    query: ['', '   ', '\n\t', 'x'.repeat(4001), '\u200b', '?!…', '\u200b\u200c\u2060', '😀'.repeat(4000), 42, null, ['what'], { $ne: '' }],
    user_id: ['', 'a'.repeat(129), 'bad id', 'user/../admin', '<script>', 7, { id: 1 }],
    session_id: ['', 'b'.repeat(129), 'semi;colon', false],
    top_k: [0, 21, -3, 2.5, '5', null, 1e9],
  },
  '/api/feedback': {
    trace_id: ['', 'not-hex', traceId.toUpperCase(), `${traceId}00`, traceId.slice(2), 12345, null],
    is_helpful: ['true', 1, 0, null, 'yes', []],
    comment: ['c'.repeat(2001), '😀'.repeat(2000), 3, { text: 'hi' }],
    feedback_token: ['', 't'.repeat(257), 99, null, ['token']],
    user_id: ['', 'u'.repeat(129), 'has space'],
  },
};

const required: Record<Route, string[]> = {
  '/api/query': ['query'],
  '/api/feedback': ['trace_id', 'is_helpful', 'feedback_token'],
};

const nest = (depth: number, leaf: unknown, asArray: boolean): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = asArray ? [value] : { a: value };
  return value;
};

type Generator = (route: Route, rng: Prng) => Omit<MalformedRequest, 'kind' | 'route'>;

export const generators: Record<string, Generator> = {
  'broken JSON': (route, rng) => {
    const text = JSON.stringify(validBody(route, rng));
    const breakers = [
      () => text.slice(0, rng.int(1, text.length - 1)),
      () => text.replace(/"/, "'"),
      () => text.replace(/}$/, ',}'),
      () => `${text}${rng.pick(['}', ']', 'x', ',{}'])}`,
      () => text.replace(':', rng.pick(['::', ' ', ':,'])),
      () => rng.pick(['{', '[', '"', 'undefined', 'NaN', '{"query":}', '{,}']),
    ];
    return { headers: json, payload: rng.pick(breakers)() };
  },
  'wrong type': (route, rng) => {
    const body = validBody(route, rng);
    const field = rng.pick(Object.keys(invalidValues[route]));
    const current = body[field];
    const candidates = wrongValues.filter((value) => typeof value !== typeof current || Array.isArray(value) || value === null);
    return { headers: json, payload: JSON.stringify({ ...body, [field]: rng.pick(candidates) }) };
  },
  'empty or over-long field': (route, rng) => {
    const body = validBody(route, rng);
    const field = rng.pick(Object.keys(invalidValues[route]));
    return { headers: json, payload: JSON.stringify({ ...body, [field]: rng.pick(invalidValues[route][field] as unknown[]) }) };
  },
  'missing required field': (route, rng) => {
    const body = validBody(route, rng);
    delete body[rng.pick(required[route])];
    return { headers: json, payload: JSON.stringify(body) };
  },
  'not an object': (_route, rng) => ({
    headers: json,
    payload: rng.pick(['null', '[]', '[{"query":"x"}]', '"query"', '42', 'true', '""', '{}', ' ', '']),
  }),
  'wrong content type': (route, rng) => ({
    headers: rng.pick<Record<string, string>>([
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      { 'content-type': 'application/xml' },
      { 'content-type': 'application/octet-stream' },
      { 'content-type': 'image/png' },
      {},
    ]),
    payload: rng.next() < 0.5 ? JSON.stringify(validBody(route, rng)) : 'query=what+is+rag',
  }),
  'foreign charset or encoding': (route, rng) => {
    const body = Buffer.from(JSON.stringify(validBody(route, rng)));
    return rng.pick([
      { headers: { 'content-type': `application/json; charset=${rng.pick(['utf-16', 'UTF-16LE', 'latin1', 'iso-8859-1', '"windows-1252"'])}` }, payload: body },
      { headers: { ...json, 'content-encoding': rng.pick(['gzip', 'br', 'deflate', 'zstd', 'GZIP', 'identity, gzip']) }, payload: body },
    ]);
  },
  'invalid UTF-8': (route, rng) => {
    // Inside a free-text value, where lenient decoding would turn it into accepted U+FFFD characters.
    const field = route === '/api/query' ? 'query' : 'comment';
    const [before, after] = JSON.stringify({ ...validBody(route, rng), [field]: 'text INVALID text' }).split('INVALID') as [string, string];
    const invalid = rng.pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x28, 0x8c, 0x28], [0xed, 0xa0, 0x80], [0x80]]);
    return { headers: json, payload: Buffer.concat([Buffer.from(before), Buffer.from(invalid), Buffer.from(after)]) };
  },
  'deeply nested JSON': (route, rng) => {
    const body = validBody(route, rng);
    const depth = rng.int(50, 1500);
    const deep = nest(depth, 'x', rng.next() < 0.5);
    return { headers: json, payload: JSON.stringify(rng.next() < 0.5 ? deep : { ...body, [rng.pick(Object.keys(body))]: deep }) };
  },
  'prototype pollution keys': (route, rng) => {
    const body = JSON.stringify(validBody(route, rng)).slice(1, -1);
    const poison = rng.pick([
      '"__proto__":{"polluted":true}',
      '"constructor":{"prototype":{"polluted":true}}',
      '"\\u005f_proto__":{"polluted":true}',
      '"nested":{"__proto__":{"polluted":true}}',
      '"constructor":"x"',
      '"__proto__":null',
    ]);
    return { headers: json, payload: rng.next() < 0.5 ? `{${poison},${body}}` : `{${body},${poison}}` };
  },
  'unknown field': (route, rng) => ({
    headers: json,
    payload: JSON.stringify({ ...validBody(route, rng), [rng.pick(['admin', 'role', 'model', 'prompt', '$where', 'extra'])]: rng.pick(wrongValues) }),
  }),
};

export function generateMalformedRequests(rng: Prng, count: number): MalformedRequest[] {
  const kinds = Object.keys(generators);
  return Array.from({ length: count }, (_, index) => {
    const kind = kinds[index % kinds.length] as string;
    const route: Route = rng.next() < 0.5 ? '/api/query' : '/api/feedback';
    return { kind, route, ...(generators[kind] as Generator)(route, rng) };
  });
}
