// Runs a Lambda invocation and collects what it writes: Powertools Logger writes one JSON line
// per entry (INFO and below to stdout, WARN and ERROR to stderr).
import { jest } from '@jest/globals';

export interface Logged<Result> {
  result?: Result;
  error?: Error;
  /** Everything written, as text (to look for what must never appear). */
  output: string;
  lines: Array<Record<string, unknown>>;
}

export async function logged<Result>(run: () => Promise<Result>): Promise<Logged<Result>> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  const parse = () => {
    const output = written.join('');
    const lines = output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { output, lines };
  };
  try {
    return { result: await run(), ...parse() };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { error, ...parse() };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
