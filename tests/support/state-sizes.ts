// Step Functions' payload limit, which aws-local-stepfunctions does not enforce: a state's input
// (as it enters, and after Parameters) and its output (a task's result, and the state after
// ResultPath) may be at most 262,144 bytes of UTF-8 JSON. Over it, the execution fails with
// States.DataLimitExceeded, which no Catch catches (not even States.ALL): no verdict, no lock
// release, no alert. The harness measures every payload of a local run and refuses a run that
// would have hit it.
import type { EventLog, LocalTask } from '../../cli/local/execute.ts';

export const STATE_PAYLOAD_LIMIT_BYTES = 262_144;

export interface Payload {
  state: string;
  /** `entered`/`exited`: the state's input and output in the event log; `parameters`/`result`: what a Task's integration received and returned. */
  what: 'entered' | 'exited' | 'parameters' | 'result';
  bytes: number;
}

export const payloadBytes = (value: unknown): number =>
  Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');

/** A Task's local function, recording the size of what it receives and returns. */
export function measured(state: string, task: LocalTask, payloads: Payload[]): LocalTask {
  return async (input) => {
    payloads.push({ state, what: 'parameters', bytes: payloadBytes(input) });
    const result = await task(input);
    payloads.push({ state, what: 'result', bytes: payloadBytes(result) });
    return result;
  };
}

/** The states' inputs and outputs, as the execution's events show them. */
export function eventPayloads(events: readonly EventLog[]): Payload[] {
  const payloads: Payload[] = [];
  for (const event of events) {
    if (event.type === 'StateEntered') {
      payloads.push({
        state: event.state.name,
        what: 'entered',
        bytes: payloadBytes(event.state.input),
      });
    } else if (event.type === 'StateExited') {
      payloads.push({
        state: event.state.name,
        what: 'exited',
        bytes: payloadBytes(event.state.output),
      });
    }
  }
  return payloads;
}

/** The largest payload, or undefined when there were none. */
export function largest(payloads: readonly Payload[]): Payload | undefined {
  return payloads.reduce<Payload | undefined>(
    (big, each) => (big === undefined || each.bytes > big.bytes ? each : big),
    undefined,
  );
}

/** @throws naming every payload over the limit, as Step Functions would have failed the run. */
export function assertWithinStateLimit(payloads: readonly Payload[]): void {
  const over = payloads.filter((payload) => payload.bytes > STATE_PAYLOAD_LIMIT_BYTES);
  if (over.length === 0) return;
  const listed = over.map((p) => `${p.state} ${p.what} ${p.bytes} bytes`).join('; ');
  throw new Error(
    `States.DataLimitExceeded: Step Functions refuses a state payload over ${STATE_PAYLOAD_LIMIT_BYTES} bytes, and no Catch catches it: ${listed}`,
  );
}
