// Where `serverless-dbt local` finds the dbt project and its profile, as dbt itself would.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

/** The project: --project-dir, else the stage's dbtProject setting (relative to the repo). */
export function projectDirOf(flag: string | undefined, setting: string, repoRoot: string): string {
  const projectDir = flag === undefined ? resolve(repoRoot, setting) : resolve(flag);
  if (!existsSync(join(projectDir, 'dbt_project.yml'))) {
    const from = flag === undefined ? ` (the dbtProject setting, '${setting}')` : '';
    throw new UsageError(`${projectDir}${from} is not a dbt project (no dbt_project.yml)`);
  }
  return projectDir;
}

/**
 * The folder of profiles.yml, looked for where dbt looks: --profiles-dir, DBT_PROFILES_DIR,
 * the project's folder (where dbt runs), ~/.dbt/. A given folder must hold it; of the
 * defaults, the first that does.
 */
export function profilesDirOf(
  flag: string | undefined,
  environment: Record<string, string | undefined>,
  projectDir: string,
  home: string = homedir(),
): string {
  const given = flag ?? environment.DBT_PROFILES_DIR;
  if (given !== undefined && given !== '') {
    const dir = resolve(given);
    if (!existsSync(join(dir, 'profiles.yml'))) {
      const from = flag === undefined ? 'DBT_PROFILES_DIR' : '--profiles-dir';
      throw new UsageError(`no profiles.yml in ${dir} (${from})`);
    }
    return dir;
  }
  const candidates = [projectDir, join(home, '.dbt')];
  const found = candidates.find((dir) => existsSync(join(dir, 'profiles.yml')));
  if (found === undefined) {
    throw new UsageError(
      `no profiles.yml in ${candidates.join(' or ')}; give --profiles-dir or set DBT_PROFILES_DIR`,
    );
  }
  return found;
}
