// What a pull request's check shows: annotations on the failing nodes' files, and the step
// summary around the run's report.
import { annotations, nodeFile, schemaOf, stepSummary } from '../../../cli/ci/check.ts';

const MANIFEST = {
  nodes: {
    'model.shop.orders': {
      original_file_path: 'models/marts/orders.sql',
      schema: 'main_pr_42',
      resource_type: 'model',
    },
    'test.shop.unique_orders_order_id.abc': {
      original_file_path: 'models/marts/_marts.yml',
      schema: 'main_pr_42_dbt_test__audit',
      resource_type: 'test',
    },
  },
  sources: { 'source.shop.raw.orders': { original_file_path: 'models/staging/__sources.yml' } },
  unit_tests: {
    'unit_test.shop.orders.orders_sums_items_per_order': {
      original_file_path: 'models/marts/_marts.yml',
    },
  },
};

describe('nodeFile', () => {
  test('gives the node file as a path from the repository root, where GitHub anchors annotations', () => {
    expect(nodeFile(MANIFEST, 'model.shop.orders', '/repo/dbt', '/repo')).toBe(
      'dbt/models/marts/orders.sql',
    );
    expect(nodeFile(MANIFEST, 'source.shop.raw.orders', '/repo/dbt', '/repo')).toBe(
      'dbt/models/staging/__sources.yml',
    );
    expect(
      nodeFile(MANIFEST, 'unit_test.shop.orders.orders_sums_items_per_order', '/repo/dbt', '/repo'),
    ).toBe('dbt/models/marts/_marts.yml');
  });

  test('gives no file for a node the manifest does not know, or a project outside the repository', () => {
    expect(nodeFile(MANIFEST, 'model.shop.nope', '/repo/dbt', '/repo')).toBeNull();
    expect(nodeFile(null, 'model.shop.orders', '/repo/dbt', '/repo')).toBeNull();
    expect(nodeFile(MANIFEST, 'model.shop.orders', '/elsewhere/dbt', '/repo')).toBeNull();
  });
});

describe('schemaOf', () => {
  test("reads the pull request's schema from a model of the manifest, not from a test", () => {
    expect(schemaOf(MANIFEST)).toBe('main_pr_42');
    expect(schemaOf({ nodes: {} })).toBeNull();
  });
});

describe('annotations', () => {
  const fileOf = (uniqueId: string) => nodeFile(MANIFEST, uniqueId, '/repo/dbt', '/repo');

  test('annotates an error on its file and a warning as a warning, and leaves passing nodes alone', () => {
    const lines = annotations(
      [
        { uniqueId: 'model.shop.orders', status: 'error', message: 'column "x" does not exist' },
        {
          uniqueId: 'test.shop.unique_orders_order_id.abc',
          status: 'warn',
          message: 'Got 2 results',
        },
        { uniqueId: 'model.shop.customers', status: 'success', message: null },
        { uniqueId: 'model.shop.stg_orders', status: 'skipped', message: null },
      ],
      fileOf,
    );
    expect(lines).toEqual([
      '::error file=dbt/models/marts/orders.sql,title=model.shop.orders%3A error::column "x" does not exist',
      '::warning file=dbt/models/marts/_marts.yml,title=test.shop.unique_orders_order_id.abc%3A warn::Got 2 results',
    ]);
  });

  test('escapes what would end a workflow command early: newlines in the message, commas and colons in properties', () => {
    const [line] = annotations(
      [{ uniqueId: 'model.shop.a,b', status: 'fail', message: 'line one\nline two 100%' }],
      () => 'dbt/models/a:b.sql',
    );
    expect(line).toBe(
      '::error file=dbt/models/a%3Ab.sql,title=model.shop.a%2Cb%3A fail::line one%0Aline two 100%25',
    );
  });

  test("leaves out dbt's header line, which names the node the title names already", () => {
    const [line] = annotations(
      [
        {
          uniqueId: 'model.shop.orders',
          status: 'error',
          message:
            'Runtime Error in model orders (models/marts/orders.sql)\n  Binder Error: no_such_column',
        },
      ],
      () => null,
    );
    expect(line).toBe('::error title=model.shop.orders%3A error::Binder Error: no_such_column');
  });

  test('names the status when dbt gave no message, and leaves out the file it does not know', () => {
    expect(
      annotations([{ uniqueId: 'model.shop.x', status: 'error', message: null }], () => null),
    ).toEqual(['::error title=model.shop.x%3A error::dbt reported error']);
  });
});

describe('stepSummary', () => {
  test('heads a build with its outcome, what changed, the state and the schema, then the report', () => {
    const text = stepSummary({
      pullRequest: 42,
      action: 'build',
      verdict: 'DBT_FAILED',
      stateAware: '2 of 6 models changed since run live-1; 4 deferred',
      stateUri: 's3://bucket/dbt/latest/',
      schema: 'main_pr_42',
      report: 'run x (job pr-42): FAILED: DBT_FAILED',
      annotationsOmitted: 3,
    });
    expect(text.split('\n').slice(0, 7)).toEqual([
      '### Slim CI: dbt build of what pull request #42 changed: failed: DBT_FAILED',
      '',
      '- 2 of 6 models changed since run live-1; 4 deferred',
      '- compared with and deferred to `s3://bucket/dbt/latest/`',
      '- built into schema `main_pr_42`',
      '- 3 more nodes did not pass than the 10 annotated in the diff; all are listed below',
      '',
    ]);
    expect(text).toContain('```text\nrun x (job pr-42): FAILED: DBT_FAILED\n```');
  });

  test('fences the report with more backticks than any message holds, so a message cannot end it', () => {
    const text = stepSummary({
      pullRequest: 7,
      action: 'drop',
      verdict: 'SUCCEEDED',
      report: 'error near ```` here',
    });
    expect(
      text.startsWith(
        '### Slim CI: the schema of pull request #7 dropped: succeeded\n\n`````text\n',
      ),
    ).toBe(true);
    expect(text.trimEnd().endsWith('\n`````')).toBe(true);
  });
});
