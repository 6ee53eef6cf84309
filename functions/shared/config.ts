// Configuration of a Lambda, read from its environment once, at start-up (in its handler.ts),
// so that a missing or malformed setting fails the first invocation with its name rather than
// surfacing later as an undefined somewhere. The environment is always given: only a
// handler.ts passes process.env; local runs and tests pass their own.
// Always `import * as z`: a namespace import lets esbuild drop the parts of zod a function
// never uses (~85 KB bundled instead of ~450 KB).
import * as z from 'zod';

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** Settings by name, as process.env holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

export function readConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  environment: Environment,
): z.infer<z.ZodObject<Shape>> {
  const result = z.object(shape).safeParse(environment);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const problem = environment[name] === undefined ? 'not set' : (issue?.message ?? 'invalid');
    throw new ConfigurationError(`${name}: ${problem}`);
  }
  return result.data;
}

/** A comma-separated list setting, e.g. `NOTIFY_ON=start,failure`. */
export const commaList = <Item extends string>(items: readonly [Item, ...Item[]]) =>
  z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((word) => word.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(items)));
