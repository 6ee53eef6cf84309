// Where `serverless-dbt local` finds the project and its profile: as dbt looks.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profilesDirOf, projectDirOf } from '../../../cli/local/project.ts';

let root: string;
let project: string;
let home: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sdbt-project-'));
  project = join(root, 'analytics');
  home = join(root, 'home');
  mkdirSync(project, { recursive: true });
  mkdirSync(join(home, '.dbt'), { recursive: true });
  writeFileSync(join(project, 'dbt_project.yml'), 'name: analytics\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const profileIn = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'profiles.yml'), 'analytics: {}\n');
};

describe('the project', () => {
  it('is the dbtProject setting, relative to the repository, unless --project-dir says', () => {
    expect(projectDirOf(undefined, 'analytics', root)).toBe(project);
    expect(projectDirOf(project, 'elsewhere', '/nowhere')).toBe(project);
  });

  it('must hold dbt_project.yml, and the error names where the folder came from', () => {
    expect(() => projectDirOf(undefined, 'missing', root)).toThrow(
      /missing \(the dbtProject setting, 'missing'\) is not a dbt project/,
    );
    expect(() => projectDirOf(join(root, 'home'), 'dbt', root)).toThrow(
      /home is not a dbt project/,
    );
  });
});

describe('the profile', () => {
  it('comes from --profiles-dir first, then DBT_PROFILES_DIR', () => {
    const flagged = join(root, 'flagged');
    const fromEnv = join(root, 'env');
    profileIn(flagged);
    profileIn(fromEnv);
    profileIn(project);
    const environment = { DBT_PROFILES_DIR: fromEnv };
    expect(profilesDirOf(flagged, environment, project, home)).toBe(flagged);
    expect(profilesDirOf(undefined, environment, project, home)).toBe(fromEnv);
  });

  it("is the project's own, else ~/.dbt, when nothing names one", () => {
    profileIn(join(home, '.dbt'));
    expect(profilesDirOf(undefined, {}, project, home)).toBe(join(home, '.dbt'));
    profileIn(project);
    expect(profilesDirOf(undefined, {}, project, home)).toBe(project);
  });

  it('names the folder that was given but holds none, and every place it looked otherwise', () => {
    expect(() => profilesDirOf(join(root, 'empty'), {}, project, home)).toThrow(
      /no profiles.yml in .*empty \(--profiles-dir\)/,
    );
    expect(() => profilesDirOf(undefined, { DBT_PROFILES_DIR: root }, project, home)).toThrow(
      /\(DBT_PROFILES_DIR\)/,
    );
    expect(() => profilesDirOf(undefined, {}, project, home)).toThrow(
      new RegExp(`no profiles.yml in ${project} or ${join(home, '.dbt')}; give --profiles-dir`),
    );
  });
});
