/**
 * The "Agent screen pop" line `npm run call` prints after a transfer: the signed view link
 * (adapters/agent-view/link.ts) the contact center would give the agent, minted with the
 * running stack's per-run fake secret (SCREEN_POP_SECRET, or the one `npm start` left in its
 * stack-info file). Without a secret it says so rather than print a link that gets 403.
 * When the contact center's side already received a link (Twilio Flex's ScreenPopUrl from the
 * refer-handler, NICE CXone's from its REST action), that link is printed instead.
 */
import { screenPopLink } from '../../adapters/agent-view/link.ts';

/**
 * @param pageUrl the GET /agent URL (AGENT_SCREEN_POP_BASE_URL of the stack)
 * @param key the session history key of the transferred call
 * @param secret the stack's SCREEN_POP_SECRET, when known
 * @param issued the link the contact center received, and who issued it
 */
export function screenPopLine(pageUrl: string, key: string, secret: string | undefined, nowMs = Date.now(), issued?: { url: string; by: string }): string {
  if (issued) return `Agent screen pop (${issued.by}, signed): ${issued.url}`;
  if (!secret) return `Agent screen pop: no signed link (SCREEN_POP_SECRET unknown: is npm start running on this SIP port?)`;
  try {
    return `Agent screen pop (local demo, valid 1 hour): ${screenPopLink(pageUrl, key, secret, { nowMs })}`;
  } catch (err) {
    return `Agent screen pop: no signed link (${(err as Error).message})`;
  }
}
