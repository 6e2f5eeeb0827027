import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIFetchError,
  type GenerateContentResponse,
  type GenerativeModel,
} from '@google/generative-ai';
import { LlmError } from '../errors.js';
import type { LlmProvider, LlmRequest, ProviderResponse, StreamChunk } from '../types.js';
import { usageFromGemini, type GeminiUsageMetadata } from '../usage.js';

// 0.24.1's types predate these response fields; the adapter is the one place that knows them.
type GeminiResponse = GenerateContentResponse & {
  modelVersion?: string;
  responseId?: string;
  usageMetadata?: GeminiUsageMetadata;
  error?: { code?: number; status?: string; message?: string };
};

const blockingFinishReasons = new Set(['SAFETY', 'RECITATION', 'LANGUAGE', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII']);

export interface GeminiOptions {
  apiKey: string;
  baseUrl?: string;
}

/**
 * The only code that knows @google/generative-ai. It makes one attempt; the instrumented client owns
 * retries, timeouts (via the signal: the SDK's own timeout timer is never cleared) and telemetry.
 */
export function createGeminiProvider(options: GeminiOptions): LlmProvider {
  const sdk = new GoogleGenerativeAI(options.apiKey);
  const baseUrl = options.baseUrl ?? 'https://generativelanguage.googleapis.com';
  const url = new URL(baseUrl);
  const models = new Map<string, GenerativeModel>();
  const modelFor = (request: LlmRequest) => {
    const key = `${request.model}\u0000${request.system}\u0000${request.temperature}\u0000${request.maxOutputTokens}`;
    let model = models.get(key);
    if (!model) {
      model = sdk.getGenerativeModel(
        {
          model: request.model,
          systemInstruction: request.system,
          generationConfig: { temperature: request.temperature, maxOutputTokens: request.maxOutputTokens },
        },
        { baseUrl },
      );
      models.set(key, model);
    }
    return model;
  };

  return {
    system: 'gcp.gemini',
    serverAddress: { host: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) },
    async generate(request, signal) {
      const model = modelFor(request);
      try {
        if (request.stream) return await streamOnce(model, request, signal, () => undefined);
        const result = await model.generateContent(request.prompt, { signal });
        return interpret(result.response as GeminiResponse);
      } catch (error) {
        throw toLlmError(error, signal);
      }
    },
    async stream(request, signal, onChunk) {
      try {
        return await streamOnce(modelFor(request), request, signal, onChunk);
      } catch (error) {
        throw toLlmError(error, signal);
      }
    },
  };
}

async function streamOnce(
  model: GenerativeModel,
  request: LlmRequest,
  signal: AbortSignal,
  onChunk: (chunk: StreamChunk) => void,
): Promise<ProviderResponse> {
  const result = await model.generateContentStream(request.prompt, { signal });
  // The aggregate promise rejects too when the stream fails; left unobserved it crashes Node.
  result.response.catch(() => undefined);
  let text = '';
  let last: GeminiResponse | undefined;
  let modelVersion: string | undefined;
  let responseId: string | undefined;
  for await (const chunk of result.stream) {
    const piece = chunk as GeminiResponse;
    if (piece.error) {
      throw new LlmError('stream_error', `stream failed after ${text.length} characters: ${piece.error.message ?? piece.error.status}`, {
        upstreamStatus: piece.error.code,
        usage: usageFromGemini(last?.usageMetadata),
        responseModel: modelVersion,
      });
    }
    modelVersion = piece.modelVersion ?? modelVersion;
    responseId = piece.responseId ?? responseId;
    const pieceText = piece.candidates?.[0]?.content?.parts?.map((part) => part.text ?? '').join('') ?? '';
    text += pieceText;
    last = piece;
    onChunk({ text: pieceText, usage: usageFromGemini(piece.usageMetadata), responseModel: modelVersion });
  }
  if (!last) throw new LlmError('malformed', 'stream ended without a chunk');
  // Usage is cumulative in every chunk: the last one is the total; summing would overcount.
  return interpret({ ...last, modelVersion, responseId }, text);
}

function interpret(response: GeminiResponse, streamedText?: string): ProviderResponse {
  const usage = usageFromGemini(response.usageMetadata);
  const responseModel = response.modelVersion;
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) {
    throw new LlmError('blocked', `prompt blocked by the model: ${blockReason}`, { usage, responseModel });
  }
  const candidate = response.candidates?.[0];
  if (!candidate) throw new LlmError('malformed', 'response has no candidates', { usage, responseModel });
  const finishReason = String(candidate.finishReason ?? 'STOP');
  if (blockingFinishReasons.has(finishReason)) {
    throw new LlmError('blocked', `answer withheld by the model: finishReason ${finishReason}`, { usage, responseModel });
  }
  const text = streamedText ?? candidate.content?.parts?.map((part) => part.text ?? '').join('') ?? '';
  if (!text.trim()) {
    const type = finishReason === 'MAX_TOKENS' ? 'max_tokens' : 'malformed';
    throw new LlmError(type, `model returned no text (finishReason ${finishReason})`, { usage, responseModel });
  }
  return { text, finishReason, usage, responseModel, responseId: response.responseId };
}

function parseRetryDelayMs(details: unknown): { retryAfterMs?: number; daily: boolean } {
  const list = Array.isArray(details) ? (details as Array<Record<string, unknown>>) : [];
  const retryInfo = list.find((detail) => String(detail['@type']).endsWith('google.rpc.RetryInfo'));
  const quota = list.find((detail) => String(detail['@type']).endsWith('google.rpc.QuotaFailure'));
  const daily = JSON.stringify(quota?.violations ?? '').includes('PerDay');
  const delay = typeof retryInfo?.retryDelay === 'string' ? Number.parseFloat(retryInfo.retryDelay) : Number.NaN;
  return { retryAfterMs: Number.isFinite(delay) ? Math.round(delay * 1000) : undefined, daily };
}

function toLlmError(error: unknown, signal: AbortSignal): LlmError {
  if (error instanceof LlmError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (signal.aborted || error instanceof GoogleGenerativeAIAbortError) {
    return new LlmError('timeout', 'model call timed out', { cause: error });
  }
  if (error instanceof GoogleGenerativeAIFetchError) {
    const status = error.status ?? 0;
    if (status === 429) {
      const { retryAfterMs, daily } = parseRetryDelayMs(error.errorDetails);
      return new LlmError('rate_limited', `model rate limit (429)${daily ? ', daily quota exhausted' : ''}`, {
        retryable: !daily,
        retryAfterMs,
        upstreamStatus: status,
        cause: error,
      });
    }
    if (status >= 500) return new LlmError('server_error', `model server error (${status})`, { upstreamStatus: status, cause: error });
    return new LlmError('client_error', `model rejected the request (${status})`, { upstreamStatus: status, cause: error });
  }
  if (/parse|JSON|Unexpected token/i.test(message)) {
    return new LlmError('malformed', 'model response could not be parsed', { cause: error });
  }
  if (/reading from the stream/i.test(message)) return new LlmError('stream_error', 'model stream failed', { cause: error });
  return new LlmError('network', 'model could not be reached', { cause: error });
}
