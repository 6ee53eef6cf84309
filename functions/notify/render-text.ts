// A Slack message as terminal text: what a local run prints when no webhook is set.
import type { SlackMessage } from './message.ts';
import { mrkdwnToText } from './mrkdwn.ts';

/** The message as readable terminal text (what a local run prints when no webhook is set). */
export function renderText(message: SlackMessage): string {
  const lines: string[] = [];
  for (const block of message.blocks) {
    switch (block.type) {
      case 'header':
        lines.push(block.text.text, '='.repeat(Math.min(60, block.text.text.length)));
        break;
      case 'section':
        if (block.text) lines.push(mrkdwnToText(block.text.text));
        if (block.fields) {
          for (const item of block.fields) lines.push(mrkdwnToText(item.text).replace('\n', ': '));
        }
        break;
      case 'context':
        for (const element of block.elements) {
          lines.push(mrkdwnToText(element.text).replace(/ {2}· {2}/g, '\n'));
        }
        break;
      case 'divider':
        lines.push('-'.repeat(60));
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}
