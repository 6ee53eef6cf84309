// What every AWS command shares: its options (--stage, --region, --help), how it parses them,
// and what it runs with (the environment, where it prints, the clock). Tests pass their own
// context; the command line uses the process's.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import { UsageError } from '../errors.ts';
import { jsonOutput } from './json.ts';
import { checkStage } from './names.ts';

export interface CommandContext {
  /** Where AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL and the SDK's other settings come from. */
  env: Record<string, string | undefined>;
  /** Prints one result line (stdout). */
  out: (text: string) => void;
  /** Prints a note about the results (stderr). */
  err: (text: string) => void;
  now: () => Date;
  sleep: (milliseconds: number) => Promise<void>;
  /** Credentials instead of the SDK's default chain (tests). */
  credentials?: SFNClientConfig['credentials'];
  /** The serverless project whose serverless.yml gives the stage's region (default: this one). */
  project?: string;
}

export function contextFrom(given: Partial<CommandContext> = {}): CommandContext {
  return {
    env: process.env,
    out: (text) => console.log(text),
    err: (text) => console.error(text),
    now: () => new Date(),
    sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
    ...given,
  };
}

export const COMMON_OPTIONS = {
  stage: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const COMMON_USAGE = `common options:
  --stage STAGE              the deployed stage (dev, live, ...): stack serverless-dbt-STAGE
  --region REGION            the stack's region (default: AWS_REGION, else the stage's
                             region in serverless.yml, else the profile's region)
  -h, --help                 this help

AWS settings come from the environment as for the AWS CLI: AWS_PROFILE (or AWS_ACCESS_KEY_ID
and AWS_SECRET_ACCESS_KEY), AWS_REGION, and AWS_ENDPOINT_URL for a stand-in such as moto.`;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The command's options, strictly: an unknown option or a missing value is a UsageError that
 * carries the command's usage.
 */
export function parseCommandArgs<const O extends Options>(
  args: string[],
  options: O,
  usage: string,
  allowPositionals: boolean,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${(error as Error).message}\n\n${usage}`);
    }
    throw error;
  }
}

type Parsed<O extends Options> = ReturnType<typeof parseCommandArgs<O>>;

/** An AWS command once its command line is read (openCommand). */
export interface OpenedCommand<O extends Options, C extends CommandContext> {
  values: Parsed<O>['values'];
  positionals: string[];
  /** --stage, checked. */
  stage: string;
  /** Where the lines for people go: with --json, nowhere, or stderr for a followed run. */
  context: C;
  /** Prints the one --json document; nothing without --json. */
  emit: (document: unknown) => void;
}

/**
 * What every AWS command does first: reads its options strictly, answers --help (undefined:
 * the usage is printed, exit 0), checks --stage and sets up --json. `progressToStderr` says,
 * from the options, whether the command follows a run whose progress a person still sees
 * with --json.
 */
export function openCommand<const O extends Options, C extends CommandContext = CommandContext>(
  args: string[],
  given: Partial<C>,
  command: {
    options: O;
    usage: string;
    positionals: boolean;
    progressToStderr?: (values: Parsed<O>['values']) => boolean;
  },
): OpenedCommand<O, C> | undefined {
  const { values, positionals } = parseCommandArgs(
    args,
    command.options,
    command.usage,
    command.positionals,
  );
  const context = contextFrom(given) as C;
  const flags = values as { help?: unknown; json?: unknown; stage?: unknown };
  if (flags.help === true) {
    context.out(command.usage);
    return undefined;
  }
  const progress = command.progressToStderr?.(values) ? 'stderr' : 'dropped';
  const { human, emit } = jsonOutput(context, flags.json === true, progress);
  const stage = checkStage(
    typeof flags.stage === 'string' ? flags.stage : undefined,
    command.usage,
  );
  return { values, positionals, stage, context: human, emit };
}
