// Raw HTTP/1.1 requests that Node's parser refuses before any route sees them, each broken in one way.
// The status each must get: 431 for oversized headers, 400 for the rest.
import type { Prng } from '../helpers/prng.js';

export interface MalformedHttp {
  kind: string;
  status: 400 | 431;
  bytes: string;
}

const paths = ['/api/query', '/api/feedback', '/healthz', '/metrics', '/docs'];
const body = '{"query":"what is RAG?"}';

const request = (rng: Prng, lines: string[], tail = '') =>
  `${lines.join('\r\n')}\r\n\r\n${tail}`.replace('{path}', rng.pick(paths)).replace('{host}', `h${rng.int(1, 9)}.example`);

const generators: Record<string, { status: 400 | 431; make: (rng: Prng) => string }> = {
  'invalid header name': {
    status: 400,
    make: (rng) => request(rng, ['GET {path} HTTP/1.1', 'Host: {host}', `${rng.pick(['Bad Header', 'X(y)', 'Nul\u0000Name', '"quoted"'])} x`]),
  },
  'invalid request line': {
    status: 400,
    make: (rng) => request(rng, [rng.pick(['BREW {path} HTTP/1.1', 'GET {path} HTTP/1.1 extra', 'GET {path} HTTQ/1.1', 'GET\u0000{path} HTTP/1.1']), 'Host: {host}']),
  },
  'content-length and chunked together': {
    status: 400,
    make: (rng) => request(rng, ['POST {path} HTTP/1.1', 'Host: {host}', `Content-Length: ${rng.int(1, 30)}`, 'Transfer-Encoding: chunked'], `5\r\nhello\r\n0\r\n\r\n`),
  },
  'bad content-length': {
    status: 400,
    make: (rng) => request(rng, ['POST {path} HTTP/1.1', 'Host: {host}', `Content-Length: ${rng.pick(['abc', '-1', '1.5', '0x10', '12, 13'])}`], body),
  },
  'bad chunk size': {
    status: 400,
    make: (rng) => request(rng, ['POST {path} HTTP/1.1', 'Host: {host}', 'Content-Type: application/json', 'Transfer-Encoding: chunked'], `${rng.pick(['zz', '-5', 'g1'])}\r\n${body}\r\n0\r\n\r\n`),
  },
  'control character in a header value': {
    status: 400,
    make: (rng) => request(rng, ['GET {path} HTTP/1.1', 'Host: {host}', `X-Note: a${rng.pick(['\u0000', '\u0007', '\u007f'])}b`]),
  },
  'oversized headers': {
    status: 431,
    make: (rng) => request(rng, ['GET {path} HTTP/1.1', 'Host: {host}', `X-Big: ${rng.string(rng.int(17_000, 40_000), 'abcdef')}`]),
  },
};

export function generateMalformedHttp(rng: Prng, count: number): MalformedHttp[] {
  const kinds = Object.keys(generators);
  return Array.from({ length: count }, (_, index) => {
    const kind = kinds[index % kinds.length] as string;
    const { status, make } = generators[kind] as (typeof generators)[string];
    return { kind, status, bytes: make(rng) };
  });
}
