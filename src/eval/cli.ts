import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'langsmith';
import { loadConfig, type Config } from '../config/index.js';
import { defaultDatasetPath, loadEvalDataset, type EvalDataset } from './dataset.js';
import { formatComparison, parseCompare, resolvePromptVersion } from './compare.js';
import { evaluateWithLangSmith } from './langsmith.js';
import { evaluateOffline } from './offline.js';
import { formatTable, progressLine, summarize, writeReport, type EvalReport, type ExampleResult, type Thresholds } from './report.js';
import { startResearchTarget } from './target.js';

export const usage = `Usage: npm run eval -- [options]

Runs the research pipeline over the eval dataset and scores every answer with topic_coverage and
retrieval_hit. With LANGSMITH_API_KEY set (and LANGSMITH_ENDPOINT for a non-default server) the dataset,
the experiment and its feedback are uploaded to LangSmith; without it everything stays local.

Options:
  --dataset <path>             dataset file (default data/eval/research-queries.json)
  --report <path>              JSON report to write (default reports/eval.json)
  --min-topic-coverage <0..1>  fail when the mean topic_coverage is lower (default 0.5)
  --min-retrieval-hit <0..1>   fail when the mean retrieval_hit is lower (default 0.6)
  --top-k <n>                  papers retrieved per query, and the k of retrieval_hit (default 5)
  --experiment-prefix <name>   LangSmith experiment prefix (default research-agent)
  --concurrency <n>            examples in parallel in LangSmith mode (default 4)
  --compare <a,b>              run the dataset with two prompt versions or labels (e.g. 1,2 or
                               production,candidate) and print them side by side; in LangSmith mode
                               each is its own experiment, with the prompt version in its metadata
  --offline                    evaluate locally even when LangSmith is configured
  --help                       print this text

Exit status: 0 when every mean reaches its threshold, 1 when one falls below, 2 on a usage or setup error.`;

export interface EvalCliIo {
  env?: NodeJS.ProcessEnv;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const number = (name: string, raw: string, min: number, max: number) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return value;
};

class UsageError extends Error {}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string', default: defaultDatasetPath },
      report: { type: 'string', default: 'reports/eval.json' },
      'min-topic-coverage': { type: 'string', default: '0.5' },
      'min-retrieval-hit': { type: 'string', default: '0.6' },
      'top-k': { type: 'string', default: '5' },
      'experiment-prefix': { type: 'string', default: 'research-agent' },
      concurrency: { type: 'string', default: '4' },
      compare: { type: 'string' },
      offline: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const thresholds: Thresholds = {
    topic_coverage: number('min-topic-coverage', values['min-topic-coverage'], 0, 1),
    retrieval_hit: number('min-retrieval-hit', values['min-retrieval-hit'], 0, 1),
  };
  return {
    help: values.help,
    datasetPath: resolve(values.dataset),
    reportPath: resolve(values.report),
    thresholds,
    topK: number('top-k', values['top-k'], 1, 20),
    experimentPrefix: values['experiment-prefix'],
    concurrency: number('concurrency', values.concurrency, 1, 64),
    offline: values.offline,
    compare: values.compare,
  };
}

/** `npm run eval`: returns the exit status rather than exiting, so that tests can call it. */
export async function runEvalCli(argv: string[], io: EvalCliIo = {}): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  let options: ReturnType<typeof parseOptions>;
  let config: Config;
  let dataset: EvalDataset;
  try {
    options = parseOptions(argv);
    if (options.help) {
      out(usage);
      return 0;
    }
    config = loadConfig(io.env);
    dataset = loadEvalDataset(options.datasetPath);
  } catch (error) {
    const isUsage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    err(isUsage ? `${(error as Error).message}\n\n${usage}` : (error as Error).message);
    return 2;
  }
  let sides: Array<{ title: string; config: Config }> = [{ title: '', config }];
  try {
    if (options.compare) {
      sides = await Promise.all(
        parseCompare(options.compare, config.prompts).map(async ({ spec, settings }) => {
          const sideConfig = { ...config, prompts: settings };
          const version = await resolvePromptVersion(sideConfig);
          return { title: /^\d+$/.test(spec) ? `v${version}` : `${spec} (v${version})`, config: sideConfig };
        }),
      );
    }
  } catch (error) {
    err(error instanceof Error && error.message.startsWith('--compare') ? `${error.message}\n\n${usage}` : (error as Error).message);
    return 2;
  }
  const runs: Array<{ title: string; report: EvalReport }> = [];
  for (const side of sides) {
    if (side.title) out(`\n== prompt ${side.title} ==`);
    runs.push({ title: side.title, report: await evaluateOnce(side.config, options, dataset, { out, err }, side.title) });
  }
  const reports = runs.map((run) => run.report);
  writeReport(options.reportPath, reports.length === 1 ? (reports[0] as EvalReport) : { compare: runs });
  if (runs.length === 2) out(`\n${formatComparison(runs)}`);
  out(`Report: ${options.reportPath}`);
  return reports.every((report) => report.passed) ? 0 : 1;
}

/** One run over the dataset with one configuration: progress lines, the table, threshold failures. */
async function evaluateOnce(
  config: Config,
  options: ReturnType<typeof parseOptions>,
  dataset: EvalDataset,
  { out, err }: Required<Pick<EvalCliIo, 'out' | 'err'>>,
  promptTitle: string,
): Promise<EvalReport> {
  const langsmith = options.offline ? undefined : config.evaluation.langsmith;
  const mode = langsmith ? 'langsmith' : 'offline';
  const startedAt = new Date().toISOString();
  out(`Evaluating ${dataset.examples.length} examples of ${dataset.name} (${mode}, provider ${config.llm.provider}, top_k ${options.topK})`);

  let done = 0;
  const onResult = (result: ExampleResult) => out(progressLine(result, ++done, dataset.examples.length));
  const target = await startResearchTarget(config, options.topK);
  let results: ExampleResult[];
  let experiment: string | undefined;
  try {
    if (langsmith) {
      const promptVersion = await resolvePromptVersion(config);
      ({ results, experiment } = await evaluateWithLangSmith(dataset, target, {
        client: new Client({ apiUrl: langsmith.endpoint, apiKey: langsmith.apiKey }),
        experimentPrefix: promptTitle ? `${options.experimentPrefix}-prompt-v${promptVersion}` : options.experimentPrefix,
        topK: options.topK,
        concurrency: options.concurrency,
        metadata: { provider: config.llm.provider, models: config.llm.models, prompt_version: promptVersion, prompt_choice: promptTitle || undefined },
        onSync: ({ created, reused, stale }) =>
          out(
            `LangSmith dataset ${dataset.name}: ${created} examples created, ${reused} reused` +
              (stale.length ? `; stored reference differs from the file for ${stale.join(', ')} (scored against the file)` : ''),
          ),
        onResult,
      }));
    } else {
      results = await evaluateOffline(dataset, target, options.topK, onResult);
    }
  } finally {
    await target.close();
  }

  const report = summarize(results, options.thresholds, {
    dataset: dataset.name,
    mode,
    experiment,
    provider: config.llm.provider,
    topK: options.topK,
    startedAt,
  });
  out('');
  out(formatTable(report));
  if (experiment) out(`\nLangSmith experiment: ${experiment}`);
  for (const failure of report.failures) err(`FAIL: ${promptTitle ? `prompt ${promptTitle}: ` : ''}${failure}`);
  return report;
}
