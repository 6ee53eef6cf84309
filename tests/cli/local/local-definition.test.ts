import { StateMachine } from 'aws-local-stepfunctions';
import {
  AWS_DEFAULT_TASK_TIMEOUT_SECONDS,
  type Definition,
  LOCAL_DEFAULT_TASK_TIMEOUT_SECONDS,
  localDefinition,
  localStateContext,
} from '../../../cli/local/local-definition.ts';

const slowTask: Definition = {
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:states:::ecs:runTask.sync',
      Parameters: { 'Cluster.$': '$.cluster' },
      TimeoutSecondsPath: '$.limits.seconds',
      End: true,
    },
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runLocally(definition: Definition, input: unknown, taskMs: number) {
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkPaths: false },
  });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: {
        Work: async () => {
          await sleep(taskMs);
          return { done: true };
        },
      },
    },
  });
  return execution.result.then(
    (output) => ({ output, error: undefined as string | undefined }),
    (error: Error) => ({ output: undefined, error: String(error.cause ?? error.message) }),
  );
}

describe('localDefinition', () => {
  it('reads TimeoutSecondsPath from the state input, as AWS does, though Parameters drop the field', async () => {
    const input = { cluster: 'c', limits: { seconds: 1 } };

    const asDeployed = await runLocally(slowTask, input, 10);
    const adapted = await runLocally(localDefinition(slowTask), input, 1500);

    expect(asDeployed.error).toMatch(/limits\.seconds/);
    expect(adapted.error).toMatch(/States\.Timeout/);
  });

  it('lets a task finish within the limit read from the input', async () => {
    const adapted = await runLocally(
      localDefinition(slowTask),
      { cluster: 'c', limits: { seconds: 5 } },
      10,
    );

    expect(adapted).toEqual({ output: { done: true }, error: undefined });
  });

  it("gives a Task with no timeout the longest wait this host allows instead of the library's 60 s", () => {
    const noTimeout: Definition = {
      StartAt: 'Call',
      States: {
        Call: { Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:1:function:f', End: true },
      },
    };

    const timeout = Number(localDefinition(noTimeout).States.Call?.TimeoutSeconds);
    expect(timeout).toBe(LOCAL_DEFAULT_TASK_TIMEOUT_SECONDS);
    expect(timeout).toBeGreaterThan(60);
    expect(timeout).toBeLessThanOrEqual(AWS_DEFAULT_TASK_TIMEOUT_SECONDS);
    // setTimeout's longest delay: a longer one would fire at once.
    expect(timeout * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('lets a Task with no timeout run as long as it takes (no overflowed timer)', async () => {
    const noTimeout: Definition = {
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', End: true } },
    };
    const machine = new StateMachine(localDefinition(noTimeout) as never, {
      validationOptions: { checkPaths: false },
    });
    const execution = machine.run(
      {},
      {
        overrides: {
          taskResourceLocalHandlers: {
            Work: async () => {
              await sleep(100);
              return { done: true };
            },
          },
        },
      },
    );

    expect(await execution.result).toEqual({ done: true });
  });

  it('leaves explicit TimeoutSeconds and non-Task states alone, and never changes the deployed definition', () => {
    const deployed: Definition = {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:eu-west-1:1:function:f',
          TimeoutSeconds: 30,
          Next: 'Wait',
        },
        Wait: { Type: 'Pass', Next: 'Work' },
        Work: slowTask.States.Work ?? {},
      },
    };
    const before = structuredClone(deployed);

    const adapted = localDefinition(deployed);

    expect(deployed).toEqual(before);
    expect(adapted.States.Call?.TimeoutSeconds).toBe(30);
    expect(adapted.States.Wait).toEqual(deployed.States.Wait);
  });

  it('resolves paths nested in Parameters, even for a definition copied across realms', async () => {
    // structuredClone here (jest's vm realm) makes objects of the outer realm, as a definition
    // read by another module can be; the library skips nested templates in such objects.
    const deployed = structuredClone({
      StartAt: 'Delete',
      States: {
        Delete: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:deleteItem',
          Parameters: { Key: { lockId: { 'S.$': '$.lock' } } },
          End: true,
        },
      },
    }) as Definition;
    const machine = new StateMachine(localDefinition(deployed) as never, {
      validationOptions: { checkPaths: false },
    });
    const execution = machine.run(
      { lock: 'the-lock' },
      {
        overrides: { taskResourceLocalHandlers: { Delete: async (input) => input } },
      },
    );

    expect(await execution.result).toEqual({ Key: { lockId: { S: 'the-lock' } } });
  });
});

describe('localStateContext', () => {
  // RunDbt's RUN_ATTEMPT_STARTED_AT and RUN_ATTEMPT, as dbt-run.asl.yml writes them.
  const twoStates: Definition = {
    StartAt: 'First',
    States: {
      First: {
        Type: 'Pass',
        Parameters: {
          'attempt.$': "States.Format('{}', $.attempt)",
          'enteredAt.$': '$$.State.EnteredTime',
        },
        ResultPath: '$.first',
        Next: 'Pause',
      },
      Pause: { Type: 'Wait', Seconds: 1, Next: 'Second' },
      Second: {
        Type: 'Pass',
        Parameters: { 'first.$': '$.first', 'enteredAt.$': '$$.State.EnteredTime' },
        End: true,
      },
    },
  };

  async function run(context: Record<string, unknown>) {
    const machine = new StateMachine(localDefinition(twoStates) as never, {
      validationOptions: { checkPaths: false },
    });
    return machine.run({ attempt: 2 } as never, { context: context as never }).result.then(
      (output) => ({ output: output as Record<string, Record<string, string>>, error: undefined }),
      (error: Error) => ({ output: undefined, error: String(error.cause ?? error.message) }),
    );
  }

  it('gives $$.State.EnteredTime, which the library lacks, the time each state is entered', async () => {
    const without = await run({});
    const before = Date.now();
    const adapted = await run({ State: localStateContext() });
    const after = Date.now();

    expect(without.error).toMatch(/\$\$\.State\.EnteredTime/);
    const first = Date.parse(adapted.output?.first?.enteredAt ?? '');
    const second = Date.parse(adapted.output?.enteredAt as unknown as string);
    expect(first).toBeGreaterThanOrEqual(before);
    expect(second).toBeLessThanOrEqual(after);
    // The Wait between them: each state reads its own entry, not the execution's start.
    expect(second - first).toBeGreaterThanOrEqual(900);
    expect(adapted.output?.first?.enteredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('formats the attempt number as a string, as AWS does for States.Format', async () => {
    const adapted = await run({ State: localStateContext() });

    expect(adapted.output?.first?.attempt).toBe('2');
  });
});
