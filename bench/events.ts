import { createHmac } from 'node:crypto';

/** One pre-built webhook delivery: the exact bytes Meta would POST, signed both ways. */
export interface Delivery {
  mid: string;
  body: Buffer;
  headers: Record<string, string>;
  /** True when this is a byte-identical resend of an earlier delivery. */
  redelivery: boolean;
}

export interface DeliveryPoolOptions {
  /** Prefix of every `mid`, unique per target and phase so phases never collide. */
  prefix: string;
  count: number;
  appSecret: string;
  pageIds: string[];
  /** Distinct senders per Page (PSIDs); a small number keeps contact creation off the hot path. */
  sendersPerPage: number;
  /** Share of deliveries that repeat an earlier body (Meta retries). */
  redeliveryShare: number;
}

export function signatureHeaders(body: Buffer, appSecret: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-hub-signature-256': `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`,
    // bottender (and old Meta apps) check only the SHA-1 header; Meta sends both.
    'x-hub-signature': `sha1=${createHmac('sha1', appSecret).update(body).digest('hex')}`,
  };
}

export function psid(pageIndex: number, sender: number): string {
  return `${7100 + pageIndex}${String(sender).padStart(11, '0')}`;
}

/** A Messenger text message event as Meta delivers it: one event in one entry. */
export function messengerTextEvent(pageId: string, senderId: string, mid: string, text: string, time = Date.now()): object {
  return {
    object: 'page',
    entry: [
      {
        id: pageId,
        time,
        messaging: [{ sender: { id: senderId }, recipient: { id: pageId }, timestamp: time, message: { mid, text } }],
      },
    ],
  };
}

/** Deterministic pseudo-random numbers, so two runs send the same mix. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pre-generated deliveries (bodies and signatures computed before the clock starts, so the
 * load generator spends its CPU on sending). About `redeliveryShare` of them repeat an
 * earlier body byte for byte, the way Meta retries a delivery it is unsure about.
 */
export class DeliveryPool {
  readonly items: Delivery[] = [];
  private cursor = 0;
  /** Deliveries handed out; the index of each request's delivery is kept by the caller. */
  handedOut = 0;

  constructor(readonly options: DeliveryPoolOptions) {
    const random = mulberry32(options.count ^ options.prefix.length);
    const originals: Delivery[] = [];
    const base = Date.now();
    for (let i = 0; i < options.count; i++) {
      if (originals.length > 10 && random() < options.redeliveryShare) {
        const earlier = originals[Math.floor(random() * originals.length)];
        this.items.push({ ...earlier, redelivery: true });
        continue;
      }
      const pageIndex = i % options.pageIds.length;
      const pageId = options.pageIds[pageIndex];
      const sender = psid(pageIndex, Math.floor(i / options.pageIds.length) % options.sendersPerPage);
      const mid = `m_${options.prefix}_${i}`;
      const body = Buffer.from(JSON.stringify(messengerTextEvent(pageId, sender, mid, `load test message ${i}`, base + i)));
      const delivery = { mid, body, headers: signatureHeaders(body, options.appSecret), redelivery: false };
      originals.push(delivery);
      this.items.push(delivery);
    }
  }

  /** The next delivery; past the end it wraps around (every further one is then a redelivery). */
  next(): { index: number; delivery: Delivery } {
    const index = this.cursor;
    this.cursor = (this.cursor + 1) % this.items.length;
    this.handedOut += 1;
    return { index, delivery: this.items[index] };
  }
}
