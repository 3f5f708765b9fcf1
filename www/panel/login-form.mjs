// The sign-in form of the customer page and of the operator's view: the
// same fields, labels, focus and error handling, so both read alike to a
// keyboard or screen-reader user.
import { h, replaceChildren } from './dom.mjs';

/**
 * Shows the form in `container` and focuses the username. On submit it calls
 * `signIn`; when that throws, the form shows `describeError(err)`, lets the
 * user try again and selects the password.
 * @param {Element} container
 * @param {{title: string, notice?: string, signIn: (username: string, password: string) => Promise<void>,
 *   describeError: (err: any) => string}} o
 */
export function showLoginForm(container, { title, notice, signIn, describeError }) {
  const username = /** @type {HTMLInputElement} */ (h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true }));
  const password = /** @type {HTMLInputElement} */ (h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true }));
  const error = h('p', { class: 'alert', role: 'alert', hidden: !notice }, notice ?? '');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const form = h('form', { class: 'card login', 'aria-labelledby': 'login-title', onsubmit: onLogin },
    h('h1', { id: 'login-title' }, title),
    h('p', { class: 'field' }, h('label', { for: 'login-user' }, 'Username'), username),
    h('p', { class: 'field' }, h('label', { for: 'login-pass' }, 'Password'), password),
    error, submit);
  replaceChildren(container, form);
  username.focus();

  /** @param {Event} ev */
  async function onLogin(ev) {
    ev.preventDefault();
    submit.setAttribute('disabled', '');
    try {
      await signIn(username.value, password.value);
    } catch (err) {
      replaceChildren(error, describeError(err));
      error.hidden = false;
      submit.removeAttribute('disabled');
      password.select();
    }
  }
}
