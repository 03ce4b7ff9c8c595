// Probe agents, in the settings panel: an agent token per location (the secret shown once, with the agent's settings
// ready to paste), every token listed with whether an agent is connected with it now, and revocation, which
// disconnects the agent at once. No push tells the console when an agent comes or goes, so the list is read again
// every few seconds while it is shown; rows are filled in place, so a pending confirmation or the focus survives it.

import { el, fullTime } from '/status/format.js';
import * as api from './api.js';
import { copy } from './settings.js';

const REFRESH_MS = 5000;
const CONFIRM_MS = 5000;

export class AgentTokens {
  constructor(root) {
    this.form = root.querySelector('#agent-form');
    this.location = this.form.elements.namedItem('location');
    this.error = root.querySelector('#agent-error');
    this.created = root.querySelector('#agent-created');
    this.secret = root.querySelector('#agent-secret');
    this.settings = root.querySelector('#agent-settings');
    this.list = root.querySelector('#agent-list');
    this.empty = root.querySelector('#agent-empty');
    this.listError = root.querySelector('#agent-list-error');
    this.rows = new Map();
    this.timer = 0;
    this.loads = 0;

    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.create();
    });
    root.querySelector('#agent-secret-copy').addEventListener('click', (event) => copy(this.secret, event.currentTarget));
    root.querySelector('#agent-settings-copy').addEventListener('click', (event) => copy(this.settings, event.currentTarget));
  }

  async show() {
    this.forget();
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (!document.hidden) this.load();
    }, REFRESH_MS);
    await this.load();
  }

  hide() {
    clearInterval(this.timer);
    this.timer = 0;
    this.forget();
  }

  /** The secret is shown once: gone when the panel closes. */
  forget() {
    this.created.hidden = true;
    this.secret.value = '';
    this.settings.value = '';
  }

  async load() {
    // Only the latest read is shown: an older one answering late would show a token as it was.
    const load = ++this.loads;
    let tokens;
    try {
      ({ tokens } = await api.listAgentTokens());
    } catch (error) {
      if (load !== this.loads) return;
      this.listError.textContent = error.message;
      this.listError.hidden = false;
      return;
    }
    if (load !== this.loads) return;
    this.listError.hidden = true;
    for (const token of tokens) {
      let row = this.rows.get(token.id);
      if (!row) {
        row = this.row(token);
        this.rows.set(token.id, row);
        // Oldest first from the server, newest first on the page (as API tokens).
        this.list.prepend(row.item);
      }
      this.fill(row, token);
    }
    this.empty.hidden = tokens.length > 0;
  }

  row(token) {
    const state = el('span', { className: 'badge agent-state' });
    const details = el('span', { className: 'muted' });
    const revoke = el('button', { type: 'button', className: 'small danger', text: 'Revoke' });
    const result = el('span', { className: 'action-result', role: 'status' });
    const item = el('li', { className: 'token', 'data-id': token.id },
      el('strong', { text: token.location }), state, details, revoke, result);
    const row = { item, state, details, revoke, result, token, confirmTimer: 0 };
    revoke.addEventListener('click', () => this.revoke(row));
    return row;
  }

  fill(row, token) {
    row.token = token;
    const revoked = Boolean(token.revokedAt);
    row.item.classList.toggle('revoked', revoked);
    const details = [`${token.prefix}…`, `created ${fullTime(token.createdAt)}`,
      token.lastUsedAt ? `last used ${fullTime(token.lastUsedAt)}` : 'never used'];
    if (revoked) details.push(`revoked ${fullTime(token.revokedAt)}`);
    row.details.textContent = details.join(' · ');

    const connections = token.connections ?? 0;
    row.state.dataset.state = revoked ? 'revoked' : connections > 0 ? 'connected' : 'disconnected';
    row.state.textContent = revoked ? 'Revoked'
      : connections > 1 ? `${connections} agents connected`
        : connections === 1 ? 'Connected' : 'Not connected';

    if (revoked) {
      this.resetRevoke(row);
      row.revoke.hidden = true;
    } else if (!row.revoke.dataset.confirm) {
      row.revoke.setAttribute('aria-label', `Revoke the agent token of ${token.location} (${token.prefix}…)`);
    }
  }

  async revoke(row) {
    const { revoke, token } = row;
    // Two clicks, no modal, as deleting a monitor: the first asks, naming the location; the second (within 5 s) revokes.
    if (!revoke.dataset.confirm) {
      revoke.dataset.confirm = 'yes';
      revoke.textContent = 'Really revoke?';
      revoke.setAttribute('aria-label', `Really revoke the agent token of ${token.location}?`);
      say(row, `Click “Really revoke?” to revoke this token of ${token.location}: the agent using it is disconnected at once and stops. This cannot be undone.`, 'warn');
      row.confirmTimer = setTimeout(() => {
        this.resetRevoke(row);
        say(row, '', '');
      }, CONFIRM_MS);
      return;
    }
    this.resetRevoke(row);
    revoke.disabled = true;
    try {
      await api.revokeAgentToken(token.id);
      say(row, '', '');
      await this.load();
    } catch (error) {
      say(row, error.message, 'error');
    } finally {
      revoke.disabled = false;
    }
  }

  resetRevoke(row) {
    clearTimeout(row.confirmTimer);
    delete row.revoke.dataset.confirm;
    row.revoke.textContent = 'Revoke';
    row.revoke.setAttribute('aria-label', `Revoke the agent token of ${row.token.location} (${row.token.prefix}…)`);
  }

  async create() {
    const input = this.location;
    this.error.hidden = true;
    input.removeAttribute('aria-invalid');
    try {
      const token = await api.createAgentToken(input.value);
      input.value = '';
      this.secret.value = token.secret;
      this.settings.value = agentSettings(window.location.origin, token);
      this.created.hidden = false;
      this.secret.focus();
      this.secret.select();
      await this.load();
    } catch (error) {
      // The server's sentence names the field and what was typed: location "eu west" must be 1 to 32 letters, …
      const message = error.message;
      this.error.textContent = message.charAt(0).toUpperCase() + message.slice(1);
      this.error.hidden = false;
      input.setAttribute('aria-invalid', 'true');
    }
  }
}

/**
 * The agent's three settings as environment variables, one KEY=value a line: as it is, the environment file of the
 * systemd unit or of `docker run --env-file` (docs/locations.md). Nothing in them needs quoting: an origin, a location
 * name (letters, digits, - _ .) and a token (letters, digits, - _).
 */
export function agentSettings(server, token) {
  return [
    `UptimeWatch__Agent__Server=${server}`,
    `UptimeWatch__Agent__Location=${token.location}`,
    `UptimeWatch__Agent__Token=${token.secret}`,
  ].join('\n');
}

function say(row, text, kind) {
  row.result.textContent = text;
  row.result.dataset.kind = kind;
}
