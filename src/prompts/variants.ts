import { createHash, randomInt } from 'node:crypto';

export interface Variant {
  label: string;
  weight: number;
}

const scale = 2 ** 32;

/**
 * Picks a variant by weight. With a key (user id, else session id) the choice is a stable hash of the
 * prompt name and the key, so the same user gets the same variant on every request and every replica,
 * with no stored state; without one it is random.
 */
export function assignVariant(variants: readonly Variant[], promptName: string, key: string | undefined): Variant {
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  const point = key === undefined
    ? randomInt(total)
    : (createHash('sha256').update(`${promptName}\u0000${key}`).digest().readUInt32BE(0) / scale) * total;
  let cumulative = 0;
  for (const variant of variants) {
    cumulative += variant.weight;
    if (point < cumulative) return variant;
  }
  return variants.at(-1) as Variant;
}

/** `production:50,candidate:50` → the variants; throws a message naming what is wrong. */
export function parseVariants(spec: string): Variant[] {
  const variants = spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^([a-z0-9_.-]+):(\d+)$/.exec(part);
      if (!match) throw new Error(`"${part}" is not label:weight (e.g. production:50)`);
      const weight = Number(match[2]);
      if (weight < 1 || weight > 1_000_000) throw new Error(`weight of "${match[1]}" must be 1..1000000`);
      return { label: match[1] as string, weight };
    });
  if (variants.length === 0) throw new Error('no variant given');
  const labels = variants.map((variant) => variant.label);
  const repeated = labels.find((label, index) => labels.indexOf(label) !== index);
  if (repeated) throw new Error(`label "${repeated}" is listed twice`);
  return variants;
}

/** The experiment's name in trace metadata: the prompt and its split, e.g. `research-answer:production=50,candidate=50`. */
export const experimentName = (promptName: string, variants: readonly Variant[]) =>
  `${promptName}:${variants.map((variant) => `${variant.label}=${variant.weight}`).join(',')}`;
