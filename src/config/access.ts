import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

/** One configured API key: the secret and the stable, non-secret id that limits and traces use. */
export interface ApiKey {
  key: string;
  /** `key:<name>`, or `key:<12 hex of SHA-256>` for an unnamed key; never the key itself. */
  id: string;
  name: string;
}

const keyName = /^[\w.-]{1,64}$/;

/** `name:key` names a key; a bare key gets a short hash as its name, so the secret never has to be shown. */
function toApiKey(entry: string): ApiKey {
  const separator = entry.indexOf(':');
  const name = separator > 0 ? entry.slice(0, separator) : '';
  if (keyName.test(name) && separator < entry.length - 1) {
    return { key: entry.slice(separator + 1), id: `key:${name}`, name };
  }
  const digest = createHash('sha256').update(entry).digest('hex').slice(0, 12);
  return { key: entry, id: `key:${digest}`, name: digest };
}

export const apiKeyList = z.array(z.string()).transform((entries, ctx) => {
  const keys = entries.map(toApiKey);
  const ids = keys.map(({ id }) => id);
  const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
  if (repeated.length > 0) ctx.addIssue({ code: 'custom', message: `duplicate key names: ${[...new Set(repeated)].join(', ')}` });
  return keys;
});

// proxy-addr (Fastify's trustProxy) also accepts these named ranges.
const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isAddressOrRange = (entry: string) => {
  if (namedRanges.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined || !address || !isIP(address)) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (isIP(address) === 4 ? 32 : 128);
};

/**
 * TRUST_PROXY: a hop count (`1` behind one reverse proxy) or the proxies' addresses and CIDR ranges.
 * `true` is refused: trusting every hop lets any client pick its own address with X-Forwarded-For.
 */
export const trustProxySetting = z
  .string()
  .optional()
  .transform((value, ctx): number | string[] | false => {
    const text = value?.trim() ?? '';
    if (text === '' || text === 'false' || text === '0') return false;
    if (/^\d+$/.test(text)) return Number(text);
    const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
    const bad = entries.filter((entry) => !isAddressOrRange(entry));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `a hop count or a list of addresses/CIDR ranges; not: ${bad.join(', ')}` });
    }
    return entries;
  });

/** `https://app.example.com` or `http://localhost:5173`: what a browser sends in `Origin`. */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}
