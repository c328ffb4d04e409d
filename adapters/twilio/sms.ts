/**
 * SMS for the assistant's `vgwActSendSMS` command (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-phone-actions: message, mediaURL,
 * tenantPhoneNumber, userPhoneNumber) through Twilio's Messages API.
 * Checked locally before sending, with Twilio's own limits: To required, From or
 * MessagingServiceSid, Body at most 1600 characters, Body or MediaUrl (at most 10).
 * Spec: twilio.com/docs/messaging/api/message-resource#create-a-message-resource
 */
import type { CreateMessageParams, MessageResource, TwilioClient } from './client.ts';

/** Twilio's limit on Body, in characters. */
export const MAX_SMS_BODY = 1600;
/** Twilio's limit on MediaUrl entries per message. */
export const MAX_MEDIA_URLS = 10;

/** An SMS to send. */
export interface SmsRequest {
  /** Recipient (E.164), vgwActSendSMS userPhoneNumber or the caller's number. */
  to: string;
  /** Sender number, vgwActSendSMS tenantPhoneNumber. */
  from?: string;
  /** Alternative to `from`: a Messaging Service (MG + 32 hex). */
  messagingServiceSid?: string;
  /** vgwActSendSMS message. */
  body?: string;
  /** vgwActSendSMS mediaURL. */
  mediaUrls?: string[];
}

/** The request breaks a Twilio rule; nothing was sent. */
export class SmsValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmsValidationError';
  }
}

/** @throws SmsValidationError naming the broken rule. */
export function toMessageParams(req: SmsRequest): CreateMessageParams {
  if (!req.to) throw new SmsValidationError('To is required');
  if (!req.from && !req.messagingServiceSid) throw new SmsValidationError('From or MessagingServiceSid is required');
  if (req.messagingServiceSid && !/^MG[0-9a-fA-F]{32}$/.test(req.messagingServiceSid)) {
    throw new SmsValidationError('MessagingServiceSid must be MG followed by 32 hex digits');
  }
  const media = req.mediaUrls ?? [];
  if (!req.body && media.length === 0) throw new SmsValidationError('Body or MediaUrl is required');
  if (req.body && [...req.body].length > MAX_SMS_BODY) {
    throw new SmsValidationError(`Body is ${[...req.body].length} characters; Twilio allows at most ${MAX_SMS_BODY}`);
  }
  if (media.length > MAX_MEDIA_URLS) throw new SmsValidationError(`at most ${MAX_MEDIA_URLS} MediaUrl entries`);
  for (const u of media) {
    if (!/^https?:\/\/\S+$/i.test(u)) throw new SmsValidationError('each MediaUrl must be an http(s) URL');
  }
  return {
    To: req.to,
    ...(req.from ? { From: req.from } : {}),
    ...(req.messagingServiceSid ? { MessagingServiceSid: req.messagingServiceSid } : {}),
    ...(req.body ? { Body: req.body } : {}),
    ...(media.length ? { MediaUrl: media } : {}),
  };
}

/**
 * Sends one SMS.
 * @returns the Message resource (sid, status "queued" or "accepted").
 * @throws SmsValidationError before sending; TwilioApiError with Twilio's code and message
 *   when Twilio rejects it (e.g. 21211 invalid To, 21606 From not SMS-capable, 20003 auth).
 */
export async function sendSms(client: TwilioClient, req: SmsRequest): Promise<MessageResource> {
  return client.createMessage(toMessageParams(req));
}
