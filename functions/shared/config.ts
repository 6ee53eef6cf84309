// Configuration of a Lambda, read from its environment once, at start-up (module scope), so
// that a missing or malformed setting fails the first invocation with its name rather than
// surfacing later as an undefined somewhere.
// Always `import * as z`: a namespace import lets esbuild drop the parts of zod a function
// never uses (~85 KB bundled instead of ~450 KB).
import * as z from 'zod';

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function readConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  environment: Record<string, string | undefined> = process.env,
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
