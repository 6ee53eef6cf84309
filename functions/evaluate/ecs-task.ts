/**
 * Reading an ECS task (DescribeTasks' Task, as `ecs:runTask.sync` returns it, or as the JSON
 * `Cause` of `States.TaskFailed`) without trusting it. No AWS SDK.
 *
 * Step Functions writes the task with PascalCase keys (`TaskArn`, `Containers[].ExitCode`); the
 * ECS API and its SDKs use camelCase. Both are accepted, so a hand-made or differently
 * serialised task is read the same. A field of the wrong type is dropped, never fatal: the
 * classifier then sees it as missing (a missing exit code is a failure, never 0).
 */
import * as z from 'zod';
import type { TaskResult } from '../shared/contracts.ts';

export type TaskContainer = NonNullable<TaskResult['Containers']>[number];

const text = z.string().optional().catch(undefined);
const time = z.union([z.string(), z.number()]).optional().catch(undefined);
// ECS exit codes are integers; anything else (null, "1", 1.5) means "no exit code".
const exitCode = z.int().optional().catch(undefined);

const containerSchema = z.looseObject({
  Name: text,
  ExitCode: exitCode,
  Reason: text,
  LastStatus: text,
  RuntimeId: text,
});

const taskSchema = z.looseObject({
  TaskArn: text,
  LastStatus: text,
  StopCode: text,
  StoppedReason: text,
  PullStartedAt: time,
  StartedAt: time,
  StoppedAt: time,
  CapacityProviderName: text,
  Cpu: text,
  Memory: text,
  Containers: z
    .array(z.unknown())
    .optional()
    .catch(undefined)
    .transform((items) =>
      items?.flatMap((item) => {
        const parsed = containerSchema.safeParse(pascalKeys(item));
        return parsed.success ? [parsed.data] : [];
      }),
    ),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `taskArn` → `TaskArn`, one level deep; a key present in both spellings keeps PascalCase's. */
function pascalKeys(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const pascal = key.charAt(0).toUpperCase() + key.slice(1);
    if (pascal === key || !(pascal in value)) out[pascal] = item;
  }
  return out;
}

/** Keys that only an ECS task has: an object with none of them is not one. */
const TASK_KEYS = ['TaskArn', 'Containers', 'StopCode', 'StoppedReason', 'LastStatus'] as const;

/** The task's fields serverless-dbt reads, or undefined when `value` is not a task at all. */
export function readTask(value: unknown): TaskResult | undefined {
  const candidate = pascalKeys(value);
  if (!isRecord(candidate) || !TASK_KEYS.some((key) => candidate[key] !== undefined)) {
    return undefined;
  }
  const parsed = taskSchema.safeParse(candidate);
  if (!parsed.success) return undefined;
  const {
    TaskArn,
    LastStatus,
    StopCode,
    StoppedReason,
    PullStartedAt,
    StartedAt,
    StoppedAt,
    CapacityProviderName,
    Cpu,
    Memory,
    Containers,
  } = parsed.data;
  return dropUndefined({
    TaskArn,
    LastStatus,
    StopCode,
    StoppedReason,
    PullStartedAt,
    StartedAt,
    StoppedAt,
    CapacityProviderName,
    Cpu,
    Memory,
    Containers: Containers?.map(({ Name, ExitCode, Reason, LastStatus, RuntimeId }) =>
      dropUndefined<TaskContainer>({ Name, ExitCode, Reason, LastStatus, RuntimeId }),
    ),
  });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== undefined),
  ) as unknown as T;
}

/** A task from the JSON text of a Catch's `Cause`, or undefined when it holds none. */
export function taskFromCause(cause: string | undefined): TaskResult | undefined {
  const parsed = parseJson(cause);
  return parsed === undefined ? undefined : readTask(parsed);
}

/** JSON.parse that returns undefined for anything that is not JSON. */
export function parseJson(textValue: unknown): unknown {
  if (typeof textValue !== 'string' || textValue.trim() === '') return undefined;
  try {
    return JSON.parse(textValue);
  } catch {
    return undefined;
  }
}

/** The task's id: the last segment of its ARN (…:task/<cluster>/<id>), or null. */
export function taskIdOf(task: TaskResult | undefined): string | null {
  const arn = task?.TaskArn;
  if (!arn) return null;
  const id = arn.split('/').pop();
  return id ? id : null;
}

/** One entry of RunTask's `Failures` (ECS's Failure type: arn, reason, detail). */
export interface RunTaskFailure {
  arn: string | null;
  reason: string;
  detail: string | null;
}

const failureText = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value : null;

function readFailure(value: unknown): RunTaskFailure | undefined {
  const item = pascalKeys(value);
  if (!isRecord(item)) return undefined;
  const reason = failureText(item.Reason);
  const detail = failureText(item.Detail);
  if (reason === null && detail === null) return undefined;
  return { arn: failureText(item.Arn), reason: reason ?? detail ?? '', detail };
}

/**
 * The failures of a RunTask that answered with `Failures` and no task, from the Cause of the
 * `AmazonECS.Unknown` error Step Functions fails the `.sync` state with. AWS documents the
 * error's name, not its Cause, so every form is read: the RunTask response as JSON (`Failures`
 * or `failures`, PascalCase or camelCase items, alone or under `Response`), a JSON list of
 * failures, or plain text, taken as one failure's reason. Empty when there is nothing to read.
 */
export function runTaskFailuresFromCause(cause: string | undefined): RunTaskFailure[] {
  if (cause === undefined || cause.trim() === '') return [];
  const parsed = parseJson(cause);
  if (parsed === undefined) {
    // Text cut short from JSON is not a reason.
    return /^\s*[{[]/.test(cause) ? [] : [{ arn: null, reason: cause, detail: null }];
  }
  if (typeof parsed === 'string') return runTaskFailuresFromCause(parsed);
  const list = failureList(parsed);
  return list.flatMap((item) => readFailure(item) ?? []);
}

function failureList(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  const record = pascalKeys(value);
  if (!isRecord(record)) return [];
  if (Array.isArray(record.Failures)) return record.Failures;
  if (isRecord(record.Response)) return failureList(record.Response);
  const message = failureText(record.ErrorMessage) ?? failureText(record.Message);
  return message === null ? [] : [{ Reason: message }];
}
