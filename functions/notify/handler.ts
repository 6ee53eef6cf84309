// Notify in Lambda (notify-handler.ts): its settings, read once per container so that a bad
// one fails the first invocation, named. Its one AWS client, Secrets Manager's, is built by
// the secrets middleware on the first read of the webhook secret.
import { createNotify } from './notify-handler.ts';
import { readNotifyConfig } from './settings.ts';

export const handler = createNotify({ config: readNotifyConfig(process.env) });
