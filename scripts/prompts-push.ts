// npm run prompts:push: creates in LangFuse the prompt versions of prompts/*.yaml it does not have yet.
import { LangfuseClient } from '@langfuse/client';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { loadPromptFiles } from '../src/prompts/files.js';
import { pushPrompts } from '../src/prompts/push.js';

async function main(): Promise<number> {
  const langfuse = loadConfig().telemetry.langfuse;
  if (!langfuse) {
    process.stderr.write('prompts:push needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (and LANGFUSE_BASE_URL for a self-hosted server)\n');
    return 2;
  }
  const files = loadPromptFiles();
  const client = new LangfuseClient({ publicKey: langfuse.publicKey, secretKey: langfuse.secretKey, baseUrl: langfuse.baseUrl });
  const { created, lines } = await pushPrompts(client, files.values());
  for (const line of lines) process.stdout.write(`${line}\n`);
  process.stdout.write(
    created === 0
      ? `Nothing to create: LangFuse at ${langfuse.baseUrl} already has every version of ${files.size} prompt(s).\n`
      : `Created ${created} prompt version(s) in LangFuse at ${langfuse.baseUrl}.\n`,
  );
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? '' : 'prompts:push failed: '}${(error as Error).message}\n`);
  process.exitCode = 1;
}
