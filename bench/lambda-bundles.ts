// Each Lambda's bundle, as `serverless package` builds it, against the same handler loaded
// unbundled from node_modules: the bundle's size, and the cold import time of each (a fresh
// Node process per import, interleaved, the median of each taken). Goal: bundle ≤ 700 KB,
// import ≤ 0.8× unbundled.
//
//   node bench/lambda-bundles.ts [--runs 15]
//
// Runs on the project's Node 24 (node_modules/.bin/node), which strips the types itself.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  lambdaFunctions,
  packagedArtifacts,
  packageService,
  REPO_ROOT,
} from '../tests/support/packaged.ts';

const BUNDLE_LIMIT_BYTES = 700 * 1024;
const IMPORT_RATIO_GOAL = 0.8;

const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 15;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Milliseconds from nothing to the module loaded, in a fresh process, as a cold start does. */
function coldImportMs(moduleUrl: string, environment: Record<string, string>): number {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(moduleUrl)}); process.stdout.write(String(performance.now() - t0));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...environment },
    encoding: 'utf8',
  });
  return Number(output);
}

const options = { stage: 'dev' };
const template = await packageService(options);
const zips = await packagedArtifacts(options);
const unpacked = mkdtempSync(join(tmpdir(), 'serverless-dbt-bundles-'));

console.log(`cold import: median of ${runs} fresh processes each, interleaved`);
console.log('function  bundle KB  zip KB  bundled ms  unbundled ms  ratio  goals');
let allMet = true;
try {
  for (const lambda of lambdaFunctions(template)) {
    const zip = zips[lambda.name];
    if (zip === undefined) throw new Error(`no zip for ${lambda.name}`);
    const folder = join(unpacked, lambda.name);
    execFileSync('unzip', ['-q', zip, '-d', folder]);
    const handlerFile = lambda.handler.slice(0, lambda.handler.lastIndexOf('.'));
    const bundle = readdirSync(join(folder, handlerFile, '..'))
      .map((name) => join(folder, handlerFile, '..', name))
      .find((path) => path.endsWith('.mjs'));
    if (bundle === undefined) throw new Error(`no .mjs bundle in ${zip}`);
    const source = join(REPO_ROOT, `${handlerFile}.ts`);

    // The function's own settings (fake resource names), with an unreachable endpoint: the
    // import creates clients but calls nothing.
    const environment = {
      ...lambda.fakeEnvironment,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIAFAKEBENCH',
      AWS_SECRET_ACCESS_KEY: 'fake',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    const bundled: number[] = [];
    const unbundled: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      bundled.push(coldImportMs(pathToFileURL(bundle).href, environment));
      unbundled.push(coldImportMs(pathToFileURL(source).href, environment));
    }
    const bundleBytes = statSync(bundle).size;
    const ratio = median(bundled) / median(unbundled);
    const met = bundleBytes <= BUNDLE_LIMIT_BYTES && ratio <= IMPORT_RATIO_GOAL;
    allMet &&= met;
    console.log(
      [
        lambda.name.padEnd(8),
        (bundleBytes / 1024).toFixed(0).padStart(9),
        (statSync(zip).size / 1024).toFixed(0).padStart(7),
        median(bundled).toFixed(1).padStart(11),
        median(unbundled).toFixed(1).padStart(13),
        `${ratio.toFixed(2)}×`.padStart(6),
        met ? ' met' : ' MISSED',
      ].join(' '),
    );
  }
} finally {
  rmSync(unpacked, { recursive: true, force: true });
}
console.log(
  `goals: bundle ≤ ${BUNDLE_LIMIT_BYTES / 1024} KB, import ≤ ${IMPORT_RATIO_GOAL}× unbundled: ${allMet ? 'met' : 'MISSED'}`,
);
