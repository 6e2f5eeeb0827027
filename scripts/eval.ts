// npm run eval: see src/eval/cli.ts for the options and the two modes (offline, LangSmith).
import { runEvalCli } from '../src/eval/cli.js';

process.exitCode = await runEvalCli(process.argv.slice(2));
