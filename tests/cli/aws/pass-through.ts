// A pass-through in front of moto, for the AWS commands' tests that must see or change what a
// command sends (moto forgets some of it, e.g. StopExecution's cause) or have AWS refuse one
// call: a command given its endpoint as AWS_ENDPOINT_URL reaches moto through it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Step Functions request as it went on to moto: its action and its JSON body. */
export interface StepFunctionsRequest {
  target: string;
  body: Record<string, unknown>;
}

/** An answer the pass-through gives itself instead of moto's: an AWS JSON error, say. */
export interface Refusal {
  status: number;
  body: object;
}

export interface PassThroughOptions {
  /**
   * A Step Functions request's body to send on instead of the one the command sent (e.g. a
   * smaller page size), or undefined to send it on as it came.
   */
  rewriteStepFunctions?: (
    target: string,
    body: Record<string, unknown>,
  ) => Record<string, unknown> | undefined;
  /** The answer to a request (by its X-Amz-Target) that is not to reach moto at all. */
  refuse?: (amzTarget: string) => Refusal | undefined;
}

export interface PassThrough {
  /** Where to send the commands' requests (AWS_ENDPOINT_URL). */
  endpoint: string;
  /** Every Step Functions request sent on, in order (empty it to start counting again). */
  stepFunctionsRequests: StepFunctionsRequest[];
  close: () => Promise<void>;
}

const STEP_FUNCTIONS = 'AWSStepFunctions.';

/** Starts a pass-through to `target` (moto's endpoint) on a free local port. */
export async function startPassThrough(
  target: string,
  options: PassThroughOptions = {},
): Promise<PassThrough> {
  const stepFunctionsRequests: StepFunctionsRequest[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    const amzTarget = String(request.headers['x-amz-target'] ?? '');
    const refusal = options.refuse?.(amzTarget);
    if (refusal !== undefined) {
      response.writeHead(refusal.status, { 'Content-Type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(refusal.body));
      return;
    }
    if (amzTarget.startsWith(STEP_FUNCTIONS)) {
      const action = amzTarget.slice(STEP_FUNCTIONS.length);
      let parsed = JSON.parse(String(body)) as Record<string, unknown>;
      const rewritten = options.rewriteStepFunctions?.(action, parsed);
      if (rewritten !== undefined) {
        parsed = rewritten;
        body = Buffer.from(JSON.stringify(rewritten));
      }
      stepFunctionsRequests.push({ target: action, body: parsed });
    }
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        ([name, value]) =>
          typeof value === 'string' && name !== 'host' && name !== 'content-length',
      ),
    ) as Record<string, string>;
    const forwarded = await fetch(`${target}${request.url ?? '/'}`, {
      method: request.method ?? 'GET',
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
    });
    response.writeHead(forwarded.status, Object.fromEntries(forwarded.headers));
    response.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stepFunctionsRequests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
