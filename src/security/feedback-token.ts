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
 * limited time: the token is `<expiry, unix s>.<HMAC of trace, caller, user and expiry>`.
 */
export function createFeedbackTokens(secret: string, ttlSeconds: number, now: () => number = Date.now) {
  const sign = ({ traceId, callerId, userId }: AnswerOwner, expiresAt: string) =>
    createHmac('sha256', secret).update([traceId, callerId, userId ?? '', expiresAt].join('\u0000')).digest('base64url');
  return {
    issue(owner: AnswerOwner): string {
      const expiresAt = String(Math.floor(now() / 1000) + ttlSeconds);
      return `${expiresAt}.${sign(owner, expiresAt)}`;
    },
    verify(token: string, owner: AnswerOwner): TokenCheck {
      const [expiresAt = '', mac = '', extra] = token.split('.');
      if (extra !== undefined || !/^\d{1,12}$/.test(expiresAt) || !equalsInConstantTime(mac, sign(owner, expiresAt))) return 'invalid';
      return Number(expiresAt) * 1000 > now() ? 'valid' : 'expired';
    },
  };
}

export type FeedbackTokens = ReturnType<typeof createFeedbackTokens>;
