import { Client } from 'langsmith';
import type { Config } from '../../../config/index.js';
import type { FailureReporter } from '../../support/failure-reporter.js';
import type { UserFeedback } from '../../types.js';
import { createKeyedSequence } from '../../support/keyed-sequence.js';
import { createPendingWork } from '../../support/pending-work.js';
import type { Redact } from '../../support/redact.js';

export interface LangSmithFeedbackOptions {
  settings: NonNullable<Config['telemetry']['langsmith']>;
  requestTimeoutMs: number;
  reporter: FailureReporter;
  redact: Redact;
  /** Injected by tests; built from `settings` otherwise. */
  client?: Client;
}

const recentTracesKept = 10_000;

/**
 * Sends thumbs up/down to LangSmith as `user-feedback` on the root run of the trace it is about. The root
 * run id is remembered for the most recent traces only, which bounds memory; LangSmith wants the project
 * id with run feedback, so it is looked up once.
 */
export function createLangSmithFeedback({ settings, requestTimeoutMs, reporter, redact, client: injected }: LangSmithFeedbackOptions) {
  const requests = abortableRequests();
  const client = injected ?? createClient(settings, requestTimeoutMs, requests.fetch);
  const rootRunIds = new Map<string, string>();
  const pending = createPendingWork();
  const inOrder = createKeyedSequence();
  let projectId: Promise<string> | undefined;

  async function send(runId: string, feedback: UserFeedback, abandoned: AbortSignal) {
    try {
      projectId ??= client.readProject({ projectName: settings.project }).then((found) => found.id);
      const sessionId = await projectId.catch((error: unknown) => {
        projectId = undefined;
        throw error;
      });
      const score = feedback.helpful ? 1 : 0;
      const comment = feedback.comment && redact(feedback.comment);
      if (feedback.first) {
        const created = await client
          .createFeedback({
            runId,
            sessionId,
            key: 'user-feedback',
            score,
            comment,
            feedbackId: feedback.id,
            sourceInfo: feedback.userId ? { user_id: feedback.userId } : undefined,
          })
          .then(() => true, (error: unknown) => {
            if ((error as { status?: number }).status === 409) return false;
            throw error;
          });
        if (created) return;
      }
      // A replacing vote, or a first one this process never saw (a restart, another replica): LangSmith
      // refuses a second feedback with the same id (409), so the existing one is updated in place.
      await client.updateFeedback(feedback.id, { score, comment: comment ?? null });
    } catch (error) {
      if (!abandoned.aborted) reporter.exportFailed('langsmith', 1, `feedback failed: ${(error as Error).message}`);
    }
  }

  return {
    rememberRoot(traceId: string, runId: string) {
      if (rootRunIds.size >= recentTracesKept) rootRunIds.delete(rootRunIds.keys().next().value as string);
      rootRunIds.set(traceId, runId);
    },
    record(feedback: UserFeedback) {
      const runId = rootRunIds.get(feedback.traceId);
      if (!runId) {
        reporter.exportFailed('langsmith', 1, 'feedback on a trace too old or never traced');
        return;
      }
      void pending.track(
        (abandoned) => inOrder(feedback.id, () => send(runId, feedback, abandoned)),
        () => reporter.exportFailed('langsmith', 1, 'feedback still unsent at shutdown'),
      );
    },
    async flush(timeoutMs: number) {
      await pending.settle(timeoutMs);
      // Whatever is still on the wire was counted as lost; close it so that nothing lingers after shutdown.
      requests.abortInFlight();
    },
  };
}

/** A fetch whose in-flight requests can all be aborted at once, the SDK offering no per-call signal. */
function abortableRequests() {
  let controller = new AbortController();
  return {
    fetch: ((input, init) =>
      fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal })) as typeof fetch,
    abortInFlight() {
      controller.abort();
      controller = new AbortController();
    },
  };
}

function createClient(settings: LangSmithFeedbackOptions['settings'], requestTimeoutMs: number, fetchImplementation: typeof fetch): Client {
  return new Client({
    apiUrl: settings.endpoint,
    apiKey: settings.apiKey,
    // Off, feedback is posted at once instead of waiting in the SDK's run queue (and its /info probe).
    autoBatchTracing: false,
    omitTracedRuntimeInfo: true,
    timeout_ms: requestTimeoutMs,
    callerOptions: { maxRetries: 2 },
    disablePromptCache: true,
    fetchImplementation,
  });
}
