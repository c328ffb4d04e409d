/**
 * Carries the conversation's outcome to the integration's contact center, the way its
 * descriptor (adapters/registry.ts) says (docs/architecture.md, outcome table):
 *
 * | route  | transfer                                         | hangup                         | error |
 * |--------|--------------------------------------------------|--------------------------------|-------|
 * | sip    | the vendor's `sipTransfer` (REFER, or BYE)       | BYE + assistant's headers      | BYE   |
 * | lambda | outcome function (transfer), applied -> BYE      | outcome function (hangup) -> BYE | BYE, no attributes |
 *
 * A REFER that fails, or an outcome the adapter rejects, is a failed transfer: for the SIP
 * vendors the conversation continues with vgwCallTransferFailed; for the API vendors the
 * caller hears agent_unavailable and the error outcome (BYE) hands the call back to the
 * flow's error path.
 *
 * Header injection: the assistant's end_session `sip.headers`, its `service_desk.sip`
 * headers, URI and transfer_target_header are untrusted input. They are checked with
 * events/sip-header.ts (RFC 3261 token names, no control characters) for every vendor before
 * any message is built or any outcome is sent; a failure, or the serializer's last guard
 * refusing the REFER, is the vendor's error outcome with the reason logged.
 */
import { randomUUID } from 'node:crypto';
import { OUTCOME_VERSION, type OutcomeEvent, type OutcomeKind } from '../../events/outcome.ts';
import { assertSafeHeaders, assertSafeUri, UnsafeSipHeaderError } from '../../events/sip-header.ts';
import type { Logger } from '../../lib/log.ts';
import type { Store } from '../../lib/store/client.ts';
import { translateHangup } from '../../adapters/sip-trunk/translate.ts';
import { vendorFor, vendorOf } from '../../adapters/registry.ts';
import type { SipAction } from '../../adapters/types.ts';
import { agentMessageFrom } from '../../adapters/common/agent-message.ts';
import { redactKey } from '../../lib/redact.ts';
import { outcomes } from '../observability/call-metrics.ts';
import type { HistoryWriter } from './history.ts';
import type { Call } from '../call/types.ts';
import type { VendorSettings } from '../config/schema.ts';
import { boundContact } from './contact.ts';
import type { OutcomeInvoker } from './lambda-invoke.ts';
import type { GenericResponse } from './types.ts';
import type { SipHeader } from '../../events/sip-header.ts';

/** 'transferred' and 'ended' end the call; 'failed' lets the conversation go on. */
export type TransferResult = 'transferred' | 'failed' | 'ended';

/** What connect_to_agent and end_session act through (TaskHost.outcomes): the call's contact center. */
export interface Outcomes {
  /**
   * connect_to_agent: writes the history and the agent message first, speaks
   * agent_available / agent_unavailable, then transfers the vendor's way. Never throws for a
   * vendor failure.
   * @returns 'transferred' (call ended), 'failed' (the conversation goes on with vgwCallTransferFailed), or 'ended' (error outcome sent).
   */
  connectToAgent(response: GenericResponse): Promise<TransferResult>;
  /** end_session: the vendor's hang-up with the assistant's BYE headers (unsafe headers: the error outcome). */
  endSession(headers: SipHeader[]): Promise<void>;
}

/** The conversation side an outcome needs: its prompts and its transcript. */
export interface OutcomeConversation {
  /** Speaks a prompt with the call's TTS settings; never throws (a failed prompt is logged). */
  say(text: string | undefined): Promise<void>;
  history: Pick<HistoryWriter, 'append' | 'flush' | 'agentMessage'>;
  /** The outcome ends the conversation; `transferred` when the caller went to an agent. */
  ended(transferred: boolean): void;
  /** The transfer failed; the conversation goes on with vgwCallTransferFailed. */
  transferFailed(): void;
}

export interface DispatchDeps {
  call: Call;
  vendor: VendorSettings;
  sessionHistoryKey: string;
  conversation: OutcomeConversation;
  invoke?: OutcomeInvoker;
  store?: Store;
  log: Logger;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/**
 * Checks the header-bearing fields of `service_desk.sip` (transfer_headers, transfer_target_header,
 * uri) whatever the vendor: an injection attempt anywhere in the target is refused, even in
 * a field this vendor does not use.
 * @throws UnsafeSipHeaderError
 */
function checkServiceDeskSip(target: Record<string, unknown> | undefined): void {
  const sip = obj(obj(target?.service_desk)?.sip);
  if (!sip) return;
  if (Array.isArray(sip.transfer_headers)) {
    for (const h of sip.transfer_headers) {
      const o = obj(h);
      if (o && typeof o.name === 'string' && typeof o.value === 'string') assertSafeHeaders([{ name: o.name, value: o.value }], 'external');
    }
  }
  if (typeof sip.transfer_target_header === 'string') assertSafeHeaders([{ name: sip.transfer_target_header, value: '' }], 'external');
  if (typeof sip.uri === 'string') assertSafeUri(sip.uri);
}

export class OutcomeDispatcher implements Outcomes {
  /** True once transfer() or hangup() began: the drain action then leaves that outcome to finish. */
  private outcomeStarted = false;
  constructor(private readonly d: DispatchDeps) {}

  /** The summary of the transfer being dispatched (agentMessageFrom of message_to_human_agent). */
  private summary: string | undefined;

  private event(kind: OutcomeKind, customData: Record<string, unknown>, extra: Partial<OutcomeEvent>): OutcomeEvent {
    return {
      version: OUTCOME_VERSION,
      outcomeId: randomUUID(),
      sipCallId: this.d.call.info.callId,
      vendor: this.d.vendor.vendor,
      kind,
      ...(kind === 'transfer' ? { sessionHistoryKey: this.d.sessionHistoryKey } : {}),
      ...(kind === 'transfer' && this.summary ? { messageToHumanAgent: this.summary } : {}),
      customData,
      occurredAt: new Date().toISOString(),
      ...extra,
    };
  }

  /** Invokes the adapter function; true when the reply is `applied`. Never throws. */
  private async applyViaLambda(kind: OutcomeKind, customData: Record<string, unknown>): Promise<boolean> {
    const v = this.d.vendor;
    const functionName = vendorFor(v).functionName();
    if (!functionName) return false;
    if (!this.d.invoke) {
      this.d.log.error({ vendor: v.vendor }, 'no Lambda invoker configured; outcome not applied');
      return false;
    }
    try {
      // Verified and bound when the INVITE arrived (contact.ts); never re-read from headers.
      const c = boundContact(this.d.call);
      if (!c || c.vendor !== v.vendor) throw new Error('no verified contact bound to this call');
      const reply = await this.d.invoke(functionName, this.event(kind, customData, c.outcome));
      if (reply.status === 'applied') return true;
      this.d.log.error({ vendor: v.vendor, kind, reason: reply.reason, message: reply.message }, 'adapter rejected the outcome');
      return false;
    } catch (err) {
      this.d.log.error({ vendor: v.vendor, kind, err: (err as Error).message }, 'outcome not applied');
      return false;
    }
  }

  /** The SIP action of a transfer for the SIP vendors. @throws UnsafeSipHeaderError for injected headers or URI; the adapter's translate error otherwise. */
  sipTransferAction(target: Record<string, unknown> | undefined): SipAction {
    const v = this.d.vendor;
    const sipTransfer = vendorFor(v).sipTransfer;
    if (!sipTransfer) throw new Error(`${v.vendor} transfers through its API, not SIP`);
    return sipTransfer({ sip: obj(obj(target?.service_desk)?.sip), sessionHistoryKey: this.d.sessionHistoryKey, summary: this.summary });
  }

  async connectToAgent(response: GenericResponse): Promise<TransferResult> {
    const { history } = this.d.conversation;
    this.d.log.info({ vendor: this.d.vendor.vendor, key: redactKey(this.d.sessionHistoryKey) }, 'transfer');
    // The agent's screen pop reads the history as soon as the outcome arrives: write it first (bounded wait).
    await history.flush();
    const summary = agentMessageFrom(response.message_to_human_agent);
    if (summary) {
      // After the flush (the meta item is written), and stored before the vendor hears of the transfer: the screen pop and Twilio's
      // refer-handler read it by key. Waits at most 1 s; a slow store delays no caller longer.
      await Promise.race([history.agentMessage(summary), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    const r = await this.transfer(response, summary);
    outcomes.inc({ vendor: this.d.vendor.vendor, kind: 'transfer', result: r });
    history.append({ who: 'system', text: `transfer ${r}` });
    if (r === 'failed') this.d.conversation.transferFailed();
    else this.d.conversation.ended(r === 'transferred');
    return r;
  }

  async endSession(headers: SipHeader[]): Promise<void> {
    this.d.conversation.ended(false);
    this.d.conversation.history.append({ who: 'system', text: 'hang up' });
    await this.hangup(headers);
    outcomes.inc({ vendor: this.d.vendor.vendor, kind: 'hangup', result: 'sent' });
  }

  private async transfer(response: GenericResponse, summary: string | undefined): Promise<TransferResult> {
    const say = this.d.conversation.say;
    this.outcomeStarted = true;
    const call = this.d.call;
    const target = obj(response.transfer_info?.target);
    const available = response.agent_available?.message;
    const unavailable = response.agent_unavailable?.message;
    const v = this.d.vendor;
    try {
      checkServiceDeskSip(target);
    } catch (err) {
      if (err instanceof UnsafeSipHeaderError) return this.unsafe('connect_to_agent', err, () => say(unavailable));
      throw err;
    }
    this.summary = summary;
    if (vendorOf(v.vendor).route === 'lambda') {
      await say(available);
      const custom = obj(obj(target?.[v.vendor])?.custom_data) ?? {};
      if (await this.applyViaLambda('transfer', custom)) {
        await call.hangup();
        return 'transferred';
      }
      await say(unavailable);
      await call.hangup();
      return 'ended';
    }
    let action: SipAction;
    try {
      action = this.sipTransferAction(target);
    } catch (err) {
      if (err instanceof UnsafeSipHeaderError) return this.unsafe('connect_to_agent', err, () => say(unavailable));
      this.d.log.error({ err: (err as Error).message }, 'transfer target unusable');
      await say(unavailable);
      return 'failed';
    }
    await say(available);
    if (action.kind === 'bye') {
      await call.hangup(action.headers);
      return 'transferred';
    }
    let r: Awaited<ReturnType<typeof call.refer>>;
    try {
      r = await call.refer(action.target, { headers: action.headers, referToHeaders: action.referToHeaders, contactHeaders: action.contactHeaders, acceptCodes: action.acceptCodes });
    } catch (err) {
      if (err instanceof UnsafeSipHeaderError) return this.unsafe('connect_to_agent', err, () => say(unavailable));
      throw err;
    }
    if (r.status === 'success') {
      await call.hangup();
      return 'transferred';
    }
    if (call.state === 'ended') return 'ended';
    this.d.log.warn({ status: r.status, code: 'code' in r ? r.code : undefined }, 'transfer failed');
    await say(unavailable);
    return 'failed';
  }

  /**
   * The assistant's SIP input was unsafe: log why, then the vendor's error outcome.
   * @returns 'ended'
   */
  private async unsafe(responseType: string, err: UnsafeSipHeaderError, before?: () => Promise<void>): Promise<'ended'> {
    this.d.log.error({ vendor: this.d.vendor.vendor, responseType, reason: err.reason }, 'unsafe SIP header from the assistant refused; error outcome');
    await before?.();
    await this.error();
    return 'ended';
  }

  /** The vendor's hang-up, then BYE with `headers`; unsafe headers give the error outcome instead. */
  private async hangup(headers: SipHeader[]): Promise<void> {
    this.outcomeStarted = true;
    const v = this.d.vendor;
    try {
      assertSafeHeaders(headers, 'external');
    } catch (err) {
      if (!(err instanceof UnsafeSipHeaderError)) throw err;
      await this.unsafe('end_session', err);
      return;
    }
    if (vendorOf(v.vendor).route === 'lambda') {
      const ok = await this.applyViaLambda('hangup', {});
      // Not applied: BYE without the assistant's headers, so the flow's error path takes over.
      await this.d.call.hangup(ok ? headers : []);
      return;
    }
    let action: SipAction;
    try {
      action = translateHangup(headers);
    } catch (err) {
      this.d.log.error({ vendor: v.vendor, reason: (err as Error).message }, 'end_session headers dropped; error outcome');
      action = { kind: 'bye', headers: [] };
    }
    await this.d.call.hangup(action.kind === 'bye' ? action.headers : []);
  }

  /**
   * The drain action at the drain deadline (media-core/main.ts, SIGTERM): 'transfer' hands the
   * caller to the integration's default agent target without the assistant (the descriptor's
   * hasDefaultTarget: sip_trunk agentUri, the Flex referUri, an API vendor's flow with an empty custom_data) and falls
   * back to the error outcome when there is none or it fails; 'error' is the error outcome.
   * Never throws.
   * @returns 'transferred', 'ended' (error outcome sent), or 'outcome in progress' (the
   *   assistant's own transfer or hang-up began first and is left to finish).
   */
  async drain(action: 'transfer' | 'error'): Promise<'transferred' | 'ended' | 'outcome in progress'> {
    if (this.outcomeStarted) return 'outcome in progress';
    this.outcomeStarted = true;
    const v = this.d.vendor;
    const call = this.d.call;
    try {
      if (action === 'transfer' && call.state === 'answered') {
        const vendor = vendorFor(v);
        if (vendor.descriptor.route === 'lambda') {
          if (await this.applyViaLambda('transfer', {})) {
            await call.hangup();
            return 'transferred';
          }
        } else if (vendor.hasDefaultTarget()) {
          const a = this.sipTransferAction(undefined);
          if (a.kind === 'refer') {
            const r = await call.refer(a.target, { headers: a.headers, referToHeaders: a.referToHeaders, contactHeaders: a.contactHeaders, acceptCodes: a.acceptCodes });
            if (r.status === 'success') {
              await call.hangup();
              return 'transferred';
            }
            this.d.log.warn({ vendor: v.vendor, status: r.status }, 'drain transfer failed; error outcome');
          }
        } else this.d.log.info({ vendor: v.vendor }, 'no default agent target; drain gives the error outcome');
      }
    } catch (err) {
      this.d.log.error({ vendor: v.vendor, err: (err as Error).message }, 'drain transfer failed; error outcome');
    }
    await this.error().catch(() => undefined);
    return 'ended';
  }

  /** The error outcome: BYE with no attributes (every vendor). */
  async error(): Promise<void> {
    if (this.d.call.state !== 'ended') await this.d.call.hangup();
  }
}
