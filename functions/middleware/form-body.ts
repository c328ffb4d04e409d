/**
 * Parses an application/x-www-form-urlencoded body (base64 undone) into `event.body`
 * as an object (repeated names become arrays); any other content type answers 415.
 * Own code rather than @middy/http-urlencode-body-parser: its 6.4.5 package imports
 * @middy/util without declaring it, so it does not load from a clean install.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decodeBody, parseForm, type FormParams } from '../../adapters/twilio/signature.ts';
import { respondEarly } from './metrics.ts';

/** The event after formBody(): body is the parsed form. */
export type FormEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body: FormParams };

export function formBody(): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    name: 'formBody',
    before: async (request) => {
      const { event } = request;
      if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(event.headers?.['content-type'] ?? '')) {
        return respondEarly(request, { statusCode: 415, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Unsupported Media Type' });
      }
      (event as unknown as FormEvent).body = parseForm(decodeBody(event.body, event.isBase64Encoded));
      event.isBase64Encoded = false;
      return undefined;
    },
  };
}
