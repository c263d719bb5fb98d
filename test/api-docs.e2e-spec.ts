import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { REALTIME_EVENT_DOCS } from '../src/docs/realtime-docs';
import { TestApp } from './support/test-app';

/** Nest's metadata keys (its constants module is not part of the package's public entry). */
const PATH_METADATA = 'path';
const METHOD_METADATA = 'method';
const GUARDS_METADATA = '__guards__';
const ROUTE_ARGS_METADATA = '__routeArguments__';
/** Nest's RouteParamtypes values for the arguments that decide which errors a route can give. */
const BODY = 3;
const QUERY = 4;
const PARAM = 5;
const PRIMITIVES: unknown[] = [String, Number, Boolean, Object, Array, undefined];

interface RegisteredRoute {
  method: string;
  path: string;
  guarded: boolean;
  validatedInput: boolean;
  pathParams: boolean;
  takesBody: boolean;
  where: string;
}

/** Every route the running application registered, read from its controllers' metadata. */
function registeredRoutes(app: TestApp['app']): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as new (...args: unknown[]) => object;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const classGuards = (Reflect.getMetadata(GUARDS_METADATA, controller) ?? []).length > 0;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler);
        if (method === undefined) continue;
        const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
        const path = `/${[base, sub].map((part) => part.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/')}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        const args: Record<string, { index: number }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {};
        const types: unknown[] = Reflect.getMetadata('design:paramtypes', controller.prototype, name) ?? [];
        const kinds = Object.entries(args).map(([key, { index }]) => ({ kind: Number(key.split(':')[0]), type: types[index] }));
        routes.push({
          method: RequestMethod[method].toLowerCase(),
          path,
          guarded: classGuards || (Reflect.getMetadata(GUARDS_METADATA, handler) ?? []).length > 0,
          // The global ValidationPipe answers 400 for a body or query bound to a DTO class.
          validatedInput: kinds.some(({ kind, type }) => (kind === BODY || kind === QUERY) && !PRIMITIVES.includes(type)),
          pathParams: kinds.some(({ kind }) => kind === PARAM),
          takesBody: kinds.some(({ kind }) => kind === BODY),
          where: `${controller.name}.${name}`,
        });
      }
    }
  }
  return routes;
}

type Operation = {
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  security?: unknown[];
};

/** What a route's /docs entry lacks, one sentence per gap naming the route and the fix. */
function gaps(route: RegisteredRoute, operation: Operation | undefined): string[] {
  const name = `${route.method.toUpperCase()} ${route.path} (${route.where})`;
  if (!operation) return [`${name}: missing from /docs-json`];
  const problems: string[] = [];
  const responses = operation.responses ?? {};
  const statuses = Object.keys(responses);
  const success = statuses.filter((status) => /^[23]/.test(status));
  if (success.length === 0) problems.push(`${name}: no success answer documented (add @ApiOkResponse/@ApiCreatedResponse/…)`);
  for (const status of success) {
    const answer = responses[status];
    const bodyless = status === '204' || /^3/.test(status);
    if (!bodyless && !Object.values(answer.content ?? {}).some((media) => media.schema)) {
      problems.push(`${name}: answer ${status} has no schema (give it a type, or a schema for text)`);
    }
  }
  const errors = statuses.filter((status) => /^[45]/.test(status));
  if (errors.length === 0) problems.push(`${name}: no error answer documented (add @ApiErrors(...))`);
  for (const status of errors) {
    const content = responses[status].content ?? {};
    const json = content['application/json']?.schema as { $ref?: string } | undefined;
    // JSON errors are always ErrorBody; a page for a browser (the OAuth callback) has a schema of its own.
    const described = json ? json.$ref?.endsWith('/ErrorBody') : Object.values(content).some((media) => media.schema);
    if (!described) problems.push(`${name}: error answer ${status} lacks the ErrorBody schema (document it with @ApiErrors(${status}))`);
  }
  const needs = (status: string, why: string) => {
    if (!responses[status]) problems.push(`${name}: no ${status} answer documented (${why}); add @ApiErrors(${status})`);
  };
  if (route.guarded) {
    needs('401', 'the route has a guard');
    if (!operation.security?.length) problems.push(`${name}: no security scheme documented (the route has a guard)`);
  }
  if (route.validatedInput) needs('400', 'its body or query is validated');
  if (route.pathParams) needs('404', 'it takes an id or key in its path');
  if (route.takesBody && !Object.values(operation.requestBody?.content ?? {}).some((media) => media.schema)) {
    problems.push(`${name}: its request body has no schema`);
  }
  return problems;
}

describe('the API description at /docs', () => {
  let t: TestApp;
  let document: any;

  beforeAll(async () => {
    t = await TestApp.start();
    document = (await t.request('GET', '/docs-json')).body;
  });
  afterAll(() => t.close());

  it('documents every registered route with its answers, schemas and every error it can give', () => {
    const routes = registeredRoutes(t.app);
    expect(routes.length).toBeGreaterThan(20);
    const problems = routes.flatMap((route) => gaps(route, document.paths?.[route.path]?.[route.method]));
    expect(problems).toEqual([]);
  });

  it('describes API keys and the admin token as opaque bearer tokens, not JWTs', () => {
    const schemes = document.components.securitySchemes;
    expect(Object.keys(schemes)).toEqual(expect.arrayContaining(['apiKey', 'adminToken', 'metricsToken']));
    for (const scheme of Object.values<any>(schemes)) {
      expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(scheme.bearerFormat).toBeUndefined();
      expect(scheme.description).toEqual(expect.any(String));
    }
  });

  it("documents Meta's webhook body and its signature header once", () => {
    const post = document.paths['/api/meta/webhook'].post;
    const signatureHeaders = (post.parameters ?? []).filter((p: any) => p.in === 'header' && p.name.toLowerCase() === 'x-hub-signature-256');
    expect(signatureHeaders).toHaveLength(1);
    expect(signatureHeaders[0].required).toBe(true);
    const schema = post.requestBody.content['application/json'].schema;
    const body = schema.$ref ? document.components.schemas[schema.$ref.split('/').pop()] : schema;
    expect(body.required).toEqual(expect.arrayContaining(['object', 'entry']));
    expect(post.responses['403']).toBeDefined();
  });

  it('lists the signed file route', () => {
    const get = document.paths['/files/{key}'].get;
    expect(get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['key', 'expires', 'signature']));
  });

  it('documents every socket.io event with its payload schema and source, in /docs and for programs', () => {
    const events = Object.keys(REALTIME_EVENT_DOCS);
    expect(events).toEqual(expect.arrayContaining(['message.created', 'message.updated', 'conversation.updated', 'connection.updated']));
    const listed = document['x-realtime-events'];
    expect(Object.keys(listed).sort()).toEqual([...events].sort());
    for (const event of events) {
      expect(document.info.description).toContain(`\`${event}\``);
      for (const ref of [listed[event].payload.$ref, listed[event].source.$ref]) {
        const schema = document.components.schemas[ref.split('/').pop()];
        expect(schema?.properties).toBeDefined();
      }
    }
    expect(Object.keys(document.components.schemas.ConnectionStatusDocView.properties).sort()).toEqual(
      ['connected', 'instagramAccountId', 'instagramUsername', 'pageId', 'pageName', 'status'],
    );
  });
});
