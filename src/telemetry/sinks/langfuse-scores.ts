import { randomUUID } from 'node:crypto';
import { LangfuseClient } from '@langfuse/client';
import type { Config } from '../../config/index.js';
import type { FailureReporter } from '../support/failure-reporter.js';
import { createKeyedSequence } from '../support/keyed-sequence.js';

export interface Score {
  /** LangFuse upserts by score id: the same id again updates the score in place. */
  id: string;
  traceId: string;
  name: string;
  value: number;
  comment?: string;
  metadata?: Record<string, unknown>;
}

const maxPendingScores = 1000;

/**
 * Sends scores through @langfuse/client's ingestion API one batch per score, so that each failure is
 * seen and counted (the SDK's own score queue only logs them). Pending sends are bounded and awaited at
 * shutdown.
 */
export function createScoreSink(settings: NonNullable<Config['telemetry']['langfuse']>, timeoutMs: number, reporter: FailureReporter) {
  const client = new LangfuseClient({ publicKey: settings.publicKey, secretKey: settings.secretKey, baseUrl: settings.baseUrl });
  // Per request: @langfuse/client 5.11 only logs its constructor's `timeout`, and would wait 60 s.
  const requestOptions = { timeoutInSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)) };
  const pending = new Set<Promise<void>>();
  const inOrder = createKeyedSequence();

  return {
    record(score: Score) {
      if (pending.size >= maxPendingScores) {
        reporter.exportFailed('langfuse', 1, 'score backlog full');
        return;
      }
      const upload = () =>
        client.api.ingestion
          .batch({
            batch: [
              {
                id: randomUUID(),
                type: 'score-create',
                timestamp: new Date().toISOString(),
                body: { id: score.id, traceId: score.traceId, name: score.name, value: score.value, dataType: 'BOOLEAN', comment: score.comment, metadata: score.metadata },
              },
            ],
          }, requestOptions)
          .then((response) => {
            if (response.errors.length > 0) reporter.exportFailed('langfuse', response.errors.length, 'score rejected');
          })
          .catch((error: unknown) => reporter.exportFailed('langfuse', 1, `score export failed: ${(error as Error).message}`));
      const send: Promise<void> = inOrder(score.id, upload).finally(() => pending.delete(send));
      pending.add(send);
    },
    async flush(): Promise<void> {
      await Promise.all([...pending]);
    },
  };
}

export type ScoreSink = ReturnType<typeof createScoreSink>;
