import * as vscode from 'vscode';
import type { Tooltip } from './treeModel';

/** Untrusted markdown without theme icons: every label and value is escaped text. */
export function markdownTooltip(tooltip: Tooltip): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown('**').appendText(tooltip.title).appendMarkdown('**');
  for (const { label, value } of tooltip.fields) {
    md.appendMarkdown('\n\n**').appendText(label).appendMarkdown(':** ').appendText(value);
  }
  return md;
}
