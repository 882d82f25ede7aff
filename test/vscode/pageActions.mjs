// What the UI steps do in a workbench page, each confirming its effect: menus chosen by keyboard
// through a guard that lets a key reach only the element it is meant for, quick inputs answered
// once they are open and focused, the page brought back to a plain state; and the running step's
// budget and cancellation, which every wait here (and waitFor in any step) honours.
import { AsyncLocalStorage } from 'node:async_hooks';

/** How long one UI step may take unless the suite gives it another budget: generous, so a slow machine is not a failure. */
export const STEP_BUDGET_MS = 150_000;
/** The bound of a wait outside any step (the e2e tests call these helpers directly). */
const DEFAULT_WAIT_MS = 120_000;

/** @type {AsyncLocalStorage<{ signal: AbortSignal, deadline: number }>} */
const stepContext = new AsyncLocalStorage();

/**
 * Runs `fn` as one UI step: it ends, rejecting, as soon as `signal` aborts (the suite stopped
 * waiting for it) or `budgetMs` has passed, even in the middle of a playwright wait. What is left
 * of a stopped step acts no more: its waits end, and checkpoint() throws before its next action.
 */
export function runStep(fn, { signal, budgetMs = STEP_BUDGET_MS }) {
  const budget = new AbortController();
  const timer = setTimeout(() => budget.abort(new Error(`the step did not finish within ${budgetMs / 1000} s`)), budgetMs);
  const stop = AbortSignal.any([signal, budget.signal]);
  if (stop.aborted) {
    clearTimeout(timer);
    return Promise.reject(stop.reason);
  }
  const stopped = new Promise((_, reject) => stop.addEventListener('abort', () => reject(stop.reason), { once: true }));
  stopped.catch(() => undefined); // when the step ends first
  const work = stepContext.run({ signal: stop, deadline: Date.now() + budgetMs }, fn);
  work.catch(() => undefined); // when the step was stopped first
  return Promise.race([work, stopped]).finally(() => clearTimeout(timer));
}

/** Throws once the running step was stopped; called before anything that acts on a page. */
export function checkpoint() {
  stepContext.getStore()?.signal.throwIfAborted();
}

/** What is left of the running step's budget (or the default bound outside steps), for playwright's own timeouts. */
export function remaining() {
  const store = stepContext.getStore();
  return store ? Math.max(1, store.deadline - Date.now()) : DEFAULT_WAIT_MS;
}

const sleep = (ms) =>
  new Promise((resolve, reject) => {
    const signal = stepContext.getStore()?.signal;
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', stop);
      resolve(undefined);
    }
    function stop() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal?.addEventListener('abort', stop, { once: true });
  });

/** An error after which a step must not try again: what it did may have taken effect. */
export class UncertainError extends Error {
  fatal = true;
}

/**
 * Polls `probe` until it returns a truthy value. Inside a UI step the wait is bounded by the step's
 * budget unless `timeoutMs` is given, and ends when the step is stopped; outside a step `timeoutMs`
 * defaults to 120 s. A slow machine gets the whole deadline. An UncertainError from `probe` ends the
 * wait at once.
 */
export async function waitFor(probe, what, timeoutMs = undefined, intervalMs = 200) {
  const store = stepContext.getStore();
  const start = Date.now();
  const deadline = timeoutMs !== undefined || !store ? start + (timeoutMs ?? DEFAULT_WAIT_MS) : store.deadline;
  let lastError;
  for (;;) {
    if (store?.signal.aborted) throw new Error(`stopped waiting for ${what}: ${store.signal.reason?.message ?? 'cancelled'}`);
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      if (e?.fatal) throw e;
      lastError = e;
    }
    if (Date.now() > deadline) {
      const waited = Math.round((deadline - start) / 1000);
      throw new Error(`timed out after ${waited} s waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    }
    await sleep(intervalMs).catch(() => undefined); // a stop is reported at the top of the loop
  }
}

/**
 * Presses `key` in `page`, letting it through only if it is aimed at `target`: a capture listener
 * on the window checks the key's events where they are dispatched, and stops them everywhere if
 * they would land elsewhere (the focus moved, the menu closed, another box opened). With `within`,
 * anything inside `target` may receive the key; with `focusedItem`, `target` must also be the
 * focused, enabled item of its menu. Returns whether the key went through; throws an UncertainError
 * if that cannot be known (the press or the reading failed), which ends a step that pressed Enter.
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').ElementHandle} target
 */
export async function pressInto(page, target, key, { within = false, focusedItem = false } = {}) {
  checkpoint();
  const id = await target.evaluate(
    (node, { key, within, focusedItem }) => {
      const element = /** @type {HTMLElement} */ (node);
      const page = /** @type {any} */ (window);
      const guards = (page.__skKeyGuards ??= {});
      const id = `${Date.now()}-${Math.random()}`;
      const state = (guards[id] = { delivered: undefined });
      const types = ['keydown', 'keypress', 'keyup'];
      const listener = (e) => {
        if (e.key !== key) return;
        if (e.type === 'keydown' && state.delivered === undefined) {
          const to = e.composedPath()[0];
          const item = element.closest('li.action-item');
          state.delivered =
            element.isConnected &&
            !element.closest('[inert]') &&
            (within ? element.contains(to) : to === element) &&
            (!focusedItem || (!!item && item.classList.contains('focused') && !item.classList.contains('disabled')));
        }
        if (!state.delivered) {
          e.preventDefault();
          e.stopImmediatePropagation();
        }
        if (e.type === 'keyup') for (const type of types) window.removeEventListener(type, listener, true);
      };
      for (const type of types) window.addEventListener(type, listener, true);
      return id;
    },
    { key, within, focusedItem },
  );
  try {
    await page.keyboard.press(key);
    return await page.evaluate((id) => {
      const guards = /** @type {any} */ (window).__skKeyGuards;
      const state = guards?.[id];
      delete guards?.[id];
      if (state?.delivered === undefined) throw new Error(`the page saw no ${id} key`);
      return state.delivered;
    }, id);
  } catch (e) {
    throw new UncertainError(`pressing ${key}: ${e.message.split('\n')[0]}`);
  }
}

/** Whether `page` shows a menu (a context menu, the Accounts menu, a submenu) that is not closing. */
export async function menuOpen(page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.monaco-menu')).some((menu) => !menu.closest('[inert]') && menu.checkVisibility()),
  );
}

/** Closes every menu in `page` and waits until none is open. */
export async function closeMenus(page) {
  await waitFor(
    async () => {
      if (!(await menuOpen(page))) return true;
      checkpoint();
      // An open menu has the focus (it closes when it loses it), so Escape reaches it; one Escape per submenu.
      await page.keyboard.press('Escape');
      return !(await menuOpen(page));
    },
    'the open menus to close',
    remaining(),
    300,
  );
}

/**
 * Waits for a menu to open, and returns its item whose label starts with `label`, or undefined if
 * no menu opened or the open menus have none.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<import('playwright-core').ElementHandle | undefined>}
 */
async function openMenuItem(page, label) {
  // A menu that does not show (or closed again at once) is opened again by the caller.
  const shown = await waitFor(() => menuOpen(page), 'a menu to open', Math.min(remaining(), 20_000)).catch(() => false);
  if (!shown) return undefined;
  const handle = await page.evaluateHandle((label) => {
    const items = Array.from(document.querySelectorAll('.monaco-menu .action-menu-item'));
    return items.find((a) => !a.closest('[inert]') && a.checkVisibility() && a.textContent.trimStart().startsWith(label)) ?? null;
  }, label);
  return handle.asElement() ?? undefined;
}

/**
 * Moves the focus of `item`'s menu to `item` with ArrowDown; false if it cannot (the menu closed,
 * or lost the focus), so that the caller starts over.
 * @param {import('playwright-core').Page} page
 * @param {import('playwright-core').ElementHandle} item
 */
async function focusMenuItem(page, item) {
  const menu = /** @type {import('playwright-core').ElementHandle} */ (
    await item.evaluateHandle((a) => /** @type {HTMLElement} */ (a).closest('.monaco-menu-container'))
  );
  const count = await item.evaluate((a) => /** @type {HTMLElement} */ (a).closest('.actions-container')?.children.length ?? 0);
  for (let presses = 0; presses <= count + 1; presses++) {
    const state = await item.evaluate((a) => ({
      open: a.isConnected && !(/** @type {HTMLElement} */ (a).closest('[inert]')),
      focused: document.activeElement === a,
    }));
    if (!state.open) return false;
    if (state.focused) return true;
    // The keyboard moves the focus from item to item; a menu without the focus closes. A lost
    // ArrowDown is harmless: the state is read again.
    const moved = await pressInto(page, menu, 'ArrowDown', { within: true }).catch((e) => {
      if (e instanceof UncertainError) return false;
      throw e;
    });
    if (!moved) return false;
  }
  return false;
}

/**
 * Chooses `path` (an item's label, then the label of an item in its submenu) in the menu that
 * `open()` opens, and confirms it ran: a menu closes as its action starts.
 *
 * By keyboard, not by mouse: a menu item ignores mouse clicks until a timer binds its mouseup
 * handler (100 ms after it is rendered, much later on a busy page; a click before that is lost and
 * leaves the item highlighted), and a hover opens submenus and moves the focus on timers of its
 * own. Keys work as soon as a menu shows. Each ArrowDown, the ArrowRight that opens a submenu and
 * the Enter that runs the action go through pressInto(), so a key that would land anywhere else is
 * stopped, and only then, when the action certainly did not run, the menu is opened again. A failed
 * `open()` (a click that timed out before it landed) is tried again too; opening twice is harmless.
 * @param {import('playwright-core').Page} page
 * `beforeChoosing` runs with the item focused, just before Enter (a screenshot, say).
 * @param {{ open: () => Promise<unknown>, path: string[], beforeChoosing?: () => Promise<unknown> }} choice
 * @returns {Promise<number>} how many times the menu was opened
 */
export async function chooseInMenu(page, { open, path, beforeChoosing }) {
  const what = path.map((p) => `"${p}"`).join(' > ');
  let opened = 0;
  await waitFor(
    async () => {
      await closeMenus(page);
      checkpoint();
      try {
        opened += 1;
        await open();
      } catch (e) {
        // Playwright delivers a click only to the element it aims at; one that timed out never landed.
        if (e.name === 'TimeoutError') return false;
        throw e;
      }
      /** @type {import('playwright-core').ElementHandle | undefined} */
      let item = await openMenuItem(page, path[0]);
      // The menu opened without it (a sign-in request or an account not registered yet): look again.
      if (!item) return false;
      for (let level = 0; ; level++) {
        if (!(await focusMenuItem(page, item))) return false;
        if (level === path.length - 1) break;
        // Opening a submenu runs nothing, so a doubt about this key only means starting over.
        const expanded = await pressInto(page, item, 'ArrowRight').catch((e) => {
          if (e instanceof UncertainError) return false;
          throw e;
        });
        if (!expanded) return false;
        item = await openMenuItem(page, path[level + 1]);
        if (!item) return false;
      }
      await beforeChoosing?.();
      return pressInto(page, item, 'Enter', { focusedItem: true });
    },
    `${what} to be chosen in the menu`,
    remaining(),
    500,
  );
  // It ran: the menu closes when the action starts (after a short fade).
  await waitFor(async () => !(await menuOpen(page)), `the menu to close after choosing ${what}`, remaining());
  return opened;
}

/**
 * Closes a quick input that has some other purpose than the command palette, opens the palette,
 * runs the command labelled `label` from it, and confirms that the palette took it.
 * @param {import('playwright-core').Page} page
 */
export async function runFromCommandPalette(page, label) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  const text = `>${label}`;
  // Read with a short limit: a palette seen a moment ago may be gone (the command ran, or reloaded the page).
  const value = () => input.inputValue({ timeout: Math.min(remaining(), 5_000) });
  await waitFor(
    async () => {
      await closeMenus(page);
      checkpoint();
      if (!(await widget.isVisible())) {
        // F1 opens the palette, or keeps it open: pressing it again is harmless.
        await page.keyboard.press('F1');
        await widget.waitFor({ state: 'visible', timeout: Math.min(remaining(), 10_000) }).catch(() => undefined);
        return false;
      }
      if (!(await value()).startsWith('>')) {
        await closeQuickInput(page);
        return false;
      }
      await input.fill(text, { timeout: remaining() });
      // The palette focuses its first match; Enter runs the focused row.
      const row = widget.locator('.monaco-list-row.focused').filter({ hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: Math.min(remaining(), 10_000) }).catch(() => undefined);
      if (!(await row.isVisible()) || (await value()) !== text) return false;
      return pressInto(page, await input.elementHandle({ timeout: remaining() }), 'Enter');
    },
    `"${label}" to run from the command palette`,
    remaining(),
    500,
  );
  await waitFor(
    async () => !(await widget.isVisible()) || (await value().catch(() => undefined)) !== text,
    `the command palette to take "${label}"`,
    remaining(),
  );
}

/**
 * Types `text` into the open quick input whose title contains `title`, presses Enter there once it
 * holds the text and has the focus, and confirms it took the answer (the title changed, or the
 * quick input closed). A key meant for it never lands in another box.
 * @param {import('playwright-core').Page} page
 */
export async function answerQuickInput(page, title, text) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  const titled = widget.locator('.quick-input-title').filter({ hasText: title }).first();
  await waitFor(
    async () => {
      checkpoint();
      await titled.waitFor({ state: 'visible', timeout: remaining() });
      await input.fill(text, { timeout: remaining() });
      const handle = await input.elementHandle({ timeout: remaining() });
      const ready = await handle.evaluate(
        (el, text) => /** @type {HTMLInputElement} */ (el).value === text && document.activeElement === el,
        text,
      );
      if (!ready || !(await titled.isVisible())) return false;
      return pressInto(page, handle, 'Enter');
    },
    `the quick input "${title}" to take the answer`,
    remaining(),
    500,
  );
  await waitFor(async () => !(await titled.isVisible()), `the quick input to move on from "${title}"`, remaining());
}

/** Closes the open quick input (Escape, with the focus in it). */
async function closeQuickInput(page) {
  const widget = page.locator('.quick-input-widget');
  if (!(await widget.isVisible())) return;
  checkpoint();
  // A quick pick may hide its box; the focus is in the widget then all the same.
  const input = widget.locator('input.input');
  if (await input.isVisible()) await input.focus({ timeout: remaining() });
  await page.keyboard.press('Escape');
  await widget.waitFor({ state: 'hidden', timeout: Math.min(remaining(), 10_000) }).catch(() => undefined);
}

/**
 * Brings `page` back to a plain state for the next test: no dialog, menu, quick input or notification
 * center, and the pointer over the empty editor area, off every item whose hover could cover what
 * the next step aims at. Notifications stay in the center, where tests read them.
 * @param {import('playwright-core').Page} page
 */
export async function resetPage(page) {
  const center = page.locator('.notifications-center');
  const dialog = page.locator('.monaco-dialog-box');
  await waitFor(
    async () => {
      checkpoint();
      // A dialog left open blocks the rest of the page; Escape cancels it, which answers nothing.
      if (await dialog.isVisible()) {
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden', timeout: Math.min(remaining(), 10_000) }).catch(() => undefined);
      } else if (await menuOpen(page)) await closeMenus(page);
      else if (await page.locator('.quick-input-widget').isVisible()) await closeQuickInput(page);
      else if (await center.isVisible()) {
        // The bell in the status bar shows and hides the notification center: clicked once, then waited for.
        await page.locator('.statusbar-item[id="status.notifications"]').click({ timeout: remaining() });
        await center.waitFor({ state: 'hidden', timeout: remaining() });
      } else return true;
      return false;
    },
    'the page to have no dialog, menu, quick input or notification center open',
    remaining(),
    300,
  );
  await moveAside(page);
}

/** The pointer to the middle of the editor area, where it raises no hover over anything a step reads or clicks. */
export async function moveAside(page) {
  const size = page.viewportSize() ?? { width: 1400, height: 900 };
  await page.mouse.move(Math.round(size.width * 0.6), Math.round(size.height * 0.5));
}
