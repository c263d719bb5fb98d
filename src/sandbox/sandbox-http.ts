/** A Graph path with its version: `/v21.0/me/messages` → `v21.0`, `me/messages`. */
export const VERSIONED = /^\/(v\d+\.\d+)\/(.*)$/;

/** Parses a JSON or form body; form values that hold JSON objects are parsed, as Meta does. */
export function parseBody(raw: string, contentType: string | undefined): Record<string, any> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) {
    try {
      const parsed = JSON.parse(raw);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    } catch {
      return {};
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const body: Record<string, any> = {};
    for (const [key, value] of new URLSearchParams(raw)) {
      body[key] = /^[[{]/.test(value) ? safeJson(value) : value;
    }
    return body;
  }
  return {};
}

export function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Meta's wording for the faults tests inject most. */
export function defaultFaultMessage(code: number): string {
  switch (code) {
    case 190:
      return 'Error validating access token: Session has expired.';
    case 4:
      return '(#4) Application request limit reached';
    case 32:
      return '(#32) Page request limit reached';
    case 613:
      return '(#613) Calls to this api have exceeded the rate limit.';
    case 1:
    case 2:
      return 'An unexpected error has occurred. Please retry your request later.';
    case 10:
      return '(#10) This message is sent outside of allowed window.';
    case 551:
      return "(#551) This person isn't available right now.";
    default:
      return `(#${code}) Sandbox fault`;
  }
}
