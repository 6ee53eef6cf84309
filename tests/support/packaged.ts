// The packaged CloudFormation template for tests and benches: the package cache and the
// template resolver of `serverless-dbt local` (cli/local/package-cache.ts, which packages once
// per input and caches the result under .serverless-dbt/package/, and
// cli/local/template-resolver.ts), and what only tests and benches read besides.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type PackageOptions,
  packageDirectory,
  STATE_FILE,
} from '../../cli/local/package-cache.ts';
import type {
  CloudFormationTemplate,
  TemplateResource,
} from '../../cli/local/template-resolver.ts';

export {
  type PackageOptions,
  packageDirectory,
  packageService,
  REPO_ROOT,
} from '../../cli/local/package-cache.ts';
export {
  type CloudFormationTemplate,
  FAKE_ACCOUNT,
  fakeGetAtt,
  fakeRef,
  lambdaFunctions,
  type PackagedFunction,
  resolveFake,
  stateMachineDefinition,
  stateMachineResource,
  type TemplateResource,
} from '../../cli/local/template-resolver.ts';

/** The params the package was built with: defaults, then the stage's, then the overrides. */
export async function packagedParams(options: PackageOptions): Promise<Record<string, unknown>> {
  const directory = await packageDirectory(options);
  const state = JSON.parse(await readFile(join(directory, STATE_FILE), 'utf8')) as {
    service: { initialServerlessConfig?: { params?: Record<string, Record<string, unknown>> } };
  };
  const params = state.service.initialServerlessConfig?.params ?? {};
  return { ...params.default, ...params[options.stage], ...options.params };
}

/** The path of each function's zip in the package, by its osls name (`prepare`, ...). */
export async function packagedArtifacts(options: PackageOptions): Promise<Record<string, string>> {
  const directory = await packageDirectory(options);
  const zips = (await readdir(directory)).filter((name) => name.endsWith('.zip'));
  return Object.fromEntries(zips.map((name) => [name.slice(0, -4), join(directory, name)]));
}

/** The resources of one type, by logical id. */
export function resourcesOfType(
  template: CloudFormationTemplate,
  type: string,
): Array<[string, TemplateResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}
