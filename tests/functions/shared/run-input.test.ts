import { readFileSync } from 'node:fs';
import {
  InvalidRunInput,
  MAX_INPUT_BYTES,
  parseRunInput,
  RUN_INPUT_FIELDS,
  type RunSpec,
} from '../../../functions/shared/run-input.ts';

interface ValidCase {
  name: string;
  input: unknown;
  filled: Record<string, unknown>;
}
interface InvalidCase {
  name: string;
  input: unknown;
  field: string;
  message: string;
}
interface Vectors {
  valid: ValidCase[];
  invalid: InvalidCase[];
}

const vectors: Vectors = JSON.parse(
  readFileSync(new URL('../../fixtures/run-input-cases.json', import.meta.url), 'utf8'),
);

/** Run the parser and return the InvalidRunInput it throws (fails the test otherwise). */
function refusal(input: unknown): InvalidRunInput {
  try {
    parseRunInput(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRunInput);
    return error as InvalidRunInput;
  }
  throw new Error(`accepted ${JSON.stringify(input).slice(0, 200)}`);
}

const RANK = ['input', ...RUN_INPUT_FIELDS];

describe('shared vectors', () => {
  it('has vectors to check', () => {
    expect(vectors.valid.length).toBeGreaterThan(0);
    expect(vectors.invalid.length).toBeGreaterThan(0);
  });

  describe('valid input fills exactly', () => {
    it.each(vectors.valid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      expect(parseRunInput(c.input)).toStrictEqual(c.filled);
    });
  });

  describe("invalid input names the field, in the contract's words", () => {
    it.each(vectors.invalid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const error = refusal(c.input);
      expect(error.name).toBe('InvalidRunInput');
      expect(error.field).toBe(c.field);
      expect(error.message).toBe(`${c.field}: ${c.message}`);
    });
  });

  it('reports the earlier field when two invalid vectors are combined', () => {
    // Single-purpose vectors with disjoint fields; the oversize vector is left out
    // because combining it adds problems of its own (e.g. retry with select).
    const parts = vectors.invalid.filter(
      (c) =>
        c.field !== 'input' &&
        typeof c.input === 'object' &&
        c.input !== null &&
        !Array.isArray(c.input) &&
        RANK.includes(c.field),
    );
    let pairs = 0;
    for (const a of parts) {
      for (const b of parts) {
        const aKeys = Object.keys(a.input as object);
        const bKeys = Object.keys(b.input as object);
        if (aKeys.some((key) => bKeys.includes(key))) continue;
        const expected = RANK.indexOf(a.field) <= RANK.indexOf(b.field) ? a.field : b.field;
        const combined = { ...(a.input as object), ...(b.input as object) };
        expect([a.name, b.name, refusal(combined).field]).toEqual([a.name, b.name, expected]);
        pairs += 1;
      }
    }
    expect(pairs).toBeGreaterThan(500);
  });
});

describe('InvalidRunInput', () => {
  it('is an Error whose name Step Functions can match', () => {
    const error = new InvalidRunInput('job', 'must be a string');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidRunInput');
    expect(error.field).toBe('job');
    expect(error.message).toBe('job: must be a string');
    expect(String(error)).toBe('InvalidRunInput: job: must be a string');
  });
});

describe('selectors', () => {
  it.each([
    ['orders; rm -rf /', "select: contains ';', which is not allowed in a selector"],
    ['$(touch /tmp/pwned)', "select: contains '$', which is not allowed in a selector"],
    ['`id`', "select: contains '`', which is not allowed in a selector"],
    ["orders'", `select: contains "'", which is not allowed in a selector`],
    ['orders\nid', 'select: contains a newline (U+000A), which is not allowed in a selector'],
    ['orders\u00e9', 'select: contains U+00E9, which is not allowed in a selector'],
    ['orders -x', "select: word '-x' starts with '-', which would act as a dbt flag"],
  ])('names what is wrong in %j', (select, message) => {
    expect(refusal({ select }).message).toBe(message);
  });

  it('allows tabs and repeated spaces between words, and keeps the string as given', () => {
    const select = ' tag:a\t\t+orders  b ';
    expect(parseRunInput({ select }).select).toBe(select);
  });

  it('takes 1000 characters but not 1001', () => {
    expect(parseRunInput({ select: 'a'.repeat(1000) }).select).toHaveLength(1000);
    expect(refusal({ exclude: 'a'.repeat(1001) }).field).toBe('exclude');
  });

  it('allows a dash inside a word', () => {
    expect(parseRunInput({ exclude: 'my-model path:a/b-c' }).exclude).toBe('my-model path:a/b-c');
  });
});

describe('fields and defaults', () => {
  it('never returns unknown keys, and optional fields only when given', () => {
    const spec = parseRunInput({ job: 'daily' });
    expect(Object.keys(spec).sort()).toEqual(
      [
        'allowEmpty',
        'command',
        'docs',
        'failFast',
        'freshness',
        'fullRefresh',
        'job',
        'warnError',
      ].sort(),
    );
    for (const key of Object.keys(parseRunInput(vectors.valid[1]?.input))) {
      expect(RUN_INPUT_FIELDS).toContain(key);
    }
  });

  it('refuses null for every field', () => {
    for (const field of RUN_INPUT_FIELDS) {
      expect(refusal({ [field]: null }).field).toBe(field);
    }
  });

  it('names the first unknown field', () => {
    expect(refusal({ job: 'x', zeta: 1, alpha: 2 }).field).toBe('zeta');
  });

  it('refuses arrays, strings, numbers and null as the input', () => {
    for (const input of [[], [{}], 'x', 3, true, null, undefined]) {
      expect(refusal(input).field).toBe('input');
    }
  });

  it('refuses timeoutSeconds that are not whole numbers', () => {
    for (const timeoutSeconds of [Number.NaN, Number.POSITIVE_INFINITY, 60.01, '60', false]) {
      expect(refusal({ timeoutSeconds }).field).toBe('timeoutSeconds');
    }
  });

  it('applies the retry rules even when a later field has the wrong type', () => {
    // zod skips object-level rules after an "aborting" issue such as a non-integer.
    expect(refusal({ command: 'retry', timeoutSeconds: 600.5 }).field).toBe('retryOf');
    expect(refusal({ command: 'retry', retryOf: 'r', exclude: 'a', docs: 1 }).field).toBe(
      'exclude',
    );
  });

  it('allows fullRefresh false with retry', () => {
    const spec: RunSpec = parseRunInput({
      command: 'retry',
      retryOf: 'run-1',
      fullRefresh: false,
    });
    expect(spec.fullRefresh).toBe(false);
    expect(spec.retryOf).toBe('run-1');
  });

  it('refuses vars that are not JSON', () => {
    expect(refusal({ vars: { a: undefined } }).message).toBe('vars: vars.a is not a JSON value');
    expect(refusal({ vars: { a: [1, Number.NaN] } }).field).toBe('vars');
  });

  it('returns vars as plain data, even a "__proto__" key', () => {
    const input = JSON.parse('{"vars":{"__proto__":{"polluted":true},"a":1}}');
    const spec = parseRunInput(input);
    expect(JSON.stringify(spec.vars)).toBe('{"__proto__":{"polluted":true},"a":1}');
    expect(Object.getPrototypeOf(spec.vars)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('counts a "__proto__" key in vars like any other (zod records skip it)', () => {
    const input = JSON.parse(`{"vars":{"__proto__":"${'x'.repeat(2100)}"}}`);
    expect(refusal(input).message).toMatch(/^vars: must be at most 2048 bytes/);
    const nested = JSON.parse('{"vars":{"__proto__":{"a":[1,null]},"b":{"__proto__":"x"}}}');
    expect(JSON.stringify(parseRunInput(nested).vars)).toBe(JSON.stringify(nested.vars));
  });

  it('refuses absurdly nested vars as InvalidRunInput, not a stack overflow', () => {
    const deep = JSON.parse(`{"vars":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`);
    expect(refusal(deep).field).toBe('vars');
  });

  it('checks the total size after every field, counting UTF-8 bytes', () => {
    // Each "é" is 2 bytes in UTF-8: these vars are exactly 2048 bytes but 1028 characters.
    const vars = { a: 'é'.repeat(1020) };
    expect(parseRunInput({ vars }).vars).toEqual(vars);
    const big = {
      job: 'j'.repeat(64),
      vars,
      select: 'a '.repeat(500).trim(),
      exclude: 'b '.repeat(500).trim(),
    };
    // Under the limit in characters, over it in bytes.
    expect(JSON.stringify(big).length).toBeLessThanOrEqual(MAX_INPUT_BYTES);
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(MAX_INPUT_BYTES);
    const error = refusal(big);
    expect(error.field).toBe('input');
    expect(error.message).toMatch(/^input: must be at most 4096 bytes/);
    expect(refusal({ ...big, docs: 'no' }).field).toBe('docs');
  });
});

test('vars nested 1,000 deep, which the container could not even read back, is refused here', () => {
  // Too deep for the shared vectors themselves: Python's json module stops near 1,000 levels.
  let vars: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < 1000; i += 1) vars = { a: vars };
  expect(() => parseRunInput({ vars })).toThrow(
    'vars: must be nested at most 32 objects and arrays deep (got 1000)',
  );
});
