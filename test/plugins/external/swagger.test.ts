import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../helpers/app.js';

// Redocly's own lint engine (the one `redocly lint` runs) with its `recommended` ruleset.
async function lintProblems(documentText: string) {
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: documentText, absoluteRef: '/docs/json', config });
  return problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`);
}

const apiPaths = ['/api/query', '/api/query/stream', '/api/feedback', '/api/batch'];
const apiOperations = (document: any) => apiPaths.map((path) => document.paths[path].post);
const statuses = (operation: any) => Object.keys(operation.responses).sort();

function withApp(env: Record<string, string>) {
  const state = {} as { service: TestApp; documentText: string; document: any };
  beforeAll(async () => {
    state.service = await startTestApp({ LOG_LEVEL: 'silent', ...env });
    const response = await state.service.app.inject({ url: '/docs/json' });
    state.documentText = response.body;
    state.document = response.statusCode === 200 ? response.json() : undefined;
  });
  afterAll(() => state.service?.close());
  return state;
}

describe('OpenAPI document with API keys on and DOCS_PUBLIC=true', () => {
  const state = withApp({ API_KEYS: 'key-one,key-two', DOCS_PUBLIC: 'true' });

  it('passes the linter with the recommended rules: no error, no warning', async () => {
    expect(await lintProblems(state.documentText)).toEqual([]);
  });

  it('declares bearer security on every /api/* operation and documents the 401 it answers', () => {
    expect(state.document.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer', description: 'one of API_KEYS' } });
    for (const operation of apiOperations(state.document)) {
      expect(operation.security).toEqual([{ bearer: [] }]);
      expect(operation.responses['401'].description).toMatch(/API key/);
    }
  });

  it('documents every status the routes answer, each with its own description, and names each operation', () => {
    expect(Object.keys(state.document.paths).filter((path) => path.startsWith('/api/')).sort()).toEqual([...apiPaths].sort());
    const [query, stream, feedback, batch] = apiOperations(state.document);
    expect(statuses(query)).toEqual(['200', '400', '401', '413', '415', '429', '502', '503', '504']);
    expect(statuses(stream)).toEqual(['200', '400', '401', '413', '415', '429', '502', '503', '504']);
    expect(statuses(feedback)).toEqual(['200', '400', '401', '403', '413', '415', '429', '503']);
    // A batch's model failures are error entries of its 200; only the request itself can fail.
    expect(statuses(batch)).toEqual(['200', '400', '401', '413', '415', '429', '503']);
    expect(query.responses['429'].description).toMatch(/budget_exceeded/);
    expect(Object.keys(stream.responses['200'].content)).toEqual(['text/event-stream']);
    expect(query.responses['504'].description).toMatch(/llm_timeout/);
    expect(feedback.responses['403'].description).toMatch(/invalid_feedback_token/);
    expect(query.responses['413'].content['application/json'].schema.required).toEqual(['error', 'message']);
    expect(apiOperations(state.document).map((operation) => operation.operationId)).toEqual(['answerResearchQuery', 'streamResearchQuery', 'submitFeedback', 'answerResearchBatch']);
  });

  it('fills in servers and license', () => {
    expect(state.document.servers).toEqual([{ url: '/', description: 'this service' }]);
    expect(state.document.info.license).toEqual({ name: 'MIT', url: 'https://opensource.org/license/mit' });
  });

  it('still asks /api/* for the key while /docs is open', async () => {
    expect((await state.service.app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
    const response = await state.service.app.inject({ method: 'POST', url: '/api/query', payload: { query: 'rag' } });
    expect(response.statusCode).toBe(401);
  });
});

describe('OpenAPI document without API keys', () => {
  const state = withApp({});

  it('passes the linter, declaring the operations open rather than leaving security out', async () => {
    expect(await lintProblems(state.documentText)).toEqual([]);
    expect(state.document.components.securitySchemes).toBeUndefined();
    for (const operation of apiOperations(state.document)) {
      expect(operation.security).toEqual([]);
      expect(operation.responses['401']).toBeUndefined();
    }
  });
});

describe('with API keys on and DOCS_PUBLIC unset', () => {
  const state = withApp({ API_KEYS: 'key-one' });

  it('serves neither Swagger UI nor the document', async () => {
    expect(state.document).toBeUndefined();
    for (const url of ['/docs', '/docs/json', '/docs/static/index.html']) {
      const response = await state.service.app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ error: 'not_found' });
    }
  });

  it('keeps the API working for a caller with a key', async () => {
    const response = await state.service.app.inject({ method: 'POST', url: '/api/query', headers: { authorization: 'Bearer key-one' }, payload: { query: 'rag' } });
    expect(response.statusCode, response.body).toBe(200);
  });
});
