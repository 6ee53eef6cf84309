// Errors a user of the CLI meets, and the one sentence each becomes. Anything else is a bug
// and keeps its stack trace.
import { ConfigurationError } from '../functions/shared/config.ts';
import { InvalidRunInput } from '../functions/shared/run-input.ts';

/** The command line itself is wrong (unknown command or option): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Something the user can fix (no stack, unknown run...), said in one sentence. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** AWS SDK errors by name, as a user can act on them. */
const AWS_ERRORS: Record<string, (error: Error) => string> = {
  CredentialsProviderError: () =>
    'no AWS credentials found: set AWS_PROFILE, or run `aws sso login` / `aws configure`',
  ExpiredTokenException: () => 'the AWS credentials have expired: log in again',
  ExpiredToken: () => 'the AWS credentials have expired: log in again',
  UnrecognizedClientException: () => 'AWS did not recognise the credentials (wrong account?)',
  InvalidClientTokenId: () => 'AWS did not recognise the credentials (wrong account?)',
  AccessDeniedException: (error) => `AWS refused the request: ${error.message}`,
  AccessDenied: (error) => `AWS refused the request: ${error.message}`,
  // An SSO login whose token has expired or was never made (AWS_PROFILE with sso_session).
  TokenProviderError: () => 'the AWS SSO session has expired or is missing: run `aws sso login`',
  SignatureDoesNotMatch: () =>
    'AWS refused the request signature: check AWS_SECRET_ACCESS_KEY and the clock',
  InvalidSignatureException: () =>
    'AWS refused the request signature: check AWS_SECRET_ACCESS_KEY and the clock',
};

/** The sentence to print for an error a user can act on, or undefined for a bug. */
export function userMessage(error: unknown): string | undefined {
  if (error instanceof UsageError || error instanceof CliError) return error.message;
  if (error instanceof InvalidRunInput) return `InvalidRunInput: ${error.message}`;
  if (error instanceof ConfigurationError) return `configuration: ${error.message}`;
  if (!(error instanceof Error)) return undefined;
  const known = AWS_ERRORS[error.name];
  if (known !== undefined) return known(error);
  const network = networkErrorCodeOf(error);
  if (network !== undefined) {
    return `could not reach AWS (${network}): check the network and AWS_REGION`;
  }
  // Node's own parser of the command line (util.parseArgs).
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return error.message;
  return undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The code of a failed connection (ECONNREFUSED...), on the error or the error it wraps. */
export function networkErrorCodeOf(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 3; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    cause = cause.cause;
  }
  return undefined;
}
