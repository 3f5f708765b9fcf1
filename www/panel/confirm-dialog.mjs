// An accessible confirmation built on the native modal <dialog>: the browser
// traps focus and closes on Escape; we put focus on the safe choice and give
// it back to the control that opened the dialog.
import { h } from './dom.mjs';

let counter = 0;

/**
 * @typedef {object} ConfirmOptions
 * @property {string} title
 * @property {string[]} paragraphs
 * @property {string} confirmLabel
 * @property {boolean} [danger]
 * @property {{label: string, checked: boolean}} [checkbox] an extra choice shown in the dialog
 */

/**
 * Asks the user to confirm. Resolves with `{confirmed, checked}`.
 * @param {ConfirmOptions} options
 * @param {HTMLElement} [returnFocusTo] focused again when the dialog closes
 * @returns {Promise<{confirmed: boolean, checked: boolean}>}
 */
export function confirmDialog({ title, paragraphs, confirmLabel, danger = true, checkbox }, returnFocusTo) {
  const id = `confirm-${++counter}`;
  const box = checkbox
    ? h('input', { type: 'checkbox', id: `${id}-check`, '.checked': checkbox.checked })
    : null;
  const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, 'Cancel');
  const ok = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', value: 'confirm' }, confirmLabel);
  const dialog = /** @type {HTMLDialogElement} */ (h('dialog', {
    class: 'confirm',
    'aria-labelledby': `${id}-title`,
    'aria-describedby': `${id}-body`,
  },
  h('h2', { id: `${id}-title` }, title),
  h('div', { id: `${id}-body` }, paragraphs.map((p) => h('p', {}, p))),
  box && h('p', { class: 'check' }, box, ' ', h('label', { for: `${id}-check` }, checkbox?.label)),
  h('div', { class: 'dialog-actions' }, cancel, ok)));

  return new Promise((resolve) => {
    let confirmed = false;
    cancel.addEventListener('click', () => dialog.close());
    ok.addEventListener('click', () => { confirmed = true; dialog.close(); });
    dialog.addEventListener('close', () => {
      const checked = box ? /** @type {HTMLInputElement} */ (box).checked : false;
      dialog.remove();
      if (returnFocusTo?.isConnected && !/** @type {any} */ (returnFocusTo).disabled) returnFocusTo.focus();
      resolve({ confirmed, checked });
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    // The destructive button must never be the default: Enter right after
    // opening should not roll back a server.
    cancel.focus();
  });
}
