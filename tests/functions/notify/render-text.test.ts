import { buildMessage } from '../../../functions/notify/message.ts';
import { renderText } from '../../../functions/notify/render-text.ts';
import {
  MESSAGE_CONTEXT as CONTEXT,
  evaluation,
  finished,
  node,
  REGION,
  summary,
} from './events.ts';

describe('renderText', () => {
  it('turns the blocks into terminal text with plain links and decoded entities', () => {
    const event = finished(
      evaluation('DBT_FAILED', {
        reason: 'dbt reported failures & more',
        summary: summary([node(1, { message: 'a < b' })]),
      }),
    );
    const text = renderText(buildMessage(event, CONTEXT));
    expect(text).toContain('❌ nightly: dbt reported failures\n');
    expect(text).toContain('dbt reported failures & more');
    expect(text).toContain('Stage: dev');
    expect(text).toContain('a < b');
    expect(text).toContain(`Execution: https://${REGION}.console.aws.amazon.com/states/home`);
    expect(text).not.toContain('&amp;');
  });
});
