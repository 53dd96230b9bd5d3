import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeIssue } from '../contract/validation.ts';
import { ApiError, isDatabaseUnavailable } from '../errors.ts';

/** Names the offending field of a schema failure: "body.content", "query.limit", "params.id". */
function describeValidation(err: FastifyError): ApiError {
  // Fastify says "querystring"; the contract's fields (and our own cursor errors) say "query".
  const context = err.validationContext ?? 'body';
  const where = context === 'querystring' ? 'query' : context;
  return describeIssue(err.validation?.[0] ?? {}, where, where);
}

/** Unique/foreign-key/check violations from the database mean the input was wrong, never a 5xx. */
const SQLSTATE_TO_ERROR: Record<string, [ApiError['code'], string]> = {
  '23505': ['conflict', 'That already exists.'],
  '23503': ['invalid_request', 'A referenced item does not exist.'],
  '23514': ['invalid_request', 'A value is outside what is allowed.'],
  '22001': ['invalid_request', 'A value is too long.'],
  '22P02': ['invalid_request', 'A value has the wrong format.'],
  '22021': ['invalid_request', 'Text must be valid UTF-8 without NUL characters.'],
  '54000': ['invalid_request', 'A value is too large.'],
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError & { code?: string; statusCode?: number };
  if (e.validation) return describeValidation(e);
  if (isDatabaseUnavailable(err)) {
    return new ApiError('unavailable', 'The database is unavailable; retry shortly.', undefined, 2);
  }
  const mapped = e.code ? SQLSTATE_TO_ERROR[e.code] : undefined;
  if (mapped) return new ApiError(mapped[0], mapped[1]);
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError('payload_too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'Send JSON (Content-Type: application/json).');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_request', 'The JSON body is empty.', 'body');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_request', 'The body is not valid JSON.', 'body');
    // Raised by the router before any route runs (see sendFrameworkError): the path is what is wrong.
    case 'FST_ERR_BAD_URL':
      return new ApiError('invalid_request', 'The path is not valid percent-encoded UTF-8.', 'params');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('invalid_request', 'A path segment is too long.', 'params');
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    if (e instanceof SyntaxError || e.statusCode === 400) {
      return new ApiError('invalid_request', e.message || 'The request is not valid.', 'body');
    }
    if (e.statusCode === 413) return new ApiError('payload_too_large', 'The request body is too large.');
    if (e.statusCode === 415) return new ApiError('unsupported_media_type', e.message);
    if (e.statusCode === 404) return new ApiError('not_found', e.message);
  }
  return new ApiError('internal', 'Something went wrong on our side.');
}

/**
 * For Fastify's `frameworkErrors` option: the router answers a badly percent-encoded path or an
 * over-long path segment itself, before any route or error handler, in Fastify's own shape unless
 * this is passed to the Fastify constructor.
 */
export function sendFrameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const apiError = toApiError(err);
  reply.status(apiError.status).send(apiError.toJSON());
}

interface PartSchemas {
  params?: { properties?: Record<string, unknown> };
  querystring?: { properties?: Record<string, unknown> };
}

/**
 * Where a field the domain names bare (`before`, `emoji`, `content`) came from in this request: the
 * route's own schemas say whether it is a path parameter, a query parameter or part of the body.
 */
function located(req: FastifyRequest, field: string): string {
  if (/^(body|query|params|headers)(\.|$)/.test(field)) return field;
  const root = field.split('.')[0]!;
  const schema = req.routeOptions.schema as PartSchemas | undefined;
  if (schema?.params?.properties?.[root]) return `params.${field}`;
  if (schema?.querystring?.properties?.[root]) return `query.${field}`;
  return `body.${field}`;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    let apiError = toApiError(err);
    if (apiError.field) apiError = apiError.relocate(located(req, apiError.field));
    if (apiError.code === 'unavailable') req.log.warn({ err: (err as Error).message }, 'database unavailable');
    else if (apiError.status >= 500) req.log.error({ err }, 'request failed');
    if (apiError.retryAfterSeconds) reply.header('Retry-After', String(apiError.retryAfterSeconds));
    if (apiError.code === 'rate_limited' && !apiError.retryAfterSeconds) reply.header('Retry-After', '1');
    return reply.status(apiError.status).send(apiError.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(new ApiError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`).toJSON());
  });
}
