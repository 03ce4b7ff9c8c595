// The settings panel: change the password, and API tokens (create shows the secret once; list; revoke).

import { el, fullTime } from '/status/format.js';
import * as api from './api.js';

export class Settings {
  constructor(root, { passwordChanged }) {
    this.root = root;
    this.passwordChanged = passwordChanged;
    this.passwordForm = root.querySelector('#password-form');
    this.tokenForm = root.querySelector('#token-form');
    this.tokenList = root.querySelector('#token-list');
    this.tokenError = root.querySelector('#token-error');
    this.created = root.querySelector('#token-created');
    this.secret = root.querySelector('#token-secret');

    this.passwordForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.changePassword();
    });
    this.tokenForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.createToken();
    });
    root.querySelector('#token-copy').addEventListener('click', (event) => copy(this.secret, event.currentTarget));
  }

  async show() {
    this.root.hidden = false;
    this.created.hidden = true;
    this.secret.value = '';
    await this.loadTokens();
  }

  hide() {
    this.root.hidden = true;
    this.created.hidden = true;
    this.secret.value = '';
  }

  async changePassword() {
    const form = this.passwordForm;
    const current = form.elements.namedItem('current');
    const next = form.elements.namedItem('new');
    const done = form.querySelector('.form-done');
    clearFormErrors(form);
    done.hidden = true;
    try {
      // The server closes this page's socket too (1008) when the old session ends; the console must know
      // that a new cookie is on its way.
      const change = api.changePassword(current.value, next.value);
      this.passwordChanged(change);
      await change;
      form.reset();
      done.textContent = 'Password changed. Every other session has been signed out.';
      done.hidden = false;
    } catch (error) {
      showFormErrors(form, error, { current: 'password-current', new: 'password-new' });
    }
  }

  async loadTokens() {
    try {
      const { tokens } = await api.listTokens();
      this.tokenList.replaceChildren(...tokens.slice().reverse().map((t) => this.tokenItem(t)));
      if (tokens.length === 0) this.tokenList.append(el('li', { className: 'muted', text: 'No API tokens yet.' }));
    } catch (error) {
      this.tokenList.replaceChildren(el('li', { className: 'field-error', text: error.message }));
    }
  }

  tokenItem(token) {
    const details = [`${token.prefix}…`, `created ${fullTime(token.createdAt)}`,
      token.lastUsedAt ? `last used ${fullTime(token.lastUsedAt)}` : 'never used'];
    if (token.revokedAt) details.push(`revoked ${fullTime(token.revokedAt)}`);
    const item = el('li', { className: token.revokedAt ? 'token revoked' : 'token' },
      el('strong', { text: token.name }), el('span', { className: 'muted', text: details.join(' · ') }));
    if (!token.revokedAt) {
      const revoke = el('button', { type: 'button', className: 'small danger', text: 'Revoke' });
      revoke.setAttribute('aria-label', `Revoke token ${token.name}`);
      revoke.addEventListener('click', async () => {
        revoke.disabled = true;
        try {
          await api.revokeToken(token.id);
          await this.loadTokens();
        } catch (error) {
          this.tokenError.textContent = error.message;
          this.tokenError.hidden = false;
          revoke.disabled = false;
        }
      });
      item.append(revoke);
    }
    return item;
  }

  async createToken() {
    const name = this.tokenForm.elements.namedItem('name');
    this.tokenError.hidden = true;
    name.removeAttribute('aria-invalid');
    try {
      const token = await api.createToken(name.value);
      name.value = '';
      this.secret.value = token.secret;
      this.created.hidden = false;
      this.secret.focus();
      this.secret.select();
      await this.loadTokens();
    } catch (error) {
      this.tokenError.textContent = error.fields?.name ? `Name ${error.fields.name}` : error.message;
      this.tokenError.hidden = false;
      name.setAttribute('aria-invalid', 'true');
    }
  }
}

/** Puts field errors under their inputs (field name → input id), anything else in the form's error line. */
export function showFormErrors(form, error, inputs) {
  let placed = false;
  for (const [field, message] of Object.entries(error.fields ?? {})) {
    const id = inputs[field];
    const note = id && form.querySelector(`#${id}-error`);
    if (!note) continue;
    note.textContent = message;
    note.hidden = false;
    form.querySelector(`#${id}`).setAttribute('aria-invalid', 'true');
    placed = true;
  }
  if (!placed) {
    const general = form.querySelector('.form-error');
    general.textContent = error.message;
    general.hidden = false;
  }
}

export function clearFormErrors(form) {
  for (const note of form.querySelectorAll('.field-error, .form-error')) {
    note.textContent = '';
    note.hidden = true;
  }
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}

/** Copies a field's text; where the Clipboard API is not allowed (plain http on another host), selects it instead. */
export async function copy(field, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(field.value);
    button.textContent = 'Copied';
  } catch {
    field.focus();
    field.select();
    button.textContent = 'Selected: press Ctrl+C';
  }
  setTimeout(() => { button.textContent = label; }, 2000);
}
