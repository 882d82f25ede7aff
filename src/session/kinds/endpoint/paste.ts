// Starting an endpoint session: the user pastes what the service gave them (a token, cookies,
// named values) into password boxes; one renewal checks them with the service, and the answer is
// what is stored. Nothing is saved when the service refuses them. Never asks for a password.
import * as l10n from '@vscode/l10n';
import { ErrorCode, SessionKeeperError, findSessionKeeperError, cancelled } from '../../base/errors';
import { jwtAccount } from '../../base/jwt';
import type { Logger } from '../../base/log';
import { cleanLabel, hasControlChars } from '../../base/plainText';
import { redactor } from '../../base/redact';
import type { CookieValue, EndpointValues, InputSpec } from './declaration';
import { parseCookieHeader } from './cookies';
import { inputProblem } from './inputs';
import type { EndpointSource } from './source';
import type { AuthenticationSessionAccountInformation as Account } from 'vscode';
import type { EndpointHost } from '../../host';
export type { EndpointHost } from '../../host';
import type { Credentials } from '../../refresh/source';

const MAX_NAME = 64;

/** What is wrong with an account name, if anything. */
export function accountNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (!trimmed) return l10n.t('Give the account a name.');
  if (trimmed.length > MAX_NAME) return l10n.t('The name is longer than {0} characters.', MAX_NAME);
  if (hasControlChars(trimmed)) return l10n.t('The name contains control characters.');
  return undefined;
}

export async function endpointSignIn(
  source: EndpointSource,
  inputs: readonly InputSpec[],
  host: EndpointHost,
  logger: Logger,
  request: { readonly providerLabel: string; readonly signal: AbortSignal },
): Promise<{ tokens: Credentials; account: Account }> {
  const title = l10n.t('Sign in to {0}', request.providerLabel);
  const values: Record<string, string> = {};
  const cookies: Record<string, CookieValue> = {};
  for (const spec of inputs) {
    const answer = await host.askSecret({ title, prompt: promptFor(spec, request.providerLabel), validate: (v) => inputProblem(spec, v) });
    if (answer === undefined || request.signal.aborted) throw cancelled();
    const problem = inputProblem(spec, answer);
    if (problem) throw new SessionKeeperError(ErrorCode.InvalidResponse, `${problem} ${l10n.t('Nothing was saved.')}`);
    const text = answer.trim();
    if (spec.kind === 'token') values.token = text;
    else if (spec.kind === 'value') values[spec.name] = text;
    else if (spec.kind === 'cookie') cookies[spec.name] = { value: text };
    else Object.assign(cookies, parseCookieHeader(text));
  }
  for (const v of [...Object.values(values), ...Object.values(cookies).map((c) => c.value)]) redactor.add(v);

  let tokens: Credentials;
  try {
    tokens = await source.renewValues({ values, cookies } satisfies EndpointValues, request.signal);
  } catch (err) {
    const e = findSessionKeeperError(err);
    if (e && !e.transient) {
      throw new SessionKeeperError(
        ErrorCode.GrantRevoked,
        l10n.t('{0} did not accept these values: {1} Nothing was saved.', request.providerLabel, e.message),
      );
    }
    throw err;
  }
  logger.info(`${request.providerLabel} accepted the pasted session values`);

  const name = await host.askText({
    title,
    prompt: l10n.t('Name this account. VS Code shows the name in the Accounts menu; it is not sent anywhere.'),
    value: suggestedName(tokens.endpoint?.values.token),
    validate: accountNameProblem,
  });
  if (name === undefined || request.signal.aborted) throw cancelled();
  const problem = accountNameProblem(name);
  if (problem) throw new SessionKeeperError(ErrorCode.InvalidResponse, `${problem} ${l10n.t('Nothing was saved.')}`);
  // The name is the account's label (and id): cleaned where it is made, as labels from claims are.
  const label = cleanLabel(name, MAX_NAME);
  return { tokens, account: { id: label, label } };
}

function promptFor(spec: InputSpec, provider: string): string {
  switch (spec.kind) {
    case 'token':
      return l10n.t('Paste your current token for {0}.', provider);
    case 'cookies':
      return l10n.t('Paste the Cookie header your browser sends to {0} (name=value; name2=value2).', provider);
    case 'cookie':
      return l10n.t('Paste the value of the cookie "{0}" for {1}.', spec.name, provider);
    case 'value':
      return l10n.t('Paste the value of "{0}" for {1}.', spec.name, provider);
  }
}

/** The name a JWT token gives its subject, if it is one. */
function suggestedName(token: string | undefined): string | undefined {
  if (!token) return undefined;
  const claims = jwtAccount(token);
  if (!claims) return undefined; // An opaque token.
  for (const key of ['preferred_username', 'email', 'name', 'sub'] as const) {
    const v = claims[key];
    if (v !== undefined && !accountNameProblem(v)) return v.trim();
  }
  return undefined;
}
