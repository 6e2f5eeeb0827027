import { createHmac } from 'node:crypto';
import { equalsInConstantTime } from './credentials.js';

/**
 * Feedback is accepted only for answers this service gave: the token is an HMAC of the trace id and the
 * user, so a client can score its own answers and nobody else's.
 */
export function createFeedbackTokens(secret: string) {
  const sign = (traceId: string, userId: string | undefined) =>
    createHmac('sha256', secret).update(`${traceId}\u0000${userId ?? ''}`).digest('base64url');
  return {
    issue: sign,
    verify: (token: string, traceId: string, userId: string | undefined): boolean =>
      equalsInConstantTime(token, sign(traceId, userId)),
  };
}
