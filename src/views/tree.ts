// The Accounts view: renders treeModel snapshots and tells VS Code only which rows changed.
import * as vscode from 'vscode';
import type { SessionKeeperModel } from '../session/model';
import { buildTree, diffTree, nextChangeAt, type NodeTarget, type TreeNode, type TreeOptions, type TreeSnapshot } from './treeModel';
import { markdownTooltip } from './tooltip';

/** One object per row id for the tree's lifetime: VS Code finds rows to refresh by identity. */
export interface TreeElement extends NodeTarget {
  readonly id: string;
}

const empty: TreeSnapshot = { roots: [], nodes: new Map(), hasProviders: false, hasAccounts: false };

export class AccountsTreeProvider implements vscode.TreeDataProvider<TreeElement>, vscode.Disposable {
  private snapshot = empty;
  private readonly elements = new Map<string, TreeElement>();
  private readonly changed = new vscode.EventEmitter<TreeElement | TreeElement[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly model: SessionKeeperModel,
    private readonly formatTime: (ms: number) => string,
    private readonly terminalAccess?: TreeOptions['terminalAccess'],
  ) {}

  get current(): TreeSnapshot {
    return this.snapshot;
  }

  /** Rebuilds from the model, announces what changed, and answers when a row next changes. */
  update(): number | undefined {
    const now = this.model.now();
    const next = buildTree(this.model.providers(), now, { formatTime: this.formatTime, terminalAccess: this.terminalAccess });
    const diff = diffTree(this.snapshot, next);
    this.snapshot = next;
    if (diff.structural) {
      for (const id of this.elements.keys()) if (!next.nodes.has(id)) this.elements.delete(id);
      this.changed.fire(undefined);
    } else if (diff.changed.length) {
      this.changed.fire(diff.changed.map((id) => this.element(this.snapshot.nodes.get(id)!)));
    }
    return nextChangeAt(next, now);
  }

  getTreeItem(element: TreeElement): vscode.TreeItem {
    const node = this.snapshot.nodes.get(element.id);
    // A row removed since VS Code asked for it renders empty until the structural refresh lands.
    if (!node) return new vscode.TreeItem('');
    const collapsible =
      node.children.length === 0
        ? vscode.TreeItemCollapsibleState.None
        : node.expanded
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, collapsible);
    item.id = node.id;
    item.description = node.description;
    item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
    item.contextValue = node.contextValue;
    item.accessibilityInformation = { label: node.accessibilityLabel };
    item.tooltip = node.tooltip && markdownTooltip(node.tooltip);
    return item;
  }

  getChildren(element?: TreeElement): TreeElement[] {
    const ids = element ? (this.snapshot.nodes.get(element.id)?.children ?? []) : this.snapshot.roots;
    return ids.map((id) => this.element(this.snapshot.nodes.get(id)!));
  }

  getParent(element: TreeElement): TreeElement | undefined {
    const parent = this.snapshot.nodes.get(element.id)?.parent;
    return parent === undefined ? undefined : this.element(this.snapshot.nodes.get(parent)!);
  }

  dispose(): void {
    this.changed.dispose();
  }

  private element(node: TreeNode): TreeElement {
    let e = this.elements.get(node.id);
    if (!e) {
      e = {
        id: node.id,
        kind: node.kind,
        providerId: node.providerId,
        accountId: node.accountId,
        sessionId: node.sessionId,
        ...(node.grantId !== undefined && { grantId: node.grantId }),
      };
      this.elements.set(node.id, e);
    }
    return e;
  }
}
