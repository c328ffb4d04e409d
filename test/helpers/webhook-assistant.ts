/**
 * A scripted HTTP webhook assistant for tests (the media core's generic webhook connector,
 * media-core/conversation/assistants/webhook.ts): `POST /assistant/<name>` with
 * `{input: {text}, context, call_id}` is recorded and answered by the script registered
 * under <name>; `GET /audio/<file>` serves registered WAV files. Binds 127.0.0.1 only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConversationContext, GenericResponse } from '../../media-core/conversation/types.ts';

/** One turn request as the assistant received it. */
export interface RecordedTurn {
  callId: string;
  text: string;
  context: ConversationContext;
  /** 0 for the first request of the script's call(s). */
  turn: number;
}

/**
 * Answers one turn: the responses, and optionally assistant variables merged into the
 * context sent back (e.g. post_response_timeout_count).
 */
export type TurnScript = (t: RecordedTurn) => { generic: GenericResponse[]; vars?: ConversationContext };

export interface WebhookAssistantServer {
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** URL of the assistant named `name` (for the media core config). */
  url(name: string): string;
  /** Registers the script of `name`; requests for a name without a script get HTTP 404. */
  script(name: string, s: TurnScript): void;
  /** Every turn of `name` so far, in arrival order. */
  turns(name: string): RecordedTurn[];
  /** Resolves with the turns of `name` once `pred` holds, or rejects after `timeoutMs`. */
  waitFor(name: string, pred: (turns: RecordedTurn[]) => boolean, timeoutMs: number): Promise<RecordedTurn[]>;
  /** Serves `body` as audio/wav at `${baseUrl}/audio/${file}`. */
  audio(file: string, body: Buffer): string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;

/** Starts the server on a free 127.0.0.1 port. */
export async function startWebhookAssistant(): Promise<WebhookAssistantServer> {
  const scripts = new Map<string, TurnScript>();
  const recorded = new Map<string, RecordedTurn[]>();
  const files = new Map<string, Buffer>();
  const waiters = new Set<() => void>();

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url.startsWith('/audio/')) {
      const body = files.get(decodeURIComponent(url.slice('/audio/'.length)));
      if (!body) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
    }
    const m = /^\/assistant\/([\w-]+)$/.exec(url);
    if (req.method !== 'POST' || !m) return void res.writeHead(404).end();
    const name = m[1]!;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const script = scripts.get(name);
      if (!script || size > MAX_BODY_BYTES) return void res.writeHead(script ? 413 : 404).end();
      let body: { input?: { text?: unknown }; context?: ConversationContext; call_id?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return void res.writeHead(400).end();
      }
      const list = recorded.get(name) ?? [];
      recorded.set(name, list);
      const turn: RecordedTurn = {
        callId: String(body.call_id ?? ''),
        text: typeof body.input?.text === 'string' ? body.input.text : '',
        context: body.context ?? {},
        turn: list.length,
      };
      list.push(turn);
      for (const w of waiters) w();
      let reply;
      try {
        reply = script(turn);
      } catch (err) {
        return void res.writeHead(500, { 'content-type': 'text/plain' }).end((err as Error).message);
      }
      const out = JSON.stringify({ output: { generic: reply.generic }, context: { ...turn.context, ...reply.vars } });
      res.writeHead(200, { 'content-type': 'application/json' }).end(out);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    url: (name) => `${baseUrl}/assistant/${name}`,
    script: (name, s) => void scripts.set(name, s),
    turns: (name) => [...(recorded.get(name) ?? [])],
    waitFor(name, pred, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const t = recorded.get(name) ?? [];
          if (!pred(t)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...t]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`assistant ${name}: condition not met within ${timeoutMs} ms; turns: ${JSON.stringify((recorded.get(name) ?? []).map((t) => t.text))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    audio(file, body) {
      files.set(file, body);
      return `${baseUrl}/audio/${encodeURIComponent(file)}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
