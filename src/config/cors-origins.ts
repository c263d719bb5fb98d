/**
 * Whether a browser page at `origin` may call us: requests without an Origin (not from a
 * browser page) and same-origin pages (the served inbox) always may; others only when listed
 * in CORS_ORIGINS (or it is `*`).
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[], ownHost?: string): boolean {
  if (!origin) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  if (!ownHost) return false;
  try {
    return new URL(origin).host === ownHost;
  } catch {
    return false;
  }
}
