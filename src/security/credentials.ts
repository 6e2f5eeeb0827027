import { timingSafeEqual } from 'node:crypto';

// RFC 9110 §11.1: the auth scheme is case-insensitive; the token is taken as sent.
const bearer = /^bearer +/i;

/** The token of an `Authorization: Bearer <token>` header, or '' when there is none. */
export const bearerToken = (authorization: string | undefined): string => {
  const scheme = authorization?.match(bearer);
  return scheme && authorization ? authorization.slice(scheme[0].length) : '';
};

/** String equality whose time does not reveal how much of a secret matched. */
export function equalsInConstantTime(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
