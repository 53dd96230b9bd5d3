/**
 * An error from the server, in the contract's shape `{"error": {"code", "message"}}`, or from the
 * network (`code: 'network_error'`, `status: 0`).
 */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';

  constructor(
    /** The contract's snake_case code: `invalid_request`, `unauthorized`, `forbidden`, `not_found`, … */
    readonly code: string,
    /** The HTTP status, or 0 when no response arrived. */
    readonly status: number,
    message: string,
    /** For `invalid_request`: the offending field, when the server names it. */
    readonly field?: string,
    /** For `rate_limited` and `unavailable`: seconds to wait, from `Retry-After`. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  /** Builds the error from a non-2xx response (its body is read here). */
  static async fromResponse(res: Response): Promise<ParleyError> {
    const text = await res.text().catch(() => '');
    const retry = Number(res.headers.get('retry-after'));
    const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
      const e = body?.error;
      if (e && typeof e.code === 'string') {
        const message = typeof e.message === 'string' ? e.message : `HTTP ${res.status}`;
        const field = typeof e.field === 'string' ? e.field : undefined;
        return new ParleyError(e.code, res.status, message, field, retryAfter);
      }
    } catch {
      // not JSON: fall through to a generic error
    }
    return new ParleyError(codeForStatus(res.status), res.status, text.slice(0, 200) || `HTTP ${res.status}`);
  }

  /** A request that never got a response (connection refused, reset, DNS, …). */
  static network(err: unknown): ParleyError {
    const message = err instanceof Error ? err.message : String(err);
    return new ParleyError('network_error', 0, message);
  }

  /** Whether trying the same request again may succeed (no response, or the server said "later"). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'http_error';
  }
}
