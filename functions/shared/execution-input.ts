/**
 * Reading an execution's input from Step Functions (states:DescribeExecution), for Prepare and
 * Evaluate. The state machine does not pass the input to them: it may be up to 256 KiB, and
 * Step Functions refuses a state's input over 256 KiB after Parameters with
 * States.DataLimitExceeded, which no Catch catches (docs/design.md, "Changes from the first
 * design"). Each handler.ts wires the SDK reader; `serverless-dbt local` passes the input it
 * started with.
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

export interface ExecutionInputReader {
  /**
   * The execution's input, parsed (a text that is not JSON comes back as the text).
   * @throws ExecutionInputUnreadable when it cannot be read.
   */
  read: (executionArn: string) => Promise<unknown>;
}

/** Thrown when the execution's input cannot be read. Step Functions matches on the name. */
export class ExecutionInputUnreadable extends Error {
  override readonly name = 'ExecutionInputUnreadable';
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The input as Step Functions stores it, read with states:DescribeExecution. */
export function describedExecutionInput(sfn: SFNClient): ExecutionInputReader {
  return {
    read: async (executionArn) => {
      let input: string | undefined;
      try {
        ({ input } = await sfn.send(new DescribeExecutionCommand({ executionArn })));
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new ExecutionInputUnreadable(
          `could not read the input of ${executionArn.slice(0, 300)} (states:DescribeExecution): ${reason.slice(0, 500)}`,
        );
      }
      if (input === undefined) {
        throw new ExecutionInputUnreadable(
          `states:DescribeExecution returned no input for ${executionArn.slice(0, 300)}`,
        );
      }
      return parsed(input);
    },
  };
}

/** A run whose input is already known (`serverless-dbt local` started it): that input. */
export function knownExecutionInput(input: unknown): ExecutionInputReader {
  return { read: async () => input };
}
