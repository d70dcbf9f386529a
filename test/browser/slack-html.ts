/**
 * The Slack digest as Slack draws it, for the README's picture: Block Kit header, section,
 * context and divider blocks, with mrkdwn's *bold*, _italic_, ~strike~, `code` and <url|links>
 * turned into markup instead of being shown as literal characters.
 */
import type { KnownBlock } from '@slack/types';
import type { SlackMessage } from '../../src/simulator/receivers/slack-receiver.js';

const html = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** Slack's escaping undone (it sends &lt; &gt; &amp;), then ours applied, then mrkdwn as markup. */
export function mrkdwnToHtml(text: string): string {
  const links: string[] = [];
  const withoutLinks = text.replace(/<([^|>]+)(?:\|([^>]+))?>/g, (_m, url: string, label?: string) => {
    links.push(
      `<a>${html((label ?? url).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'))}</a>`,
    );
    return `\uE000${links.length - 1}\uE000`;
  });
  const plain = withoutLinks.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return html(plain)
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~/g, '$1<s>$2</s>')
    .replace(/\uE000(\d+)\uE000/g, (_m, i: string) => links[Number(i)] as string)
    .replace(/\n/g, '<br>');
}

function block(b: KnownBlock): string {
  switch (b.type) {
    case 'header':
      return `<div class="h">${html(b.text.text)}</div>`;
    case 'section': {
      const fields = (b.fields ?? []).map((f) => `<div>${mrkdwnToHtml(f.text)}</div>`).join('');
      return `<div class="s">${b.text === undefined ? '' : mrkdwnToHtml(b.text.text)}${fields === '' ? '' : `<div class="f">${fields}</div>`}</div>`;
    }
    case 'context':
      return `<div class="c">${b.elements.map((e) => ('text' in e && typeof e.text === 'string' ? mrkdwnToHtml(e.text) : '')).join(' ')}</div>`;
    case 'divider':
      return '<hr>';
    default:
      return '';
  }
}

const STYLE = `body{margin:0;background:#fff;font:15px/1.46 Lato,"Helvetica Neue",Arial,sans-serif;color:#1d1c1d}
.m{display:flex;gap:8px;margin:16px;max-width:680px}.a{width:36px;height:36px;border-radius:4px;background:#0a58ca;flex:none}
.n b{font-weight:900}.n span{color:#616061;font-size:12px;margin-left:4px;background:#e8e8e8;padding:0 3px;border-radius:2px}
.h{font-size:18px;font-weight:900;margin:4px 0}.s{margin:6px 0}.c{color:#616061;font-size:13px;margin:4px 0}
.f{display:grid;grid-template-columns:1fr 1fr;gap:4px 16px}code{font:12px Monaco,Menlo,monospace;color:#e01e5a;background:#f6f6f6;border:1px solid #ddd;border-radius:3px;padding:0 3px}
a{color:#1264a3}hr{border:0;border-top:1px solid #ddd}`;

/** A standalone page (no script) showing the message as one Slack post by the roster-watch app. */
export function slackMessagePage(message: SlackMessage): string {
  const body =
    message.blocks === undefined || message.blocks.length === 0
      ? `<div class="s">${mrkdwnToHtml(message.text)}</div>`
      : message.blocks.map(block).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${STYLE}</style></head><body><div class="m"><div class="a"></div><div><div class="n"><b>roster-watch</b><span>APP</span></div>${body}</div></div></body></html>`;
}
