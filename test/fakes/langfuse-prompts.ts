// Prompt Management of the Langfuse fake, as the server's public API speaks it
// (web/src/features/prompts/server/handlers/*, actions/createPrompt.ts, actions/updatePrompts.ts):
// GET /api/public/v2/prompts/{name}?version=|label= (default label production), POST /api/public/v2/prompts
// (next version, labels + "latest" moved off older versions, 201), PATCH .../{name}/versions/{n}
// {newLabels} (added to the version's labels, moved off the others), errors as {message, error}.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { parseJson, sendJson, type RecordedRequest } from './http-fake.js';

export interface StoredPrompt {
  id: string;
  name: string;
  version: number;
  type: 'chat' | 'text';
  prompt: unknown;
  config: unknown;
  labels: string[];
  tags: string[];
  commitMessage: string | null;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  projectId: string;
  resolutionGraph: null;
}

const PREFIX = '/api/public/v2/prompts';
const LATEST = 'latest';
const notFound = (res: ServerResponse, message: string) => sendJson(res, 404, { message, error: 'LangfuseNotFoundError' });
const invalid = (res: ServerResponse, message: string) => sendJson(res, 400, { message, error: 'InvalidRequestError' });

export function createPromptRegistry() {
  const prompts: StoredPrompt[] = [];
  const versionsOf = (name: string) => prompts.filter((prompt) => prompt.name === name);

  function moveLabels(name: string, labels: string[], keepOn: StoredPrompt) {
    for (const other of versionsOf(name)) {
      if (other === keepOn) continue;
      const kept = other.labels.filter((label) => !labels.includes(label));
      if (kept.length !== other.labels.length) {
        other.labels = kept;
        other.updatedAt = new Date().toISOString();
      }
    }
  }

  function create(req: RecordedRequest, res: ServerResponse) {
    const body = parseJson<Partial<StoredPrompt> & { labels?: unknown; tags?: unknown }>(req);
    const issues: Array<{ path: string[]; message: string }> = [];
    if (typeof body?.name !== 'string' || body.name === '') issues.push({ path: ['name'], message: 'Required' });
    if (body?.type !== undefined && body.type !== 'chat' && body.type !== 'text') issues.push({ path: ['type'], message: 'Invalid enum value' });
    const type = body?.type ?? 'text';
    if (type === 'chat' ? !Array.isArray(body?.prompt) : typeof body?.prompt !== 'string') issues.push({ path: ['prompt'], message: 'Invalid input' });
    if (body?.labels !== undefined && (!Array.isArray(body.labels) || body.labels.some((label) => typeof label !== 'string'))) {
      issues.push({ path: ['labels'], message: 'Expected array of strings' });
    }
    if (!body || issues.length > 0) {
      sendJson(res, 400, { message: 'Invalid request data', error: issues });
      return;
    }
    const name = body.name as string;
    const existing = versionsOf(name);
    const latest = existing.at(-1);
    if (latest && latest.type !== type) {
      invalid(res, 'Previous versions have different prompt type. Create a new prompt with a different name.');
      return;
    }
    const now = new Date().toISOString();
    const labels = [...new Set([...((body.labels as string[] | undefined) ?? []), LATEST])];
    const created: StoredPrompt = {
      id: randomUUID(),
      name,
      version: (latest?.version ?? 0) + 1,
      type,
      prompt: type === 'chat' ? (body.prompt as Array<Record<string, unknown>>).map((message) => ({ type: 'chatmessage', ...message })) : body.prompt,
      config: body.config ?? {},
      labels,
      tags: (body.tags as string[] | undefined) ?? latest?.tags ?? [],
      commitMessage: body.commitMessage ?? null,
      createdAt: now,
      updatedAt: now,
      createdBy: 'API',
      projectId: 'researcherai',
      resolutionGraph: null,
    };
    prompts.push(created);
    moveLabels(name, labels, created);
    sendJson(res, 201, created);
  }

  function get(name: string, req: RecordedRequest, res: ServerResponse) {
    const versionParam = req.query.get('version');
    const label = req.query.get('label') ?? undefined;
    const version = versionParam === null ? undefined : Number(versionParam);
    if (version !== undefined && (!Number.isInteger(version) || version < 1)) {
      sendJson(res, 400, { message: 'Invalid request data', error: [{ path: ['version'], message: 'Expected number' }] });
      return;
    }
    if (version !== undefined && label !== undefined) {
      invalid(res, 'Cannot specify both version and label');
      return;
    }
    const wanted = label ?? 'production';
    const found = versionsOf(name).find((prompt) => (version !== undefined ? prompt.version === version : prompt.labels.includes(wanted)));
    if (!found) {
      notFound(res, `Prompt not found: '${name}'` + (version !== undefined ? ` with version ${version}` : ` with label '${wanted}'`));
      return;
    }
    sendJson(res, 200, found);
  }

  function updateLabels(name: string, version: number, req: RecordedRequest, res: ServerResponse) {
    const newLabels = parseJson<{ newLabels?: unknown }>(req)?.newLabels;
    if (!Array.isArray(newLabels) || newLabels.some((label) => typeof label !== 'string')) {
      sendJson(res, 400, { message: 'Invalid request data', error: [{ path: ['newLabels'], message: 'Required' }] });
      return;
    }
    const found = versionsOf(name).find((prompt) => prompt.version === version);
    if (!found) {
      sendJson(res, 404, { message: `Prompt not found: ${name}` });
      return;
    }
    found.labels = [...new Set([...(newLabels as string[]), ...found.labels])];
    found.updatedAt = new Date().toISOString();
    moveLabels(name, newLabels as string[], found);
    sendJson(res, 200, found);
  }

  return {
    /** Handles the request when it is a prompt route; false otherwise. */
    handle(req: RecordedRequest, res: ServerResponse): boolean {
      if (req.path === PREFIX) {
        if (req.method !== 'POST') return false;
        create(req, res);
        return true;
      }
      if (!req.path.startsWith(`${PREFIX}/`)) return false;
      const segments = req.path.slice(PREFIX.length + 1).split('/').map(decodeURIComponent);
      const versionsAt = segments.lastIndexOf('versions');
      if (req.method === 'PATCH' && versionsAt > 0 && versionsAt === segments.length - 2) {
        updateLabels(segments.slice(0, versionsAt).join('/'), Number(segments.at(-1)), req, res);
        return true;
      }
      if (req.method === 'GET') {
        get(segments.join('/'), req, res);
        return true;
      }
      return false;
    },
    all: (): StoredPrompt[] => prompts.map((prompt) => structuredClone(prompt)),
    clear() {
      prompts.length = 0;
    },
  };
}
