import { Ajv } from 'ajv';
import formats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { ApiError } from '../errors.ts';
import { NO_NUL } from './schemas.ts';

/**
 * Two validators: query strings, params and headers are text and need coercion ("limit=10"), but a
 * JSON body is typed already and coercing it would turn `{"content": 5}` into "5" and accept it.
 */
// ajv-formats is CommonJS: depending on the loader its function is the module or its `default`.
type AddFormats = typeof formats.default;
const addFormats: AddFormats =
  (formats as unknown as { default?: AddFormats }).default ?? (formats as unknown as AddFormats);

/**
 * Marks a string that validation rewrites in lower case (schemas/common.ts `Uuid`): a UUID in capitals
 * names the same row, and code that compares ids as strings (a parent's channel, the hub's channel
 * index, typing) must see them spelled as PostgreSQL spells them. Done here, once, for every route and
 * WebSocket op, rather than by each caller.
 */
export const LOWERCASE = 'x-lowercase';

function make(coerce: boolean) {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv, ['uuid', 'date-time', 'uri']);
  ajv.addKeyword({
    keyword: LOWERCASE,
    type: 'string',
    modifying: true,
    schema: false,
    validate: (
      data: string,
      ctx?: { parentData: Record<string | number, unknown>; parentDataProperty: string | number },
    ) => {
      if (ctx?.parentData) ctx.parentData[ctx.parentDataProperty] = data.toLowerCase();
      return true;
    },
  });
  return ajv;
}

/** The body validator: no coercion, formats on. Also used for WebSocket ops. */
export const strictAjv = make(false);
const coercingAjv = make(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object) as ReturnType<
    FastifySchemaCompiler<unknown>
  >;

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  params?: { missingProperty?: string; additionalProperty?: string; pattern?: string };
  message?: string;
}

/**
 * A schema failure as the error a client gets, naming the offending field. REST names it with where
 * it came from (`body.content`, `query.limit`); a WebSocket op names its own field (`content`), and
 * `root` when the whole message is wrong.
 */
export function describeIssue(issue: AjvIssue, prefix: string | undefined, root: string): ApiError {
  let path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  // A missing or an unknown property is the offending field itself, not the object holding it.
  const named = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  if (named) path = path ? `${path}.${named}` : named;
  const field = path ? (prefix ? `${prefix}.${path}` : path) : root;
  let message = `${field} ${issue.message ?? 'is not valid'}.`;
  if (issue.params?.missingProperty) message = `${field} is required.`;
  else if (issue.params?.additionalProperty) message = `${field} is not a known field.`;
  else if (issue.keyword === 'pattern' && issue.params?.pattern === NO_NUL) {
    message = `${field} must be Unicode text without NUL characters.`;
  }
  return new ApiError('invalid_request', message, field);
}
