import { readNotifyConfig } from '../../../functions/notify/settings.ts';

describe('readNotifyConfig', () => {
  it('fills the defaults: failures only, stream prefix and container dbt, Slack off', () => {
    expect(readNotifyConfig({ STAGE: 'dev' })).toStrictEqual({
      STAGE: 'dev',
      SLACK_ALLOW_LOCAL: false,
      NOTIFY_ON: ['failure'],
      LOG_STREAM_PREFIX: 'dbt',
      DBT_CONTAINER_NAME: 'dbt',
    });
  });

  it('reads every setting', () => {
    const config = readNotifyConfig({
      STAGE: 'live',
      SLACK_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf',
      SLACK_ALLOW_LOCAL: 'false',
      NOTIFY_ON: 'start, success,failure',
      LOG_GROUP: '/ecs/serverless-dbt-live',
      LOG_STREAM_PREFIX: 'run',
      DBT_CONTAINER_NAME: 'dbt-core',
      DOCS_URL: 'https://wiki.example.com/dbt',
      AWS_REGION: 'eu-west-1',
    });
    expect(config.NOTIFY_ON).toStrictEqual(['start', 'success', 'failure']);
    expect(config.DOCS_URL).toBe('https://wiki.example.com/dbt');
  });

  it('turns alerts off with an empty NOTIFY_ON', () => {
    expect(readNotifyConfig({ STAGE: 'dev', NOTIFY_ON: '' }).NOTIFY_ON).toStrictEqual([]);
  });

  it.each([
    [{}, 'STAGE: not set'],
    [{ STAGE: 'dev', NOTIFY_ON: 'failures' }, 'NOTIFY_ON: '],
    [{ STAGE: 'dev', SLACK_ALLOW_LOCAL: 'yes' }, 'SLACK_ALLOW_LOCAL: must be true or false'],
    [{ STAGE: 'dev', DOCS_URL: 'ftp://example.com' }, 'DOCS_URL: must be an http(s) URL'],
  ])('refuses %o naming the setting', (environment, message) => {
    expect(() => readNotifyConfig(environment)).toThrow(message);
  });
});
