// The research page: asks a question, streams the answer, shows what it cost and where its trace is,
// and sends the reader's thumbs up or down back as feedback.
import { loadSettings, postJson, readEvents, ServiceError, type ErrorBody, type UiSettings } from './api.js';
import { describeError, renderAnswer, renderSources, renderWhatYouSee, type AnswerMetadata, type Source } from './render.js';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  mode: byId<HTMLParagraphElement>('mode'),
  form: byId<HTMLFormElement>('ask'),
  query: byId<HTMLTextAreaElement>('query'),
  topK: byId<HTMLInputElement>('top-k'),
  userId: byId<HTMLInputElement>('user-id'),
  apiKeyRow: byId<HTMLDivElement>('api-key-row'),
  apiKey: byId<HTMLInputElement>('api-key'),
  sessionId: byId<HTMLOutputElement>('session-id'),
  submit: byId<HTMLButtonElement>('submit'),
  stop: byId<HTMLButtonElement>('stop'),
  status: byId<HTMLParagraphElement>('status'),
  error: byId<HTMLDivElement>('error'),
  result: byId<HTMLElement>('result'),
  answer: byId<HTMLDivElement>('answer'),
  sources: byId<HTMLOListElement>('sources'),
  whatYouSee: byId<HTMLDListElement>('what-you-see'),
  feedback: byId<HTMLFormElement>('feedback'),
  comment: byId<HTMLTextAreaElement>('comment'),
  feedbackStatus: byId<HTMLParagraphElement>('feedback-status'),
};

const storageKeys = { session: 'researcherai.session_id', apiKey: 'researcherai.api_key' };

/** One session per browser tab, so LangFuse groups the tab's questions into one conversation. */
function tabSessionId(): string {
  let id = sessionStorage.getItem(storageKeys.session);
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem(storageKeys.session, id);
  }
  return id;
}

let settings: UiSettings = { provider: 'offline', auth_required: false, links: {} };
let running: AbortController | undefined;
let answered: { metadata: AnswerMetadata; userId?: string } | undefined;

function showError(message: string | undefined): void {
  ui.error.hidden = !message;
  ui.error.textContent = message ?? '';
}

function setRunning(controller: AbortController | undefined): void {
  running = controller;
  ui.submit.disabled = Boolean(controller);
  ui.stop.disabled = !controller;
  ui.answer.setAttribute('aria-busy', String(Boolean(controller)));
}

async function ask(): Promise<void> {
  const userId = ui.userId.value.trim() || undefined;
  const body = { query: ui.query.value, top_k: Number(ui.topK.value), session_id: tabSessionId(), ...(userId ? { user_id: userId } : {}) };
  const controller = new AbortController();
  setRunning(controller);
  showError(undefined);
  answered = undefined;
  ui.feedback.hidden = true;
  ui.feedbackStatus.textContent = '';
  ui.status.textContent = 'Asking…';
  const sentAt = performance.now();
  let firstTokenMs: number | undefined;
  let text = '';
  let sources: Source[] = [];
  let finished = false;
  try {
    const response = await postJson('/api/query/stream', body, apiKey(), controller.signal);
    ui.result.hidden = false;
    ui.answer.replaceChildren();
    ui.sources.replaceChildren();
    ui.whatYouSee.replaceChildren();
    await readEvents(response, {
      onEvent(event, data) {
        if (event === 'meta') {
          ui.status.textContent = settings.provider === 'offline' ? 'Answering offline…' : `Answering with ${(data as AnswerMetadata).model}…`;
        } else if (event === 'sources') {
          sources = (data as { sources: Source[] }).sources;
          renderSources(ui.sources, sources);
        } else if (event === 'delta') {
          firstTokenMs ??= performance.now() - sentAt;
          text += (data as { text: string }).text;
          renderAnswer(ui.answer, text, sources.length);
        } else if (event === 'done') {
          finished = true;
          const metadata = data as AnswerMetadata;
          answered = { metadata, userId };
          renderWhatYouSee(ui.whatYouSee, metadata, firstTokenMs, settings.links);
          if (metadata.model === 'offline-extractive') showMode('offline');
          ui.status.textContent = 'Done.';
          ui.feedback.hidden = false;
        } else if (event === 'error') {
          finished = true;
          throw new ServiceError(undefined, data as ErrorBody);
        }
      },
    });
    if (!finished) throw new Error('the stream ended before the answer was complete');
  } catch (error) {
    if (controller.signal.aborted) ui.status.textContent = 'Stopped: the model call was cancelled.';
    else {
      ui.status.textContent = '';
      showError(describeError(error));
      if (error instanceof ServiceError && error.status === 401) {
        showApiKeyField();
        ui.apiKey.focus();
      }
    }
  } finally {
    setRunning(undefined);
  }
}

async function sendFeedback(helpful: boolean): Promise<void> {
  if (!answered) return;
  const { metadata, userId } = answered;
  const comment = ui.comment.value.trim();
  ui.feedbackStatus.textContent = 'Sending…';
  try {
    await postJson(
      '/api/feedback',
      {
        trace_id: metadata.trace_id,
        is_helpful: helpful,
        feedback_token: metadata.feedback_token,
        ...(comment ? { comment } : {}),
        ...(userId ? { user_id: userId } : {}),
      },
      apiKey(),
    );
    ui.feedbackStatus.textContent = `Feedback recorded (${helpful ? 'helpful' : 'not helpful'}). Thank you.`;
    for (const button of ui.feedback.querySelectorAll('button')) button.disabled = true;
  } catch (error) {
    ui.feedbackStatus.textContent = `Feedback not recorded: ${describeError(error)}`;
  }
}

function apiKey(): string {
  return settings.auth_required ? ui.apiKey.value.trim() : '';
}

function showApiKeyField(): void {
  ui.apiKeyRow.hidden = false;
  ui.apiKeyRow.closest('details')?.setAttribute('open', '');
}

function showMode(provider: UiSettings['provider']): void {
  ui.mode.hidden = provider !== 'offline';
  ui.mode.textContent = 'Offline mode: answers quote the corpus, no model is called';
}

async function start(): Promise<void> {
  ui.sessionId.textContent = tabSessionId();
  try {
    settings = await loadSettings();
  } catch (error) {
    showError(describeError(error));
  }
  showMode(settings.provider);
  if (settings.auth_required) {
    showApiKeyField();
    ui.apiKey.value = sessionStorage.getItem(storageKeys.apiKey) ?? '';
    ui.apiKey.addEventListener('input', () => sessionStorage.setItem(storageKeys.apiKey, ui.apiKey.value));
  }
  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    void ask();
  });
  // Enter asks, Shift+Enter starts a new line, as in chat boxes.
  ui.query.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !running) {
      event.preventDefault();
      ui.form.requestSubmit();
    }
  });
  ui.stop.addEventListener('click', () => running?.abort());
  ui.feedback.addEventListener('submit', (event) => {
    event.preventDefault();
    void sendFeedback((event.submitter as HTMLButtonElement | null)?.value === 'true');
  });
}

void start();
