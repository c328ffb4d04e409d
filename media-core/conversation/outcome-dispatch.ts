/**
 * Carries the conversation's outcome to the integration's contact center
 * (docs/architecture.md, outcome table):
 *
 * | vendor          | transfer                                   | hangup                     | error        |
 * |-----------------|--------------------------------------------|----------------------------|--------------|
 * | sip_trunk       | REFER per adapters/sip-trunk, then BYE     | BYE + assistant's headers  | BYE          |
 * | twilio_flex     | REFER per adapters/twilio (key in Refer-To)| BYE + assistant's headers  | BYE          |
 * | amazon_connect  | Lambda outcome (transfer), applied -> BYE  | Lambda outcome (hangup) -> BYE | BYE, no attributes |
 * | nice_cxone      | Lambda outcome (transfer), applied -> BYE  | Lambda outcome (hangup) -> BYE | BYE, no attributes |
 *
 * A REFER that fails, or an outcome the adapter rejects, is a failed transfer: for the SIP
 * vendors the conversation continues with vgwCallTransferFailed; for the API vendors the
 * caller hears agent_unavailable and the error outcome (BYE) hands the call back to the
 * flow's error path.
 */
import { randomUUID } from 'node:crypto';
import { OUTCOME_VERSION, type OutcomeEvent, type OutcomeKind } from '../../events/outcome.ts';
import type { Logger } from '../../lib/log.ts';
import type { Store } from '../../lib/store/client.ts';
import { translateHangup, translateTransfer } from '../../adapters/sip-trunk/translate.ts';
import { translateOutcome as twilioTranslate } from '../../adapters/twilio/translate.ts';
import type { SipAction } from '../../adapters/types.ts';
import { agentMessageFrom } from '../../adapters/common/agent-message.ts';
import type { Call, SipHeader } from '../call/types.ts';
import type { VendorSettings } from '../config/schema.ts';
import { amazonConnectContact, niceCxoneContact } from './contact.ts';
import type { OutcomeInvoker } from './lambda-invoke.ts';
import type { GenericResponse } from './types.ts';

/** 'transferred' and 'ended' end the call; 'failed' lets the conversation go on. */
export type TransferResult = 'transferred' | 'failed' | 'ended';

export interface DispatchDeps {
  call: Call;
  vendor: VendorSettings;
  sessionHistoryKey: string;
  invoke?: OutcomeInvoker;
  store?: Store;
  log: Logger;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

export class OutcomeDispatcher {
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
    if (v.vendor !== 'amazon_connect' && v.vendor !== 'nice_cxone') return false;
    if (!this.d.invoke) {
      this.d.log.error({ vendor: v.vendor }, 'no Lambda invoker configured; outcome not applied');
      return false;
    }
    try {
      const extra: Partial<OutcomeEvent> = {};
      if (v.vendor === 'amazon_connect') {
        const c = await amazonConnectContact(this.d.call.info, this.d.store);
        if (!c) throw new Error('no Amazon Connect contact for this call (no UUI/contact id headers and no registration)');
        extra.amazonConnect = c;
      } else {
        const c = niceCxoneContact(this.d.call.info);
        if (!c) throw new Error('no X-ContactID header on the INVITE');
        extra.niceCxone = c;
      }
      const reply = await this.d.invoke(v.functionName, this.event(kind, customData, extra));
      if (reply.status === 'applied') return true;
      this.d.log.error({ vendor: v.vendor, kind, reason: reply.reason, message: reply.message }, 'adapter rejected the outcome');
      return false;
    } catch (err) {
      this.d.log.error({ vendor: v.vendor, kind, err: (err as Error).message }, 'outcome not applied');
      return false;
    }
  }

  /** The SIP action of a transfer for the SIP vendors. @throws the adapter's translate error. */
  sipTransferAction(target: Record<string, unknown> | undefined): SipAction {
    const v = this.d.vendor;
    const sip = obj(obj(target?.service_desk)?.sip);
    if (v.vendor === 'twilio_flex') {
      const headers = Array.isArray(sip?.transfer_headers) ? (sip!.transfer_headers as SipHeader[]) : [];
      return twilioTranslate(this.event('transfer', {}, {}), {
        referTo: typeof sip?.uri === 'string' ? sip.uri : v.referUri,
        headers: headers.filter((h) => /^(x-|user-to-user$)/i.test(h.name)),
      });
    }
    return translateTransfer(
      sip as never,
      this.d.sessionHistoryKey,
      { agentUri: v.vendor === 'sip_trunk' ? v.agentUri : undefined, agentMessageHeader: v.vendor === 'sip_trunk' ? v.agentMessageHeader : undefined },
      this.summary,
    );
  }

  /**
   * connect_to_agent. `say` speaks agent_available / agent_unavailable.
   * @returns 'transferred' (call ended), 'failed' (conversation goes on), or 'ended' (API vendor failure: error outcome sent).
   */
  async transfer(response: GenericResponse, say: (text: string | undefined) => Promise<void>): Promise<TransferResult> {
    const call = this.d.call;
    const target = obj(response.transfer_info?.target);
    const available = response.agent_available?.message;
    const unavailable = response.agent_unavailable?.message;
    const v = this.d.vendor;
    this.summary = agentMessageFrom(response.message_to_human_agent);
    if (v.vendor === 'amazon_connect' || v.vendor === 'nice_cxone') {
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
      this.d.log.error({ err: (err as Error).message }, 'transfer target unusable');
      await say(unavailable);
      return 'failed';
    }
    await say(available);
    if (action.kind === 'bye') {
      await call.hangup(action.headers);
      return 'transferred';
    }
    const r = await call.refer(action.target, { headers: action.headers, referToHeaders: action.referToHeaders, contactHeaders: action.contactHeaders, acceptCodes: action.acceptCodes });
    if (r.status === 'success') {
      await call.hangup();
      return 'transferred';
    }
    if (call.state === 'ended') return 'ended';
    this.d.log.warn({ status: r.status, code: 'code' in r ? r.code : undefined }, 'transfer failed');
    await say(unavailable);
    return 'failed';
  }

  /** end_session: the vendor's hang-up, then BYE with `headers`. */
  async hangup(headers: SipHeader[]): Promise<void> {
    const v = this.d.vendor;
    if (v.vendor === 'amazon_connect' || v.vendor === 'nice_cxone') {
      const ok = await this.applyViaLambda('hangup', {});
      // Not applied: BYE without the assistant's headers, so the flow's error path takes over.
      await this.d.call.hangup(ok ? headers : []);
      return;
    }
    let action: SipAction;
    try {
      action = translateHangup(headers);
    } catch (err) {
      this.d.log.error({ err: (err as Error).message }, 'end_session headers dropped');
      action = { kind: 'bye', headers: [] };
    }
    await this.d.call.hangup(action.kind === 'bye' ? action.headers : []);
  }

  /** The error outcome: BYE with no attributes (every vendor). */
  async error(): Promise<void> {
    if (this.d.call.state !== 'ended') await this.d.call.hangup();
  }
}
