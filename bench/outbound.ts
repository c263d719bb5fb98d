import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { MetaSandbox } from '../src/sandbox/meta-sandbox';
import { messengerTextEvent, signatureHeaders } from './events';
import { percentiles } from './load';
import { waitFor } from './processes';
import { Client } from 'pg';
import type { Organization } from './targets';

export interface OutboundReport {
  pages: number;
  contactsPerPage: number;
  requested: number;
  accepted: number;
  /** Accepted sends the sandbox received as Send API calls. */
  delivered: number;
  /** Delivered sends per second, from the first POST to the last Graph call. */
  sendsPerSec: number | null;
  /** 202 answer → Graph call, per message. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The POST's own answer time. */
  answerP50Ms: number | null;
  answerP99Ms: number | null;
  /** Most Send API calls one Page made within one calendar second. */
  maxPerPagePerSec: number | null;
  /** The same over any sliding 1000 ms window. */
  maxPerPageSliding1s: number | null;
  /** Graph HTTP requests per send delivered (a batch request counts once, however many sends it carried). */
  graphRequestsPerSend: number | null;
  /** The p99 of 202 answer → Graph call of the sends accepted in each 10 s from the first POST: where the slow ones fall. */
  p99By10sMs: number[];
  perPageTotals: Record<string, number>;
  statusCodes: Record<string, number>;
  duplicates: number;
}

/**
 * Contacts per organization, created the way it happens in life: each customer writes first
 * (which also opens the 24-hour window). Sends of one conversation go out one at a time, in
 * order, so the sends are spread over several conversations per Page, as an inbox's are.
 */
export async function prepareContacts(
  sandbox: MetaSandbox,
  webhookUrl: string,
  databaseUrl: string,
  organizations: Organization[],
  perOrganization: number,
): Promise<Map<string, string[]>> {
  const posts: Array<() => Promise<void>> = [];
  for (const [index, org] of organizations.entries()) {
    for (let c = 0; c < perOrganization; c++) {
      const customer = `88${index}${String(c).padStart(10, '0')}`;
      sandbox.addProfile(customer, { first_name: 'Outbound', last_name: `Customer ${index}-${c}`, name: `Outbound Customer ${index}-${c}` });
      const body = Buffer.from(JSON.stringify(messengerTextEvent(org.pageId, customer, `m_outbound_seed_${Date.now()}_${index}_${c}`, 'hello, I have a question')));
      posts.push(async () => {
        const answer = await fetch(webhookUrl, { method: 'POST', headers: signatureHeaders(body, sandbox.appSecret), body });
        if (answer.status !== 200) throw new Error(`seeding a contact: webhook answered ${answer.status}`);
      });
    }
  }
  for (let i = 0; i < posts.length; i += 20) await Promise.all(posts.slice(i, i + 20).map((post) => post()));
  const ids = organizations.map((org) => org.id);
  return waitFor(
    async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ organization_id: string; contact_id: string }>(
          'SELECT organization_id, contact_id FROM conversations WHERE organization_id = ANY($1) ORDER BY created_at',
          [ids],
        );
        const contacts = new Map<string, string[]>(ids.map((id) => [id, []]));
        for (const row of rows) contacts.get(row.organization_id)!.push(row.contact_id);
        return [...contacts.values()].every((list) => list.length >= perOrganization) ? contacts : undefined;
      } finally {
        await client.end();
      }
    },
    60000,
    `${perOrganization} conversations in each organization`,
    300,
  );
}

/**
 * Outbound through the queue: `count` text sends spread round-robin over the organizations
 * (one Page each), `concurrency` requests in flight, then the sandbox's Send API log read
 * back to see when each reached "Meta" and how many per Page per second.
 */
export async function runOutbound(options: {
  baseUrl: string;
  sandbox: MetaSandbox;
  organizations: Organization[];
  contacts: Map<string, string[]>;
  count: number;
  concurrency: number;
  /** Start sends at this pace (open loop) instead of as fast as `concurrency` allows. */
  ratePerSec?: number;
  /** Only these Pages' sends are waited for and measured (default: all). */
  measuredPages?: string[];
}): Promise<OutboundReport> {
  const { sandbox, organizations } = options;
  const measured = (pageId: string | undefined) => !options.measuredPages || options.measuredPages.includes(pageId ?? '');
  const measuredTexts = new Set<string>();
  const tag = `bench-out-${Date.now().toString(36)}`;
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const acceptedAt = new Map<string, number>();
  const answerTimes: number[] = [];
  const statusCodes: Record<string, number> = {};
  const wallStart = Date.now();
  let nextIndex = 0;

  const sendOne = (index: number) =>
    new Promise<void>((resolve) => {
      const org = organizations[index % organizations.length];
      const contacts = options.contacts.get(org.id)!;
      const contactId = contacts[Math.floor(index / organizations.length) % contacts.length];
      const text = `${tag} ${index}`;
      if (measured(org.pageId)) measuredTexts.add(text);
      const payload = Buffer.from(JSON.stringify({ channel: 'facebook_messenger', contactId, text }));
      const started = performance.now();
      const req = request(
        `${options.baseUrl}/api/messaging/send`,
        { method: 'POST', agent, headers: { authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json', 'content-length': String(payload.length) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            answerTimes.push(performance.now() - started);
            statusCodes[res.statusCode ?? 0] = (statusCodes[res.statusCode ?? 0] ?? 0) + 1;
            if (res.statusCode === 202) acceptedAt.set(text, Date.now());
            resolve();
          });
        },
      );
      req.on('error', () => {
        statusCodes.error = (statusCodes.error ?? 0) + 1;
        resolve();
      });
      req.end(payload);
    });
  const worker = async () => {
    while (nextIndex < options.count) {
      const index = nextIndex++;
      if (options.ratePerSec) {
        const due = wallStart + (index * 1000) / options.ratePerSec;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      await sendOne(index);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));

  const ours = () => sandbox.sent().filter((sent) => typeof sent.body?.message?.text === 'string' && sent.body.message.text.startsWith(tag) && measured(sent.pageId));
  const expected = [...acceptedAt.keys()].filter((text) => measuredTexts.has(text)).length;
  await waitFor(async () => (ours().length >= expected ? true : undefined), 60000, 'every accepted send to reach the sandbox', 200).catch(() => undefined);
  agent.destroy();

  const sent = ours();
  const delays: number[] = [];
  const delaysBy10s: number[][] = [];
  const texts = new Set<string>();
  let duplicates = 0;
  const perPageSecond = new Map<string, number>();
  const perPageTimes = new Map<string, number[]>();
  const perPageTotals: Record<string, number> = {};
  for (const call of sent) {
    const text = call.body.message.text as string;
    if (texts.has(text)) duplicates += 1;
    texts.add(text);
    const accepted = acceptedAt.get(text);
    if (accepted !== undefined) {
      delays.push(call.at - accepted);
      (delaysBy10s[Math.max(0, Math.floor((accepted - wallStart) / 10_000))] ??= []).push(call.at - accepted);
    }
    const key = `${call.pageId}:${Math.floor(call.at / 1000)}`;
    perPageSecond.set(key, (perPageSecond.get(key) ?? 0) + 1);
    perPageTotals[call.pageId] = (perPageTotals[call.pageId] ?? 0) + 1;
    const times = perPageTimes.get(call.pageId) ?? [];
    times.push(call.at);
    perPageTimes.set(call.pageId, times);
  }
  let sliding = 0;
  for (const times of perPageTimes.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 1000) j++;
      sliding = Math.max(sliding, i - j + 1);
    }
  }
  const lastAt = sent.reduce((max, call) => Math.max(max, call.at), 0);
  const graphRequests = sandbox.requests.filter(
    (r) => r.at >= wallStart && !r.batched && measured(r.pageId) && (r.path.endsWith('/messages') || /^\/v\d+\.\d+\/$/.test(r.path)),
  ).length;
  const delay = percentiles(delays);
  const answer = percentiles(answerTimes);
  return {
    pages: organizations.length,
    contactsPerPage: Math.min(...[...options.contacts.values()].map((list) => list.length)),
    requested: options.count,
    accepted: expected,
    delivered: texts.size,
    sendsPerSec: sent.length ? Math.round((texts.size * 1000) / Math.max(1, lastAt - wallStart)) : null,
    p50Ms: delays.length ? delay.p50 : null,
    p99Ms: delays.length ? delay.p99 : null,
    maxMs: delays.length ? delay.max : null,
    answerP50Ms: answerTimes.length ? answer.p50 : null,
    answerP99Ms: answerTimes.length ? answer.p99 : null,
    maxPerPagePerSec: perPageSecond.size ? Math.max(...perPageSecond.values()) : null,
    maxPerPageSliding1s: sent.length ? sliding : null,
    graphRequestsPerSend: texts.size ? Math.round((graphRequests / texts.size) * 100) / 100 : null,
    p99By10sMs: Array.from(delaysBy10s, (window) => (window ? percentiles(window).p99 : 0)),
    perPageTotals,
    statusCodes,
    duplicates,
  };
}

export interface LimitedPageReport extends OutboundReport {
  /** The Page answering 613 the whole time, and for how long. */
  limitedPageId: string;
  limitedSeconds: number;
  /** Send API calls the limited Page made meanwhile, and sends requested for it. */
  limitedCalls: number;
  limitedRequested: number;
}

/**
 * One Page answers every Send API call with 613 for `seconds` while sends go to every Page at
 * `ratePerSec` (round-robin, so a quarter to the limited one): the figures are the other Pages'
 * sends, which must not wait behind the limited Page's.
 */
export async function runOutboundWithLimitedPage(options: {
  baseUrl: string;
  sandbox: MetaSandbox;
  organizations: Organization[];
  contacts: Map<string, string[]>;
  seconds: number;
  ratePerSec: number;
}): Promise<LimitedPageReport> {
  const [limited, ...others] = options.organizations;
  options.sandbox.clear();
  options.sandbox.failNext(0, {
    code: 613,
    message: '(#613) Calls to this api have exceeded the rate limit.',
    pageId: limited.pageId,
    path: /\/messages$/,
    forMs: options.seconds * 1000,
  });
  const count = Math.round(options.seconds * options.ratePerSec);
  const report = await runOutbound({ ...options, count, concurrency: 64, measuredPages: others.map((org) => org.pageId) });
  const limitedCalls = options.sandbox.requests.filter((r) => r.pageId === limited.pageId && r.path.endsWith('/messages')).length;
  return { ...report, limitedPageId: limited.pageId, limitedSeconds: options.seconds, limitedCalls, limitedRequested: Math.floor(count / options.organizations.length) };
}
