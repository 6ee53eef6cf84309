// The one place where the deployed state machine definition is adapted for
// aws-local-stepfunctions 3.0.0, which differs from AWS in three ways:
//  - a Task with no TimeoutSeconds times out after 60 s (AWS: 99999999 s; here the longest
//    wait setTimeout allows, about 24.8 days);
//  - TimeoutSecondsPath is read from the state's input *after* Parameters (AWS: before);
//  - the context object has no `$$.State`, so `$$.State.EnteredTime` (RunDbt's
//    RUN_ATTEMPT_STARTED_AT) fails the execution with States.Runtime: localStateContext()
//    supplies it.
// The deployed definition is never changed: this returns an adapted deep copy, and
// tests/cli/local/local-definition.test.ts holds each adaptation to AWS's behaviour.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateDefinition = { [key: string]: Json };
export interface Definition {
  StartAt: string;
  States: Record<string, StateDefinition>;
  [key: string]: Json;
}

/** AWS's own limit for a Task with no TimeoutSeconds. */
export const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/**
 * What stands for it here: the library waits with setTimeout, whose longest delay is
 * 2^31 - 1 ms (about 24.8 days); a longer one fires at once (TimeoutOverflowWarning).
 */
export const LOCAL_DEFAULT_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
/** Where the copied timeout travels in the adapted Parameters. */
export const LOCAL_TIMEOUT_FIELD = 'localTimeoutSeconds';

export function localDefinition(deployed: Definition): Definition {
  // A JSON copy, not structuredClone: under jest (a vm realm) structuredClone makes objects of
  // another realm, which the library's plain-object check (prototype === Object.prototype)
  // does not recognise, and it then leaves nested Parameters such as `Key.lockId.S.$`
  // unresolved.
  const copy = JSON.parse(JSON.stringify(deployed)) as Definition;
  for (const state of allStates(copy)) {
    if (state.Type !== 'Task') continue;
    const path = state.TimeoutSecondsPath;
    const parameters = state.Parameters;
    if (typeof path === 'string' && isObject(parameters)) {
      // Read the timeout where AWS reads it (the state's input) by carrying it through
      // Parameters, where this library looks.
      parameters[`${LOCAL_TIMEOUT_FIELD}.$`] = path;
      state.TimeoutSecondsPath = `$.${LOCAL_TIMEOUT_FIELD}`;
    } else if (path === undefined && state.TimeoutSeconds === undefined) {
      state.TimeoutSeconds = LOCAL_DEFAULT_TASK_TIMEOUT_SECONDS;
    }
  }
  return copy;
}

/**
 * `$$.State` for the execution's context object (run options' `context`). EnteredTime is read
 * when a state resolves its Parameters, which the library does as it enters the state, so
 * each state, and each new entry into one, sees its own time. (On AWS a Retry of the same
 * state keeps the first entry's time; here a retry reads a later one.)
 */
export function localStateContext(now: () => Date = () => new Date()): { EnteredTime: string } {
  const state = {} as { EnteredTime: string };
  Object.defineProperty(state, 'EnteredTime', {
    enumerable: true,
    get: () => now().toISOString(),
  });
  return state;
}

/** Every state, including those inside Parallel branches and Map iterators. */
function* allStates(definition: {
  States: Record<string, StateDefinition>;
}): Generator<StateDefinition> {
  for (const state of Object.values(definition.States)) {
    yield state;
    const nested = [
      ...(Array.isArray(state.Branches) ? state.Branches : []),
      state.Iterator,
      state.ItemProcessor,
    ];
    for (const inner of nested) {
      if (isObject(inner) && isObject(inner.States)) {
        yield* allStates(inner as unknown as { States: Record<string, StateDefinition> });
      }
    }
  }
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
