import { createHmac } from 'node:crypto';
import { equalsInConstantTime } from './credentials.js';

/**
 * Feedback is accepted only for answers this service gave: the token is an HMAC of the trace id, the
 * user and the prompt version of the answer, so a client can score its own answers and nobody else's,
 * and the feedback metric learns the version without any stored state (`<version>.<hmac>`).
 */
export function createFeedbackTokens(secret: string) {
  const sign = (traceId: string, userId: string | undefined, promptVersion: number) =>
    `${promptVersion}.${createHmac('sha256', secret).update(`${traceId}\u0000${userId ?? ''}\u0000${promptVersion}`).digest('base64url')}`;
  return {
    issue: sign,
    /** The prompt version the token was issued for, or undefined when it is not a token for this trace and user. */
    verify(token: string, traceId: string, userId: string | undefined): number | undefined {
      const version = Number(/^(\d{1,7})\./.exec(token)?.[1]);
      if (!Number.isInteger(version)) return undefined;
      return equalsInConstantTime(token, sign(traceId, userId, version)) ? version : undefined;
    },
  };
}
