import type { KVMap, RunCreate, UsageMetadata } from 'langsmith/schemas';
import { roundUsd } from '../../../llm/pricing.js';
import type { LlmCallRecord } from '../../../llm/types.js';
import { promptMessages } from '../../support/content-json.js';
import { cacheMetadata } from '../../support/llm-cache.js';
import { dottedOrderSegment, runIdFromSpan, startTimeWithOrder } from './ids.js';
import type { AgentRecord } from '../../types.js';

/** Everything one request described: its root agent, the other agents and its model calls. */
export interface TraceRecords {
  root: AgentRecord;
  /** Every agent except the root. */
  agents: AgentRecord[];
  llmCalls: Array<{ record: LlmCallRecord; parentSpanId: string | undefined }>;
}

export interface RunContext {
  project: string;
  /** Tagged on the root run (e.g. `production`), so LangSmith views can filter by deployment. */
  environment: string;
}

/** A record reduced to what placing it in the tree needs, plus the run fields it contributes. */
interface Node {
  spanId: string;
  parentSpanId: string | undefined;
  startedAt: number;
  endedAt: number;
  fields: Pick<RunCreate, 'name' | 'run_type' | 'inputs' | 'outputs' | 'error' | 'tags'> & { metadata: KVMap };
}

/**
 * Builds the LangSmith runs of one trace: the root agent, its child agents and, under the agent that made
 * it, each model call as an `llm` run. Span parents become run parents; a record whose parent is not in
 * the trace hangs under the root so that the tree stays connected.
 */
export function buildRuns(trace: TraceRecords, context: RunContext): RunCreate[] {
  // LangSmith adds a run's tokens and cost to its thread only when the run itself carries the thread
  // metadata (the SDK copies a parent's metadata to every child), so every run gets `session_id`.
  const sessionId = trace.root.trace?.sessionId;
  const rootNode = agentNode(trace.root, context, sessionId);
  const nodes = [
    rootNode,
    ...trace.agents.map((agent) => agentNode(agent, context, sessionId)),
    ...trace.llmCalls.map(({ record, parentSpanId }) => llmNode(record, parentSpanId, sessionId)),
  ];
  const bySpan = new Map(nodes.map((node) => [node.spanId, node]));
  const children = new Map<Node, Node[]>(nodes.map((node) => [node, []]));
  for (const node of nodes) {
    if (node !== rootNode) children.get(bySpan.get(node.parentSpanId ?? '') ?? rootNode)!.push(node);
  }
  const traceId = rootRunId(trace.root);
  const runs: RunCreate[] = [];
  const visited = new Set<Node>();
  // Depth first from the root, siblings by start time: a parent's run exists before its children's, and
  // the position is the execution order that breaks ties in `dotted_order`.
  const visit = (node: Node, parentRun: RunCreate | undefined) => {
    visited.add(node);
    const run = toRun(node, parentRun, runs.length + 1);
    runs.push(run);
    for (const child of children.get(node)!.sort((a, b) => a.startedAt - b.startedAt)) {
      if (!visited.has(child)) visit(child, run);
    }
  };
  visit(rootNode, undefined);
  // Records whose parents point at each other never hang under the root; place them there.
  for (const node of nodes) if (!visited.has(node)) visit(node, runs[0]);
  return runs;

  function toRun(node: Node, parentRun: RunCreate | undefined, executionOrder: number): RunCreate {
    const id = node === rootNode ? traceId : runIdFromSpan(node.startedAt, node.spanId, trace.root.traceId);
    const startTime = startTimeWithOrder(node.startedAt, executionOrder);
    const segment = dottedOrderSegment(startTime, id);
    const { fields } = node;
    // Spelled out rather than spread: one object shape for every run keeps building them cheap.
    return {
      id,
      name: fields.name,
      run_type: fields.run_type,
      trace_id: traceId,
      parent_run_id: parentRun?.id,
      dotted_order: parentRun ? `${parentRun.dotted_order}.${segment}` : segment,
      start_time: startTime,
      end_time: Math.max(node.endedAt, node.startedAt),
      session_name: context.project,
      inputs: fields.inputs,
      outputs: fields.outputs,
      error: fields.error,
      tags: fields.tags,
      extra: { metadata: fields.metadata },
    };
  }
}

/** The root run's id, which is also the LangSmith trace id. */
export const rootRunId = (root: AgentRecord): string => runIdFromSpan(root.startedAt, root.spanId, root.traceId);

function agentNode(record: AgentRecord, context: RunContext, sessionId: string | undefined): Node {
  const isRoot = record.trace !== undefined;
  // Only the root's metadata gets the request's context; the others are sent as recorded, plus the thread.
  const metadata: KVMap = isRoot
    ? {
        ...record.metadata,
        otel_trace_id: record.traceId,
        user_id: record.trace?.userId,
        // LangSmith groups runs that share `session_id` metadata into one thread.
        session_id: sessionId,
      }
    : sessionId
      ? { ...record.metadata, session_id: sessionId }
      : (record.metadata ?? {});
  return {
    spanId: record.spanId,
    parentSpanId: record.parentSpanId,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    fields: {
      name: record.name,
      run_type: record.kind,
      inputs: record.inputs,
      outputs: record.kind === 'retriever' ? asDocuments(record.outputs) : record.outputs,
      error: record.error,
      tags: isRoot ? withEnvironmentTag(context.environment, record.tags ?? []) : record.tags,
      metadata,
    },
  };
}

/** The environment first, then the record's tags, each once (a Set costs more than this for a handful). */
function withEnvironmentTag(environment: string, tags: string[]): string[] {
  const result = [environment];
  for (const tag of tags) if (!result.includes(tag)) result.push(tag);
  return result;
}

/** LangSmith renders a retriever's output as documents when they have this shape. */
function asDocuments(outputs: KVMap | undefined): KVMap | undefined {
  const documents: unknown = outputs?.documents;
  if (!Array.isArray(documents)) return outputs;
  return {
    documents: documents.map((document: KVMap) => ({
      type: 'Document',
      page_content: String(document.title ?? document.content ?? ''),
      metadata: document,
    })),
  };
}

function llmNode(record: LlmCallRecord, parentSpanId: string | undefined, sessionId: string | undefined): Node {
  const { request, response, cost } = record;
  const usage = usageMetadata(record);
  return {
    spanId: record.spanId,
    parentSpanId,
    startedAt: record.startedAt,
    endedAt: record.startedAt + Math.round(record.latencyMs),
    fields: {
      name: `generate_content ${request.model}`,
      run_type: 'llm',
      // The same array LangFuse's generation input is made from: its JSON is made once (support/content-json.ts).
      inputs: { messages: promptMessages(request) },
      // usage_metadata sits in the outputs as well as the metadata, where `traceable` puts it.
      outputs: response ? { role: 'assistant', content: response.text, usage_metadata: usage } : undefined,
      error: record.error ? `${record.error.type}: ${record.error.message}` : undefined,
      metadata: {
        // ls_provider and ls_model_name are what LangSmith prices a run by.
        ls_provider: record.provider === 'gemini' ? 'google' : record.provider,
        ls_model_name: cost.pricedModel ?? response?.responseModel ?? request.model,
        ls_model_type: 'chat',
        ls_temperature: request.temperature,
        ls_max_tokens: request.maxOutputTokens,
        usage_metadata: usage,
        prompt_name: request.promptRef.name,
        prompt_version: request.promptRef.version,
        attempts: record.attempts,
        // Left undefined when there is no response: JSON leaves them out.
        response_model: response?.responseModel,
        finish_reason: response?.finishReason,
        response_id: response?.responseId,
        session_id: sessionId,
        ...cacheMetadata(record),
      },
    },
  };
}

/** LangSmith counts cached tokens inside the input and thinking tokens inside the output. */
export function usageMetadata({ usage, cost }: LlmCallRecord): UsageMetadata {
  const input = usage.input + usage.cached;
  const output = usage.output + usage.reasoning;
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: input + output,
    input_token_details: { cache_read: usage.cached },
    output_token_details: { reasoning: usage.reasoning },
    ...(cost.details
      ? {
          input_cost: roundUsd(cost.details.input + cost.details.input_cached_tokens),
          output_cost: roundUsd(cost.details.output + cost.details.output_reasoning_tokens),
          total_cost: cost.details.total,
          input_cost_details: { cache_read: cost.details.input_cached_tokens },
          output_cost_details: { reasoning: cost.details.output_reasoning_tokens },
        }
      : {}),
  };
}
