/**
 * Errors the Twilio adapter throws. Input errors carry `statusCode` (400) and a message that
 * is safe to send back to Twilio, so the HTTP error middleware can answer without knowing
 * the adapter; everything else is a server fault (500, message logged, not returned).
 */

/** The webhook's input is unusable (bad Called, missing ReferTransferTarget, URI too long). HTTP 400. */
export class TwilioInputError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'TwilioInputError';
  }
}

/**
 * A Twilio REST API rejection, with Twilio's own error `code` (e.g. 21604, 20003) and the
 * HTTP `status`; `status` 0 means no HTTP answer (network error, timeout).
 * Twilio error codes: https://www.twilio.com/docs/api/errors
 */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    message: string,
    readonly moreInfo?: string,
  ) {
    super(`Twilio API ${status || 'network error'}${code ? ` (code ${code})` : ''}: ${message}`);
    this.name = 'TwilioApiError';
  }
}
