/**
 * Amazon Connect API sandbox (AWS REST-JSON protocol, as @aws-sdk/client-connect speaks it):
 *
 * - POST /contact/attributes      UpdateContactAttributes {InitialContactId, InstanceId, Attributes}
 * - GET  /instance/{InstanceId}   DescribeInstance
 * - GET  /contact/attributes/{InstanceId}/{InitialContactId}   GetContactAttributes
 *   (docs.aws.amazon.com/connect/latest/APIReference/API_GetContactAttributes.html)
 * - fault injection (types.ts FaultRule): a status before applying, or `afterApply` reset /
 *   hang after applying UpdateContactAttributes (an ambiguous failure for the adapter)
 * - GET  /_sandbox/connect/contacts/{InitialContactId}   the contact's attributes and where the
 *   integration's flow would send it (Check contact attributes: SessionHistoryKey contains "hangup"
 *   -> disconnect; set -> queue to an agent with the key; unset -> the flow's error path)
 *
 * Checks (docs.aws.amazon.com/connect/latest/APIReference/API_UpdateContactAttributes.html):
 * SigV4 Authorization present and well-formed for service `connect` (else 403
 * InvalidSignatureException / UnrecognizedClientException); InitialContactId 1-256 chars;
 * InstanceId known (else 404 ResourceNotFoundException); Attributes a map of strings with
 * keys of letters, digits, - and _ (else 400 InvalidParameterException); the contact's merged
 * attributes at most 32,768 UTF-8 bytes (else 400 InvalidParameterException); malformed JSON
 * 400 InvalidRequestException. Errors carry the x-amzn-ErrorType header and {message}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext, VendorSandbox } from './types.ts';
import { afterApplyFault, faultDelay, parseJson, sendJson } from './http.ts';

const MAX_BYTES = 32_768;
const KEY_RE = /^[A-Za-z0-9_-]+$/;
const SIGV4_RE = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/connect\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export interface ConnectSandboxOptions {
  instanceIds: string[];
  /** When set, the SigV4 Credential must name this access key id. */
  accessKeyId?: string;
}

interface ContactState {
  InstanceId: string;
  InitialContactId: string;
  attributes: Record<string, string>;
  updates: number;
}

/** Where the Amazon Connect flow (https://cloud.ibm.com/docs/watson-assistant?topic=watson-assistant-deploy-phone-amazon-connect) sends a contact with these attributes. */
export function flowBranch(attributes: Record<string, string>): 'disconnect' | 'queue' | 'error_path' {
  const key = attributes.SessionHistoryKey;
  if (key === undefined) return 'error_path';
  return key.includes('hangup') ? 'disconnect' : 'queue';
}

function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { message }, { 'x-amzn-ErrorType': `${type}:http://internal.amazon.com/coral/com.amazonaws.awsconnect/`, 'x-amzn-RequestId': crypto.randomUUID() });
}

/** SigV4 problem, or undefined when the header is well-formed. */
export function sigv4Problem(req: IncomingMessage, accessKeyId?: string): { type: string; message: string } | undefined {
  const auth = req.headers.authorization ?? '';
  const m = SIGV4_RE.exec(auth);
  if (!m) return { type: 'InvalidSignatureException', message: 'Authorization header missing or not AWS4-HMAC-SHA256 for service connect' };
  const [, keyId, date, , signed] = m;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) return { type: 'InvalidSignatureException', message: 'X-Amz-Date missing or not matching the credential scope' };
  const headers = signed!.split(';');
  if (!headers.includes('host') || !headers.includes('x-amz-date')) return { type: 'InvalidSignatureException', message: 'SignedHeaders must include host and x-amz-date' };
  if (accessKeyId && keyId !== accessKeyId) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  return undefined;
}

export function createAmazonConnectSandbox(opts: ConnectSandboxOptions): VendorSandbox {
  const contacts = new Map<string, ContactState>();
  const instances = new Set(opts.instanceIds);

  async function update(req: IncomingMessage, res: ServerResponse, body: Buffer, ctx: SandboxContext): Promise<void> {
    const op = 'UpdateContactAttributes';
    const json = parseJson(body) as { InitialContactId?: unknown; InstanceId?: unknown; Attributes?: unknown } | undefined;
    const params: Record<string, unknown> = json && typeof json === 'object' ? { InstanceId: json.InstanceId, InitialContactId: json.InitialContactId, Attributes: json.Attributes } : {};
    const fail = (status: number, type: string, message: string) => {
      ctx.record({ vendor: 'amazon_connect', operation: op, params: { ...params, error: type }, status });
      awsError(res, status, type, message);
    };
    const sig = sigv4Problem(req, opts.accessKeyId);
    if (sig) return fail(403, sig.type, sig.message);
    const fault = ctx.takeFault('amazon_connect', op);
    if (!fault?.afterApply) await faultDelay(fault);
    if (fault && fault.status) {
      const type = fault.status === 429 ? 'ThrottlingException' : fault.status === 503 ? 'ServiceUnavailableException' : 'InternalServiceException';
      if (fault.status === 429 && fault.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(fault.retryAfterSeconds));
      return fail(fault.status, type, fault.status === 429 ? 'Rate exceeded' : 'Injected fault');
    }
    if (!json || typeof json !== 'object') return fail(400, 'InvalidRequestException', 'request body is not a JSON object');
    const { InitialContactId, InstanceId, Attributes } = json;
    if (typeof InitialContactId !== 'string' || InitialContactId.length < 1 || InitialContactId.length > 256) return fail(400, 'InvalidParameterException', 'InitialContactId must be 1-256 characters');
    if (typeof InstanceId !== 'string' || InstanceId.length < 1 || InstanceId.length > 100) return fail(400, 'InvalidParameterException', 'InstanceId must be 1-100 characters');
    if (!Attributes || typeof Attributes !== 'object' || Array.isArray(Attributes)) return fail(400, 'InvalidParameterException', 'Attributes must be a map');
    for (const [k, v] of Object.entries(Attributes)) {
      if (!KEY_RE.test(k)) return fail(400, 'InvalidParameterException', `Attribute key ${k} contains characters other than letters, digits, - and _`);
      if (typeof v !== 'string') return fail(400, 'InvalidParameterException', `Attribute ${k} must be a string`);
      // The API reference's length constraints: key 1-127, value 0-32,767 characters.
      if (k.length > 127) return fail(400, 'InvalidParameterException', `Attribute key ${k.slice(0, 20)}… is over 127 characters`);
      if (v.length > 32_767) return fail(400, 'InvalidParameterException', `Attribute ${k} is over 32,767 characters`);
    }
    if (!instances.has(InstanceId)) return fail(404, 'ResourceNotFoundException', `Instance ${InstanceId} not found`);
    const prev = contacts.get(InitialContactId);
    const merged = { ...(prev?.attributes ?? {}), ...(Attributes as Record<string, string>) };
    let bytes = 0;
    for (const [k, v] of Object.entries(merged)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    if (bytes > MAX_BYTES) return fail(400, 'InvalidParameterException', `Attributes total ${bytes} bytes exceeds ${MAX_BYTES}`);
    contacts.set(InitialContactId, { InstanceId, InitialContactId, attributes: merged, updates: (prev?.updates ?? 0) + 1 });
    ctx.record({ vendor: 'amazon_connect', operation: op, params: fault?.afterApply ? { ...params, fault: `${fault.afterApply}_after_apply` } : params, status: 200 });
    if (await afterApplyFault(res, fault)) return;
    sendJson(res, 200, {});
  }

  /**
   * What the read operations share: the call recorded (with its error), SigV4, an injected
   * fault, the instance known. @returns whether the request may go on (else it was answered).
   */
  async function readPrelude(req: IncomingMessage, res: ServerResponse, op: string, params: Record<string, unknown>, instanceId: string, ctx: SandboxContext): Promise<boolean> {
    const fail = (status: number, type: string, message: string) => {
      ctx.record({ vendor: 'amazon_connect', operation: op, params: { ...params, error: type }, status });
      awsError(res, status, type, message);
      return false;
    };
    const sig = sigv4Problem(req, opts.accessKeyId);
    if (sig) return fail(403, sig.type, sig.message);
    const fault = ctx.takeFault('amazon_connect', op);
    await faultDelay(fault);
    if (fault && fault.status) return fail(fault.status, fault.status === 429 ? 'ThrottlingException' : 'InternalServiceException', 'Injected fault');
    if (!instances.has(instanceId)) return fail(404, 'ResourceNotFoundException', `Instance ${instanceId} not found`);
    ctx.record({ vendor: 'amazon_connect', operation: op, params, status: 200 });
    return true;
  }

  async function getAttributes(req: IncomingMessage, res: ServerResponse, instanceId: string, contactId: string, ctx: SandboxContext): Promise<void> {
    if (!(await readPrelude(req, res, 'GetContactAttributes', { InstanceId: instanceId, InitialContactId: contactId }, instanceId, ctx))) return;
    // A contact the flow is running but nobody wrote to yet has no attributes.
    sendJson(res, 200, { Attributes: contacts.get(contactId)?.attributes ?? {} });
  }

  async function describe(req: IncomingMessage, res: ServerResponse, instanceId: string, ctx: SandboxContext): Promise<void> {
    if (!(await readPrelude(req, res, 'DescribeInstance', { InstanceId: instanceId }, instanceId, ctx))) return;
    sendJson(res, 200, {
      Instance: { Id: instanceId, Arn: `arn:aws:connect:us-east-1:000000000000:instance/${instanceId}`, IdentityManagementType: 'CONNECT_MANAGED', InstanceAlias: 'sandbox', InstanceStatus: 'ACTIVE', InboundCallsEnabled: true, OutboundCallsEnabled: true },
    });
  }

  return {
    vendor: 'amazon_connect',
    async handle(req, res, body, ctx) {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      if (req.method === 'POST' && url.pathname === '/contact/attributes') {
        await update(req, res, body, ctx);
        return true;
      }
      const inst = /^\/instance\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && inst) {
        await describe(req, res, decodeURIComponent(inst[1]!), ctx);
        return true;
      }
      const attrs = /^\/contact\/attributes\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && attrs) {
        await getAttributes(req, res, decodeURIComponent(attrs[1]!), decodeURIComponent(attrs[2]!), ctx);
        return true;
      }
      const view = /^\/_sandbox\/connect\/contacts\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && view) {
        const c = contacts.get(decodeURIComponent(view[1]!));
        if (!c) sendJson(res, 404, { message: 'no such contact' });
        else sendJson(res, 200, { ...c, flowBranch: flowBranch(c.attributes) });
        return true;
      }
      return false;
    },
    reset() {
      contacts.clear();
    },
  };
}
