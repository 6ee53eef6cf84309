import {
  buildMessage,
  formatDuration,
  LIMITS,
  type SlackBlock,
  type SlackMessage,
} from '../../../functions/notify/message.ts';
import { blockKitProblem } from '../../support/slack-server.ts';
import {
  ATTEMPT_ARTIFACTS_URI,
  MESSAGE_CONTEXT as CONTEXT,
  DBT_FAILED,
  EXECUTION_ARN,
  EXECUTION_NAME,
  evaluation,
  finished,
  INVALID_INPUT,
  node,
  OUT_OF_MEMORY,
  REGION,
  RUN,
  SUCCEEDED,
  started,
  summary,
  TASK_ID,
} from './events.ts';

/** Every text of the message, as one string. */
function allText(message: SlackMessage): string {
  const texts = message.blocks.flatMap((block: SlackBlock) => {
    switch (block.type) {
      case 'header':
        return [block.text.text];
      case 'section':
        return block.text ? [block.text.text] : block.fields.map((field) => field.text);
      case 'context':
        return block.elements.map((element) => element.text);
      default:
        return [];
    }
  });
  return texts.join('\n');
}

function sectionTexts(message: SlackMessage): string[] {
  return message.blocks.flatMap((block) =>
    block.type === 'section' && block.text ? [block.text.text] : [],
  );
}

describe('the Slack message of a finished run', () => {
  it('reports a success with job, stage, trigger, command, duration, counts and links', () => {
    const message = buildMessage(SUCCEEDED, CONTEXT);
    expect(message.blocks[0]).toStrictEqual({
      type: 'header',
      text: { type: 'plain_text', text: '✅ nightly: succeeded', emoji: true },
    });
    const text = allText(message);
    expect(text).toContain('*Stage*\ndev');
    expect(text).toContain('*Trigger*\nschedule');
    expect(text).toContain('*Command*\n`dbt build --select tag:daily`');
    expect(text).toContain('*Duration*\n11m 07s');
    expect(text).toContain('*Attempt*\n1');
    expect(text).toContain('12 success · 30 pass · 0 error · 0 fail · 0 warn · 0 skipped');
    expect(text).toContain(
      `<https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${EXECUTION_ARN}|Execution>`,
    );
    expect(text).toContain(
      `<https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#logsV2:log-groups/log-group/$252Fecs$252Fserverless-dbt-dev/log-events/dbt$252Fdbt$252F${TASK_ID}|Task log>`,
    );
    expect(text).toContain('<https://wiki.example.com/dbt/runbook|Docs>');
    // The judged attempt's folder, not the run's: its run_results.json and docs page are there.
    expect(text).toContain(
      `&amp;prefix=${encodeURIComponent(`dbt/runs/${EXECUTION_NAME}/attempt-1/`)}&amp;showversions=false|Artifacts>`,
    );
    expect(text).not.toContain('Hint');
    expect(message.text).toBe('✅ dbt job nightly succeeded (dev)');
    expect(blockKitProblem(message)).toBeUndefined();
  });

  it('shows what the run cost on the summary line, and each attempt’s share after a retry', () => {
    const cost = {
      usd: 0.01234,
      fargateUsd: 0.012,
      orchestrationUsd: 0.00034,
      attempts: [
        { attempt: 1, capacityProvider: 'FARGATE_SPOT' as const, billedSeconds: 598, usd: 0.012 },
      ],
      stateTransitions: 10,
      lambdaInvocations: 3,
      pricesRegion: 'eu-west-1',
      pricesReadOn: '2026-12-02',
    };
    const succeededEvaluation = SUCCEEDED.state.evaluation;
    if (succeededEvaluation === undefined) throw new Error('SUCCEEDED has an evaluation');
    const once = allText(buildMessage(finished({ ...succeededEvaluation, cost }), CONTEXT));
    expect(once).toContain('0 skipped · cost $0.0123');
    const twice = {
      ...cost,
      usd: 0.05,
      attempts: [
        { attempt: 1, capacityProvider: 'FARGATE_SPOT' as const, billedSeconds: 90, usd: 0.0011 },
        { attempt: 2, capacityProvider: 'FARGATE' as const, billedSeconds: 600, usd: 0.0485 },
      ],
    };
    const retried = allText(
      buildMessage(finished({ ...succeededEvaluation, cost: twice }), CONTEXT),
    );
    expect(retried).toContain(
      'cost $0.0500 (attempt 1 on FARGATE_SPOT $0.0011, attempt 2 on FARGATE $0.0485)',
    );
    // No cost (Evaluate failed): the line has the counts alone.
    expect(allText(buildMessage(SUCCEEDED, CONTEXT))).not.toContain('cost $');
  });

  it("shows a run-operation's macro and its options, never its args' values", () => {
    const run = RUN;
    const spec = {
      ...run.spec,
      command: 'run-operation' as const,
      select: undefined,
      macro: 'drop_schema_by_name',
      args: { schema_name: 'pr_42_secretish' },
      threads: 2,
      warnError: true,
    };
    const event = { ...SUCCEEDED, state: { ...SUCCEEDED.state, run: { ...run, spec } } };
    const text = allText(buildMessage(event, CONTEXT));
    expect(text).toContain(
      '*Command*\n`dbt run-operation drop_schema_by_name --args … --warn-error --threads 2`',
    );
    expect(text).not.toContain('pr_42_secretish');
  });

  it('shows a selector, fail-fast and source freshness as dbt would be called', () => {
    const run = RUN;
    const spec = {
      ...run.spec,
      command: 'source freshness' as const,
      select: undefined,
      selector: 'nightly',
      failFast: true,
    };
    const event = { ...SUCCEEDED, state: { ...SUCCEEDED.state, run: { ...run, spec } } };
    expect(allText(buildMessage(event, CONTEXT))).toContain(
      '*Command*\n`dbt source freshness --selector nightly --fail-fast`',
    );
  });

  it('lists the failing nodes with their messages, errors first, and the reason', () => {
    const message = buildMessage(DBT_FAILED, CONTEXT);
    expect(message.blocks[0]).toMatchObject({
      text: { text: '❌ nightly: dbt reported failures' },
    });
    const text = allText(message);
    expect(text).toContain('dbt reported failures (exit code 1): 1 error, 2 failing tests.');
    expect(text).toContain('*Exit code*\n1');
    const nodes = sectionTexts(message).find((section) => section.startsWith('*Did not succeed'));
    expect(nodes?.split('\n')).toStrictEqual([
      '*Did not succeed: 3 nodes*',
      '❌ `model.shop.orders` error: relation "raw.orders" does not exist',
      '❗ `test.shop.not_null_orders_id` fail: Got 3 results, configured to fail if != 0',
      '⏭️ `model.shop.orders_daily` skipped',
    ]);
    expect(text).not.toContain('more (see run_results.json');
    expect(message.text).toBe(
      '❌ dbt job nightly dbt reported failures (dev): dbt reported failures (exit code 1): 1 error, 2 failing tests.',
    );
  });

  it('shows the reason, stopped reason and hint of an out-of-memory run', () => {
    const message = buildMessage(OUT_OF_MEMORY, CONTEXT);
    expect(message.blocks[0]).toMatchObject({ text: { text: '💥 nightly: out of memory' } });
    expect(sectionTexts(message)[0]).toBe(
      [
        'The dbt container ran out of memory and was killed.',
        '*Stopped:* OutOfMemoryError: Container killed due to memory usage',
        '*Hint:* Raise the task memory, now 1024 MiB (param taskMemory).',
      ].join('\n'),
    );
    expect(allText(message)).toContain('*Exit code*\n137');
    expect(allText(message)).toContain('*Stop code*\nEssentialContainerExited');
  });

  it('reports invalid input, where Prepare failed and the state has no run, under the input job', () => {
    const message = buildMessage(INVALID_INPUT, CONTEXT);
    expect(message.blocks[0]).toMatchObject({ text: { text: '🚫 hourly: invalid run input' } });
    const text = allText(message);
    expect(text).toContain("The run input is invalid: select: contains ';'");
    expect(text).toContain('*Hint:* Fix the run input; see docs/run-input.md.');
    expect(text).toContain('*Stage*\ndev');
    expect(text).toContain('*Trigger*\n—');
    expect(text).toContain('*Duration*\n11m 07s');
    expect(text).toContain('|Execution>');
    // No task ran: no log link, no artifacts.
    expect(text).not.toContain('Task log');
    expect(text).not.toContain('Artifacts');
    expect(blockKitProblem(message)).toBeUndefined();
  });

  it('says when a run has no verdict at all', () => {
    const message = buildMessage(finished(undefined), CONTEXT);
    expect(message.blocks[0]).toMatchObject({
      text: { text: '❓ nightly: finished without a verdict' },
    });
  });

  it('names an earlier attempt that failed on infrastructure', () => {
    const event = finished(evaluation('SUCCEEDED', { attempt: 2 }));
    event.state.previousAttempt = evaluation('INFRA_RETRYABLE', { attempt: 1 });
    expect(allText(buildMessage(event, CONTEXT))).toContain(
      '*Attempt*\n2 (attempt 1: INFRA_RETRYABLE)',
    );
  });

  it('flags the models slower than usual on a success: "orders: 4m12s, usually 1m05s"', () => {
    const slowModels = [
      { uniqueId: 'model.shop.orders', seconds: 252, medianSeconds: 65, runsCompared: 10 },
      { uniqueId: 'model.shop.<b>&`x`', seconds: 3725, medianSeconds: 61.2, runsCompared: 3 },
    ];
    const event = finished(evaluation('SUCCEEDED', { summary: { ...summary([]), slowModels } }));
    const message = buildMessage(event, CONTEXT);

    const section = sectionTexts(message).find((text) => text.startsWith('*Slower than usual'));
    expect(section?.split('\n')).toStrictEqual([
      '*Slower than usual: 2 models*',
      '🐢 `orders`: 4m12s, usually 1m05s',
      "🐢 `&lt;b&gt;&amp;'x'`: 1h02m05s, usually 1m01s",
    ]);
    expect(blockKitProblem(message)).toBeUndefined();
    expect(allText(buildMessage(SUCCEEDED, CONTEXT))).not.toContain('Slower than usual');
  });

  it('says what a state-aware run built and deferred, and why', () => {
    const stateAware = {
      comparedWith: 'run-41',
      models: 15,
      built: 2,
      deferred: 13,
      reason: '2 of 15 models changed or read newer source data since run run-41; 13 deferred',
    };
    const event = finished(evaluation('SUCCEEDED', { summary: { ...summary([]), stateAware } }));
    const message = buildMessage(event, CONTEXT);

    expect(allText(message)).toContain(
      '🔁 state-aware: 2 of 15 models changed or read newer source data since run run-41; 13 deferred',
    );
    expect(blockKitProblem(message)).toBeUndefined();
    expect(allText(buildMessage(SUCCEEDED, CONTEXT))).not.toContain('state-aware');
  });

  it('lists ten slow models and counts the rest', () => {
    const slowModels = Array.from({ length: 20 }, (_, index) => ({
      uniqueId: `model.shop.m${index}`,
      seconds: 100,
      medianSeconds: 10,
      runsCompared: 5,
    }));
    const event = finished(
      evaluation('DBT_FAILED', { exitCode: 1, summary: { ...summary([node(0)]), slowModels } }),
    );
    const section = sectionTexts(buildMessage(event, CONTEXT)).find((text) =>
      text.startsWith('*Slower than usual'),
    );
    const lines = section?.split('\n') ?? [];
    expect(lines.filter((line) => line.startsWith('🐢'))).toHaveLength(10);
    expect(lines.at(-1)).toBe('…and 10 more (see summary.json)');
  });

  it('collapses the nodes skipped downstream of one failure into one line that counts them', () => {
    const failure = node(0, { uniqueId: 'model.shop.stg_orders' });
    const unknownCause = node(1, { status: 'skipped', message: null });
    const event = finished(
      evaluation('DBT_FAILED', {
        exitCode: 1,
        summary: {
          ...summary([unknownCause, failure]),
          skippedDownstream: [{ of: ['model.shop.stg_orders'], count: 17 }],
        },
      }),
    );

    const lines = sectionTexts(buildMessage(event, CONTEXT)).join('\n').split('\n');

    const title = lines.indexOf('*Did not succeed: 19 nodes*');
    expect(title).toBeGreaterThanOrEqual(0);
    expect(lines.slice(title + 1)).toStrictEqual([
      expect.stringMatching(/^❌ `model\.shop\.stg_orders` error/),
      '⏭️ 17 skipped downstream of stg_orders',
      '⏭️ `model.shop.model_0001` skipped',
    ]);
    expect(allText(buildMessage(event, CONTEXT))).not.toContain('more (see run_results.json');
  });

  it('counts the skipped nodes of a group it had no room for among those it leaves out', () => {
    const failures = Array.from({ length: 50 }, (_, index) => node(index));
    const event = finished(
      evaluation('DBT_FAILED', {
        exitCode: 1,
        summary: {
          ...summary(failures),
          skippedDownstream: [{ of: ['model.shop.model_0000'], count: 400 }],
        },
      }),
    );
    const text = allText(buildMessage(event, CONTEXT));
    expect(text).toContain('*Did not succeed: 450 nodes*');
    expect(text).not.toContain('skipped downstream of');
    expect(text).toMatch(/…and (4\d\d) more/);
  });

  it('keeps within Slack limits with 2,000 failing nodes, and counts what it leaves out', () => {
    const nodes = Array.from({ length: 2000 }, (_, index) =>
      node(index, { message: `${'x'.repeat(450)} & <b> ${index}` }),
    );
    const event = finished(evaluation('DBT_FAILED', { exitCode: 1, summary: summary(nodes, 500) }));
    const message = buildMessage(event, CONTEXT);
    expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    for (const text of sectionTexts(message)) {
      expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
    expect(blockKitProblem(message)).toBeUndefined();
    const listed = sectionTexts(message)
      .join('\n')
      .split('\n')
      .filter((line) => line.startsWith('❌'));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThanOrEqual(50);
    const more = 2000 + 500 - listed.length;
    expect(allText(message)).toContain(
      `…and ${more.toLocaleString('en-US')} more (see run_results.json in ${ATTEMPT_ARTIFACTS_URI})`,
    );
    expect(allText(message)).toContain('*Did not succeed: 2,500 nodes*');
    expect(JSON.stringify(message).length).toBeLessThan(40_000);
  });

  it('cuts a very long node message and a very long id without breaking an entity', () => {
    const event = finished(
      evaluation('DBT_FAILED', {
        summary: summary([
          node(1, { uniqueId: `model.${'a'.repeat(5000)}`, message: '&'.repeat(5000) }),
        ]),
      }),
    );
    const message = buildMessage(event, CONTEXT);
    expect(blockKitProblem(message)).toBeUndefined();
    const line = sectionTexts(message).find((text) => text.includes('❌')) ?? '';
    expect(line).toMatch(/(&amp;)+…$/);
  });

  it('escapes <, > and & in node messages, ids and reasons so they can neither link nor mention', () => {
    const event = finished(
      evaluation('DBT_ERROR', {
        reason: 'Compilation Error <!channel> in <https://evil.example|click> & more',
        summary: summary([node(1, { message: 'expected <int> & got <!here>' })]),
      }),
    );
    const message = buildMessage(event, CONTEXT);
    const text = allText(message);
    expect(text).toContain(
      'Compilation Error &lt;!channel&gt; in &lt;https://evil.example|click&gt; &amp; more',
    );
    expect(text).toContain('expected &lt;int&gt; &amp; got &lt;!here&gt;');
    expect(text).not.toContain('<!');
    expect(message.text).not.toContain('<!channel>');
  });
});

describe('the retry command in the Slack message of a failed run', () => {
  const RETRY = `*Retry what failed:* \`bin/serverless-dbt retry --stage dev ${EXECUTION_NAME}\``;
  const dbtFailedEvaluation = DBT_FAILED.state.evaluation as NonNullable<
    typeof DBT_FAILED.state.evaluation
  >;

  it('follows the reason and hint of a DBT_FAILED run, with the stage and run id to paste', () => {
    const event = finished({ ...dbtFailedEvaluation, hint: 'Fix the nodes, then retry.' });
    expect(sectionTexts(buildMessage(event, CONTEXT))[0]).toBe(
      [
        'dbt reported failures (exit code 1): 1 error, 2 failing tests.',
        '*Hint:* Fix the nodes, then retry.',
        RETRY,
      ].join('\n'),
    );
    // The stage is the run's own, whatever Notify's setting says.
    const otherStage = allText(buildMessage(event, { ...CONTEXT, stage: 'live' }));
    expect(otherStage).toContain(RETRY);
  });

  it('is shown for a run stopped at its deadline or cancelled after dbt ran nodes', () => {
    for (const verdict of ['TIMED_OUT', 'CANCELLED'] as const) {
      const event = finished(evaluation(verdict, { summary: summary([node(1)]) }));
      expect(allText(buildMessage(event, CONTEXT))).toContain(RETRY);
    }
  });

  it('is left out where a retry cannot help or would be refused: no dbt results, a verdict to fix first, a local run', () => {
    const withNodes = { summary: summary([node(1)]) };
    for (const verdict of [
      'SUCCEEDED',
      'DBT_ERROR',
      'CONFIG_ERROR',
      'OUT_OF_MEMORY',
      'INFRA_FAILED',
      'ARTIFACTS_LOST',
      'NOTHING_SELECTED',
      'SKIPPED_OVERLAP',
    ] as const) {
      const text = allText(buildMessage(finished(evaluation(verdict, withNodes)), CONTEXT));
      expect(text).not.toContain('Retry what failed');
    }
    expect(allText(buildMessage(INVALID_INPUT, CONTEXT))).not.toContain('Retry what failed');
    // DBT_FAILED before the command ran (stale sources with freshness fail): no node results.
    const noNodes = {
      ...summary([]),
      counts: { success: 0, pass: 0, error: 0, fail: 0, warn: 0, skipped: 0 },
    };
    const staleSources = finished({ ...dbtFailedEvaluation, summary: noNodes });
    expect(allText(buildMessage(staleSources, CONTEXT))).not.toContain('Retry what failed');
    // A run of `serverless-dbt local` keeps its artifacts on this machine: AWS has nothing.
    const local = finished({
      ...dbtFailedEvaluation,
      output: { ...dbtFailedEvaluation.output, artifactsUri: 'file:///tmp/runs/x/attempt-1/' },
    });
    expect(allText(buildMessage(local, CONTEXT))).not.toContain('Retry what failed');
  });
});

describe('the Slack message of a started run', () => {
  it('is short: job, stage, trigger, command and the execution link', () => {
    const message = buildMessage(started(), CONTEXT);
    expect(message.text).toBe('▶️ dbt job nightly started (dev, schedule)');
    expect(message.blocks[0]).toMatchObject({ text: { text: '▶️ nightly: started' } });
    const text = allText(message);
    expect(text).toContain('*Command*\n`dbt build --select tag:daily`');
    expect(text).toContain('*Trigger*\nschedule');
    expect(text).toContain('|Execution>');
    expect(text).not.toContain('Task log');
    expect(message.blocks.length).toBeLessThanOrEqual(4);
    expect(blockKitProblem(message)).toBeUndefined();
  });
});

describe('helpers', () => {
  it('formats durations', () => {
    expect(formatDuration(12_400)).toBe('12s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(3_723_000)).toBe('1h 02m 03s');
    expect(formatDuration(-5)).toBe('0s');
  });
});
