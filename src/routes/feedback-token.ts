import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Feedback is accepted only for answers this service gave: the token is an HMAC of the trace id and the
 * user, so a client can score its own answers and nobody else's.
 */
export function createFeedbackTokens(secret: string) {
  const sign = (traceId: string, userId: string | undefined) =>
    createHmac('sha256', secret).update(`${traceId}\u0000${userId ?? ''}`).digest('base64url');
  return {
    issue: sign,
    verify(token: string, traceId: string, userId: string | undefined): boolean {
      const expected = Buffer.from(sign(traceId, userId));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
