// A real HTTP server on 127.0.0.1 standing in for Slack's incoming webhooks, for one test
// file. Each test scripts its replies (status, body, headers such as Retry-After, or a hang)
// and reads back the requests the server received. By default it also checks the Block Kit
// limits Slack enforces and answers 400 invalid_blocks when a message breaks them, so a test
// that gets 200 knows Slack would have taken the message.
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

/** One scripted answer. */
export interface SlackReply {
  /** HTTP status; 200 by default. */
  status?: number;
  /** Response body; Slack answers `ok` on success and an error code (`invalid_payload`) else. */
  body?: string;
  headers?: Record<string, string>;
  /** Never answer: the request stays open until the client gives up or the server closes. */
  hang?: boolean;
  /** Answer after this many milliseconds. */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path of the request (the webhook's secret part in real life). */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
}

export interface SlackServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** A webhook URL on this server, shaped like Slack's, with a recognisable secret token. */
  webhookUrl: string;
  /** The secret part of `webhookUrl`, to look for where it must never appear. */
  token: string;
  requests: RecordedRequest[];
  /** Queue replies for the next requests, in order; after them, `fallback` answers. */
  reply: (...replies: SlackReply[]) => void;
  /** The answer once the queue is empty (200 ok unless changed). */
  setFallback: (reply: SlackReply) => void;
  /** Check Block Kit limits (on by default). */
  enforceLimits: (on: boolean) => void;
  /** Forget replies and requests, back to 200 ok with limits enforced. */
  reset: () => void;
  close: () => Promise<void>;
}

/** Replies as Slack gives them (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks). */
export const SLACK = {
  ok: { status: 200, body: 'ok' },
  invalidPayload: { status: 400, body: 'invalid_payload' },
  invalidToken: { status: 403, body: 'invalid_token' },
  noService: { status: 404, body: 'no_service' },
  channelIsArchived: { status: 410, body: 'channel_is_archived' },
  rateLimited: (retryAfterSeconds: number): SlackReply => ({
    status: 429,
    body: 'rate_limited',
    headers: { 'Retry-After': String(retryAfterSeconds) },
  }),
  serverError: { status: 500, body: 'internal_error' },
} satisfies Record<string, SlackReply | ((seconds: number) => SlackReply)>;

const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;
const MAX_FIELDS = 10;
const MAX_FIELD_TEXT = 2000;
const MAX_CONTEXT_ELEMENTS = 10;

interface TextObject {
  type?: string;
  text?: unknown;
}

/** The first Block Kit limit a message breaks, as Slack would name it, or undefined. */
export function blockKitProblem(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return 'invalid_payload';
  const { text, blocks } = message as { text?: unknown; blocks?: unknown };
  if (blocks === undefined) return typeof text === 'string' ? undefined : 'no_text';
  if (!Array.isArray(blocks)) return 'invalid_blocks_format';
  if (blocks.length > MAX_BLOCKS) return `invalid_blocks: more than ${MAX_BLOCKS} blocks`;
  const tooLong = (object: TextObject | undefined, limit: number) =>
    typeof object?.text !== 'string' || object.text.length === 0 || object.text.length > limit;
  for (const [index, block] of blocks.entries()) {
    const where = `invalid_blocks: block ${index}`;
    switch (block?.type) {
      case 'header':
        if (tooLong(block.text, MAX_HEADER_TEXT) || block.text.type !== 'plain_text') {
          return `${where}: header text`;
        }
        break;
      case 'section': {
        const fields = block.fields as TextObject[] | undefined;
        if (block.text === undefined && fields === undefined) return `${where}: empty section`;
        if (block.text !== undefined && tooLong(block.text, MAX_SECTION_TEXT)) {
          return `${where}: section text longer than ${MAX_SECTION_TEXT}`;
        }
        if (fields !== undefined) {
          if (fields.length > MAX_FIELDS) return `${where}: more than ${MAX_FIELDS} fields`;
          if (fields.some((field) => tooLong(field, MAX_FIELD_TEXT))) return `${where}: field`;
        }
        break;
      }
      case 'context': {
        const elements = block.elements as TextObject[] | undefined;
        if (!Array.isArray(elements) || elements.length === 0) return `${where}: context`;
        if (elements.length > MAX_CONTEXT_ELEMENTS) return `${where}: context elements`;
        if (elements.some((element) => tooLong(element, MAX_SECTION_TEXT))) {
          return `${where}: context text`;
        }
        break;
      }
      case 'divider':
        break;
      default:
        return `${where}: unknown type ${String(block?.type)}`;
    }
  }
  return undefined;
}

export async function startSlackServer(): Promise<SlackServer> {
  const token = 'XXXXsecretWebhookToken0123456789';
  const requests: RecordedRequest[] = [];
  let queue: SlackReply[] = [];
  let fallback: SlackReply = SLACK.ok;
  let checkLimits = true;
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body,
        json,
        receivedAt: performance.now(),
      });
      const reply = queue.shift() ?? fallback;
      if (reply.hang) {
        hanging.add(response);
        return;
      }
      const problem =
        checkLimits && (reply.status ?? 200) === 200 ? blockKitProblem(json) : undefined;
      const send = () => {
        if (problem !== undefined) {
          response.writeHead(400, { 'Content-Type': 'text/plain' }).end(problem);
          return;
        }
        response
          .writeHead(reply.status ?? 200, { 'Content-Type': 'text/plain', ...reply.headers })
          .end(reply.body ?? 'ok');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    webhookUrl: `${origin}/services/T00000000/B00000000/${token}`,
    token,
    requests,
    reply: (...replies) => {
      queue.push(...replies);
    },
    setFallback: (reply) => {
      fallback = reply;
    },
    enforceLimits: (on) => {
      checkLimits = on;
    },
    reset: () => {
      queue = [];
      fallback = SLACK.ok;
      checkLimits = true;
      requests.length = 0;
      for (const response of hanging) response.destroy();
      hanging.clear();
    },
    close: async () => {
      for (const response of hanging) response.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
