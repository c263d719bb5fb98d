import { createHmac } from 'node:crypto';
import type { MetaSandbox } from '../../src/sandbox/meta-sandbox';

/** Meta's `appsecret_proof` of a token: HMAC-SHA256 with the app secret (the sandbox's by default). */
export const appSecretProof = (token: string, secret = 'sandbox-app-secret') => createHmac('sha256', secret).update(token).digest('hex');

/** A Graph call's parameters with a token and its proof, as our client sends them. */
export const withToken = (token: string, extra: Record<string, string> = {}) => ({ access_token: token, appsecret_proof: appSecretProof(token), ...extra });

/** Calls the sandbox's Graph API (`/v21.0/…`) as a client would; `sandbox` is read on each call. */
export function graphOf(sandbox: () => MetaSandbox) {
  return async (method: string, path: string, params: Record<string, string> = {}, body?: unknown) => {
    const url = new URL(`${sandbox().url}/v21.0/${path}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url, { method, redirect: 'manual', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
}
