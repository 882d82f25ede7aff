// VS Code's network settings for the engine's HTTP (session/net/http.ts): the proxy, the hosts
// that bypass it, certificate checks through it, and whether the system's certificates count; and
// where the extension runs, which decides whose environment and loopback this host's are.
import * as vscode from 'vscode';
import { Setting } from '../contributions';
import type { NetworkSettings } from '../session/net/proxy';

const KEYS = ['proxy', 'noProxy', 'proxyStrictSSL', 'proxyAuthorization', 'proxySupport', 'systemCertificates'] as const;

/** The settings as they are now; values of the wrong type count as unset. */
export function readNetworkSettings(): NetworkSettings {
  const http = vscode.workspace.getConfiguration('http');
  const text = (key: string) => {
    const v = http.get<unknown>(key);
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  const flag = (key: string) => {
    const v = http.get<unknown>(key);
    return typeof v === 'boolean' ? v : undefined;
  };
  const noProxy = http.get<unknown>('noProxy');
  return {
    proxy: text('proxy'),
    noProxy: Array.isArray(noProxy) ? noProxy.filter((e): e is string => typeof e === 'string') : undefined,
    strictSSL: flag('proxyStrictSSL'),
    proxyAuthorization: text('proxyAuthorization'),
    proxySupport: text('proxySupport'),
    systemCertificates: flag('systemCertificates'),
  };
}

export function affectsNetworkSettings(e: vscode.ConfigurationChangeEvent): boolean {
  return KEYS.some((k) => e.affectsConfiguration(`http.${k}`));
}

/**
 * Whether the extension runs on a remote server instead of the user's computer: code-server or
 * Codespaces in a browser, which have no extension host on the user's side. In desktop remote
 * windows (SSH, WSL, containers) package.json's extensionKind ("ui" first) keeps it on the user's computer.
 */
export function runsOnRemoteServer(extension: vscode.Extension<unknown>): boolean {
  return vscode.env.remoteName !== undefined && extension.extensionKind === vscode.ExtensionKind.Workspace;
}

/** Whether this host's 127.0.0.1 is the user's computer: it is where the extension runs there, or where the user says the server is. */
export function loopbackIsLocal(remoteServer: boolean): boolean {
  return !remoteServer || vscode.workspace.getConfiguration().get<unknown>(Setting.remoteAllowLoopbackHttp) === true;
}
