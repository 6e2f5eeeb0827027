import type { Link } from '@opentelemetry/api';
import type { Config } from '../config/index.js';
import type { LlmResult, StreamOptions } from '../llm/client.js';
import type { CallControls } from '../llm/cost-controls.js';
import type { ChoosePrompt } from '../prompts/index.js';
import type { RunAgent } from '../telemetry/types.js';
import { classifyQuery, type Complexity, type QueryType } from './classifier.js';
import type { Reasoner } from './reasoner.js';
import type { RankedPaper, Retriever } from './retriever.js';

export interface ResearchQuery {
  query: string;
  userId?: string;
  sessionId?: string;
  topK: number;
  /** Cache mode and payer, passed through to the model call. */
  controls?: CallControls;
  /** Set for a batch item: its own trace, linked to the batch's span and tagged with the batch id. */
  batch?: { id: string; links: Link[] };
}

export interface ResearchAnswer {
  answer: string;
  sources: RankedPaper[];
  queryType: QueryType;
  complexity: Complexity;
  model: string;
  prompt: AnswerPrompt;
  llm: LlmResult;
  retrievedDocs: number;
  averageRelevance: number;
  agents: Array<{ name: string; latencyMs: number }>;
  traceId: string;
}

/** The prompt version that answers, and the label (variant) it was chosen by; null when pinned. */
export interface AnswerPrompt {
  name: string;
  version: number;
  label: string | null;
}

/** What the orchestrator has decided once the run starts: enough for a client to label the answer. */
export interface AnswerPlan {
  traceId: string;
  queryType: QueryType;
  complexity: Complexity;
  model: string;
  prompt: AnswerPrompt;
}

/** Callbacks of a streamed answer, in the order they fire. `signal` cancels the model call. */
export interface AnswerListener extends StreamOptions {
  onPlan(plan: AnswerPlan): void;
  onSources(sources: RankedPaper[]): void;
}

interface Dependencies {
  retriever: Retriever;
  reasoner: Reasoner;
  runAgent: RunAgent;
  models: Config['llm']['models'];
  choosePrompt: ChoosePrompt;
}

/** Classifies the query, picks the model for its complexity, runs the retriever then the reasoner. */
export function createOrchestrator({ retriever, reasoner, runAgent, models, choosePrompt }: Dependencies) {
  return function orchestrate(request: ResearchQuery, listener?: AnswerListener): Promise<ResearchAnswer> {
    const { queryType, complexity } = classifyQuery(request.query);
    const model = models[complexity];
    const { prompt, experiment, variant } = choosePrompt({ userId: request.userId, sessionId: request.sessionId });
    const experimentFields = experiment && variant ? { experiment, variant } : {};
    const answerPrompt: AnswerPrompt = { name: prompt.name, version: prompt.version, label: prompt.label };
    return runAgent(
      {
        name: 'orchestrator',
        inputs: { query: request.query, top_k: request.topK },
        trace: {
          name: 'research-query',
          userId: request.userId,
          sessionId: request.sessionId,
          tags: ['research-query', queryType, complexity],
          links: request.batch?.links,
        },
        metadata: { query_type: queryType, complexity, model, prompt_version: prompt.version, ...experimentFields },
      },
      async (run) => {
        // On the root these become LangFuse trace metadata and LangSmith metadata too.
        run.annotate({
          query_type: queryType,
          complexity,
          model,
          prompt_version: prompt.version,
          ...experimentFields,
          ...(request.batch ? { batch_id: request.batch.id } : {}),
        });
        listener?.onPlan({ traceId: run.traceId, queryType, complexity, model, prompt: answerPrompt });
        const agents: ResearchAnswer['agents'] = [];
        const timed = async <T>(name: string, work: () => Promise<T>) => {
          const started = performance.now();
          try {
            return await work();
          } finally {
            agents.push({ name, latencyMs: round(performance.now() - started) });
          }
        };
        const retrieval = await timed('retriever', () =>
          runAgent({ name: 'retriever', kind: 'retriever', inputs: { query: request.query, top_k: request.topK } }, async (retrieverRun) => {
            const result = retriever.retrieve(request.query, request.topK);
            retrieverRun.annotate({ 'retrieval.documents': result.papers.length, 'retrieval.avg_relevance': result.averageRelevance });
            retrieverRun.setOutputs({
              documents: result.papers.map(({ paper, score }) => ({ id: paper.id, title: paper.title, score })),
            });
            return result;
          }),
        );
        run.annotate({ retrieved_docs: retrieval.papers.length, avg_relevance: retrieval.averageRelevance });
        listener?.onSources(retrieval.papers);
        const passages = retrieval.papers.map(({ paper }) => ({ id: paper.id, title: paper.title, year: paper.year, summary: paper.summary }));
        const llm = await timed('reasoner', () => reasoner(request.query, passages, model, prompt, request.controls, listener));
        run.setOutputs({ answer: llm.text, sources: passages.map((passage) => passage.id) });
        return {
          answer: llm.text,
          sources: retrieval.papers,
          queryType,
          complexity,
          model: llm.model,
          prompt: answerPrompt,
          llm,
          retrievedDocs: retrieval.papers.length,
          averageRelevance: retrieval.averageRelevance,
          agents,
          traceId: run.traceId,
        };
      },
    );
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export type Orchestrator = ReturnType<typeof createOrchestrator>;
