/** A 200 text/xml answer carrying TwiML, as Twilio expects from a voice webhook. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export function twimlResponse(twiml: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: twiml };
}
