// VS Code's network settings for the engine's HTTP (session/protocol/http.ts): the proxy, the hosts
// that bypass it, certificate checks through it, and whether the system's certificates count.
import * as vscode from 'vscode';
import type { NetworkSettings } from '../session/protocol/proxy';

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
