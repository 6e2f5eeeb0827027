import { timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header, or '' when there is none. */
export const bearerToken = (authorization: string | undefined): string =>
  authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';

/** String equality whose time does not reveal how much of a secret matched. */
export function equalsInConstantTime(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
