import { Type } from '@sinclair/typebox';
import { ErrorBody, Uuid } from '../contract/schemas.ts';

export const ChannelParams = Type.Object({ id: Uuid });
export const MessageParams = Type.Object({ id: Uuid });

/** Standard error responses, so the OpenAPI document lists them for every route. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorBody]));
