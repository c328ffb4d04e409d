/**
 * Turns an error into an HTTP answer: errors carrying a 4xx `statusCode` (adapter input
 * errors, middy's createError) answer that status with their message, which is written to
 * be safe; anything else answers 500 with a generic text and is logged, ConfigError with
 * the names of the offending variables.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConfigError } from '../../lib/env.ts';
import type { JsonLog } from './json-log.ts';

export function httpErrorResponse(log: JsonLog): MiddlewareObj<unknown, APIGatewayProxyStructuredResultV2> {
  return {
    name: 'httpErrorResponse',
    onError: (request) => {
      const err = request.error as (Error & { statusCode?: number }) | null;
      const status = typeof err?.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status < 500) {
        log.warn({ status, err: err?.message }, 'request rejected');
      } else if (err instanceof ConfigError) {
        log.error({ variables: err.variables, err: err.message }, 'configuration invalid');
      } else {
        log.error({ err: err?.message, errName: err?.name }, 'request failed');
      }
      request.response = {
        statusCode: status,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: status < 500 ? (err?.message ?? 'Bad Request') : 'Internal Server Error',
      };
    },
  };
}
