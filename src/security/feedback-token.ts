import { createHmac } from 'node:crypto';
import { equalsInConstantTime } from './credentials.js';

/** Whose answer a token is about: the trace the service created, the caller that asked, the user named. */
export interface AnswerOwner {
  traceId: string;
  callerId: string;
  userId: string | undefined;
}

export type TokenCheck = 'valid' | 'expired' | 'invalid';

/**
 * Feedback is accepted only for answers this service gave, from the caller and user who asked, for a
 * limited time: the token is `<expiry, unix s>.<prompt version>.<HMAC of trace, caller, user, expiry and
 * version>`. The signed prompt version lets the feedback metric name the version without stored state.
 */
export function createFeedbackTokens(secret: string, ttlSeconds: number, now: () => number = Date.now) {
  const sign = ({ traceId, callerId, userId }: AnswerOwner, expiresAt: string, promptVersion: string) =>
    createHmac('sha256', secret).update([traceId, callerId, userId ?? '', expiresAt, promptVersion].join('\u0000')).digest('base64url');
  return {
    issue(owner: AnswerOwner, promptVersion: number): string {
      const expiresAt = String(Math.floor(now() / 1000) + ttlSeconds);
      return `${expiresAt}.${promptVersion}.${sign(owner, expiresAt, String(promptVersion))}`;
    },
    verify(token: string, owner: AnswerOwner): TokenCheck {
      const [expiresAt = '', promptVersion = '', mac = '', extra] = token.split('.');
      if (extra !== undefined || !/^\d{1,12}$/.test(expiresAt) || !/^\d{1,7}$/.test(promptVersion)) return 'invalid';
      if (!equalsInConstantTime(mac, sign(owner, expiresAt, promptVersion))) return 'invalid';
      return Number(expiresAt) * 1000 > now() ? 'valid' : 'expired';
    },
    /** The prompt version a token names; to be trusted only once `verify` said `valid`. */
    promptVersionOf: (token: string): number => Number(token.split('.')[1]),
  };
}

export type FeedbackTokens = ReturnType<typeof createFeedbackTokens>;
