import { readNotifyConfig } from '../../../functions/notify/settings.ts';

const REQUIRED = { STAGE: 'dev', STATE_MACHINE_NAME: 'serverless-dbt-dev-dbt-run' };

describe('readNotifyConfig', () => {
  it('fills the defaults: failures only, stream prefix and container dbt, Slack off', () => {
    expect(readNotifyConfig(REQUIRED)).toStrictEqual({
      STAGE: 'dev',
      STATE_MACHINE_NAME: 'serverless-dbt-dev-dbt-run',
      SLACK_ALLOW_LOCAL: false,
      NOTIFY_ON: ['failure'],
      LOG_STREAM_PREFIX: 'dbt',
      DBT_CONTAINER_NAME: 'dbt',
    });
  });

  it('reads every setting', () => {
    const config = readNotifyConfig({
      STAGE: 'live',
      STATE_MACHINE_NAME: 'serverless-dbt-live-dbt-run',
      ALARM_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:serverless-dbt-live-alarms',
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
    expect(config.ALARM_TOPIC_ARN).toBe(
      'arn:aws:sns:eu-west-1:123456789012:serverless-dbt-live-alarms',
    );
  });

  it('turns alerts off with an empty NOTIFY_ON', () => {
    expect(readNotifyConfig({ ...REQUIRED, NOTIFY_ON: '' }).NOTIFY_ON).toStrictEqual([]);
  });

  it.each([
    [{ STATE_MACHINE_NAME: 'sm' }, 'STAGE: not set'],
    [{ STAGE: 'dev' }, 'STATE_MACHINE_NAME: not set'],
    [{ ...REQUIRED, NOTIFY_ON: 'failures' }, 'NOTIFY_ON: '],
    [{ ...REQUIRED, SLACK_ALLOW_LOCAL: 'yes' }, 'SLACK_ALLOW_LOCAL: must be true or false'],
    [{ ...REQUIRED, DOCS_URL: 'ftp://example.com' }, 'DOCS_URL: must be an http(s) URL'],
    [
      { ...REQUIRED, ALARM_TOPIC_ARN: 'serverless-dbt-dev-alarms' },
      'ALARM_TOPIC_ARN: must be an SNS topic ARN',
    ],
  ])('refuses %o naming the setting', (environment, message) => {
    expect(() => readNotifyConfig(environment)).toThrow(message);
  });
});
