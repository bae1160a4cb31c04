import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ruleSchema } from '../rules/rule-schema.js';
import { apiDependencies } from '../test/support/api.js';
import { createApp } from './app.js';

const app = createApp(apiDependencies());

describe('API documentation', () => {
  it('is lint-clean under Redocly’s recommended rules, warnings included', async () => {
    const source = await (await app.request('/openapi.json')).text();
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
    expect(
      problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} (${p.location[0]?.pointer})`),
    ).toEqual([]);
  });

  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/health']).toHaveProperty('get.responses.503');
  });

  it('documents, for every operation, the problems the edge and the guards may answer', async () => {
    type Operation = {
      security?: unknown[];
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ name: `${method} ${path}`, operation })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(9);
    for (const { name, operation } of operations) {
      const { responses } = operation;
      expect(Object.keys(responses), name).toEqual(expect.arrayContaining(['413', '503']));
      const guarded = (operation.security ?? []).length > 0;
      if (guarded) expect(Object.keys(responses), name).toEqual(expect.arrayContaining(['401', '429']));
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400)
          expect(response.content, `${name} ${status}`).toHaveProperty(['application/problem+json']);
      }
    }
  });

  it('serves a page that reads the document, with every file from this server and a strict policy', async () => {
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const scripts = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts).toEqual(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/init.js']);
    for (const path of scripts) expect((await app.request(path)).status, path).toBe(200);
    expect(await (await app.request('/docs/init.js')).text()).toContain("url: '/openapi.json'");
    expect(await (await app.request('/docs/swagger-ui-bundle.js')).text()).toContain('SwaggerUIBundle');
  });
});

describe('documented request bodies', () => {
  type Schema = { required?: string[]; properties?: Record<string, { $ref?: string }> };
  const schemas = async () =>
    (
      (await (await app.request('/openapi.json')).json()) as {
        components: { schemas: Record<string, Schema> };
      }
    ).components.schemas;

  it('documents a rule document with every field of the rule schema, the version assigned', async () => {
    const { RuleDocument } = await schemas();
    expect(RuleDocument!.required).toEqual(['id', 'trigger', 'measure', 'window', 'levels']);
    const fromSchema = z.toJSONSchema(ruleSchema, { io: 'input', unrepresentable: 'any' });
    expect(Object.keys(RuleDocument!.properties!)).toEqual(Object.keys(fromSchema.properties!));
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<
        string,
        { post: { requestBody: { content: { 'application/json': { schema: unknown } } } } }
      >;
    };
    for (const path of ['/v1/admin/rules', '/v1/admin/rules/check'])
      expect(document.paths[path]!.post.requestBody.content['application/json'].schema, path).toEqual({
        $ref: '#/components/schemas/RuleDocument',
      });
  });

  it.each([
    ['Simulation', ['rule', 'events']],
    ['DryRunRequest', ['rule', 'from']],
  ])('documents %s with its required fields, its rule a RuleDocument', async (name, required) => {
    const body = (await schemas())[name]!;
    expect(body.required).toEqual(required);
    expect(body.properties!.rule).toEqual({ $ref: '#/components/schemas/RuleDocument' });
  });
});
