// The settings panel: change the password, API tokens (create shows the secret once; list; revoke), probe agents'
// tokens (agents.js), notification channels (with a test button) and the latest notifications with their delivery
// attempts.

import { el, fullTime } from '/status/format.js';
import * as api from './api.js';

export class Settings {
  constructor(root, { passwordChanged, agents }) {
    this.root = root;
    this.passwordChanged = passwordChanged;
    this.agents = agents;
    this.passwordForm = root.querySelector('#password-form');
    this.tokenForm = root.querySelector('#token-form');
    this.tokenList = root.querySelector('#token-list');
    this.tokenError = root.querySelector('#token-error');
    this.created = root.querySelector('#token-created');
    this.secret = root.querySelector('#token-secret');
    this.channelList = root.querySelector('#channel-list');
    this.notificationList = root.querySelector('#notification-list');

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
    await Promise.all([this.loadTokens(), this.agents.show(), this.loadChannels(), this.loadNotifications()]);
  }

  async loadChannels() {
    try {
      const { channels } = await api.listChannels();
      this.channelList.replaceChildren(...channels.map((c) => this.channelItem(c)));
      if (channels.length === 0) this.channelList.append(el('li', { className: 'muted', text: 'No channels configured: alerts show here only.' }));
    } catch (error) {
      this.channelList.replaceChildren(el('li', { className: 'field-error', text: error.message }));
    }
  }

  channelItem(channel) {
    const result = el('span', { className: 'muted channel-result' });
    result.setAttribute('role', 'status');
    const test = el('button', { type: 'button', className: 'small', text: 'Send test' });
    test.setAttribute('aria-label', `Send a test notification to ${channel.name}`);
    test.addEventListener('click', async () => {
      test.disabled = true;
      result.textContent = 'Sending…';
      try {
        const outcome = await api.testChannel(channel.name);
        result.textContent = outcome.delivered
          ? `Delivered${outcome.statusCode ? ` (${outcome.statusCode})` : ''}.`
          : `Not delivered: ${outcome.error ?? `status ${outcome.statusCode}`}`;
        await this.loadNotifications();
      } catch (error) {
        result.textContent = error.message;
      } finally {
        test.disabled = false;
      }
    });
    return el('li', { className: 'token' },
      el('strong', { text: channel.name }), el('span', { className: 'muted', text: [channel.type, channel.url].filter(Boolean).join(' · ') }),
      test, result);
  }

  async loadNotifications() {
    try {
      const { notifications } = await api.listNotifications(20);
      this.notificationList.replaceChildren(...notifications.map((n) => {
        const details = [n.channel, n.state, `${n.attempts} attempt${n.attempts === 1 ? '' : 's'}`, fullTime(n.createdAt)];
        if (n.lastError) details.push(n.lastError);
        return el('li', { className: `token notification-${n.state}` },
          el('strong', { text: `${n.event}: ${n.monitor ?? n.subject}` }), el('span', { className: 'muted', text: details.join(' · ') }));
      }));
      if (notifications.length === 0) this.notificationList.append(el('li', { className: 'muted', text: 'Nothing sent yet.' }));
    } catch (error) {
      this.notificationList.replaceChildren(el('li', { className: 'field-error', text: error.message }));
    }
  }

  hide() {
    this.root.hidden = true;
    this.created.hidden = true;
    this.secret.value = '';
    this.agents.hide();
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
