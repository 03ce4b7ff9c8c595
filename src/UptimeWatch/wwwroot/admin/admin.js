// The admin console: signing in over HTTP, then everything over the /ws/admin WebSocket (docs/admin-protocol.md).

import { el, ago } from '/status/format.js';
import * as api from './api.js';
import { AdminSocket } from './socket.js';
import { MonitorList, describeCheck } from './monitors.js';
import { MonitorForm } from './form.js';
import { AlertFeed, CheckLog } from './alerts.js';
import { Settings, showFormErrors, clearFormErrors, copy } from './settings.js';
import { AgentTokens } from './agents.js';

const MIN_PASSWORD = 12;
const $ = (id) => document.getElementById(id);

const CONNECTION_TEXT = { connecting: 'connecting', live: 'live', reconnecting: 'reconnecting', offline: 'offline' };

let socket = null;
const request = (type, payload) => socket.request(type, payload);

// --- Signing in ---------------------------------------------------------------------------------------------

function showMessage(text, kind = 'info') {
  const node = $('page-message');
  node.textContent = text ?? '';
  node.dataset.kind = kind;
  node.hidden = !text;
}

function showAuth(which, message) {
  stopConsole();
  $('console').hidden = true;
  $('session-tools').hidden = true;
  $('auth').hidden = false;
  $('setup-form').hidden = which !== 'setup';
  $('login-form').hidden = which !== 'login';
  if (message) showMessage(message, 'warn');
  const form = $(which === 'setup' ? 'setup-form' : 'login-form');
  clearFormErrors(form);
  form.querySelector(which === 'setup' ? '#setup-code' : 'input[type="password"]').focus();
}

$('setup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearFormErrors(form);
  const setupCode = $('setup-code').value.trim();
  const password = $('setup-password').value;
  const fields = {};
  if (!setupCode) fields.setupCode = 'is required: see where to find it below';
  else if (password.length < MIN_PASSWORD) fields.password = `must be at least ${MIN_PASSWORD} characters long`;
  else if ($('setup-confirm').value !== password) fields.confirm = 'does not match the password above';
  if (Object.keys(fields).length) {
    showFormErrors(form, { fields, message: '' }, { setupCode: 'setup-code', password: 'setup-password', confirm: 'setup-confirm' });
    return;
  }
  await busy(form, async () => {
    try {
      await api.setUp(setupCode, password);
      form.reset();
      startConsole();
    } catch (error) {
      if (error.status === 409) {
        // Someone chose it first (another tab, or UptimeWatch__Admin__InitialPassword).
        showAuth('login', error.message);
        return;
      }
      showFormErrors(form, error, { setupCode: 'setup-code', password: 'setup-password' });
    }
  });
});

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  clearFormErrors(form);
  await busy(form, async () => {
    try {
      await api.login($('login-user').value, $('login-password').value);
      form.reset();
      startConsole();
    } catch (error) {
      // The server's own words: "Wrong user name or password", or the rate limit's "Too many sign-in attempts …".
      showFormErrors(form, error, {});
      $('login-password').select();
    }
  });
});

$('sign-out').addEventListener('click', async () => {
  stopConsole();
  try {
    await api.logout();
  } catch {
    // Signed out here either way; the cookie expires on its own.
  }
  showAuth('login', 'Signed out.');
});

async function busy(form, action) {
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await action();
  } finally {
    button.disabled = false;
  }
}

// --- The console ----------------------------------------------------------------------------------------

const monitors = new MonitorList($('monitor-list'), {
  pause: async (slug) => { monitors.upsert(await request('monitors.pause', { slug })); return 'Paused: no checks, no alerts.'; },
  resume: async (slug) => { monitors.upsert(await request('monitors.resume', { slug })); return 'Resumed.'; },
  checkNow: async (slug) => describeCheck(await request('monitors.checkNow', { slug })),
  remove: async (slug) => {
    await request('monitors.delete', { slug });
    monitors.remove(slug);
    if (log.slug === slug) log.follow(null);
    return '';
  },
  edit: (monitor) => editor.openEdit(monitor),
  maintenance: async (slug, minutes) => {
    const created = await request('maintenance.create', { slug, minutes });
    await refreshMonitor(slug);
    return `In maintenance until ${new Date(created.end).toLocaleTimeString()}.`;
  },
  endMaintenance: async (slug, id) => {
    await request('maintenance.delete', { id });
    await refreshMonitor(slug);
    return 'Maintenance ended.';
  },
  select: (slug) => {
    const next = monitors.selected === slug ? null : slug;
    monitors.select(next);
    log.follow(next ? monitors.get(next) : null);
  },
});

const editor = new MonitorForm($('editor'),
  (slug, fields) => (slug ? request('monitors.update', { slug, monitor: fields }) : request('monitors.create', { monitor: fields })),
  (monitor, oldSlug) => {
    // Renaming changes the slug: the old row goes.
    if (oldSlug && oldSlug !== monitor.slug) monitors.remove(oldSlug);
    monitors.upsert(monitor);
  });

const alerts = new AlertFeed($('alert-list'), $('alerts-empty'), (id) => request('alerts.ack', { id }));
const log = new CheckLog($('log-title'), $('check-log'));

let passwordChange = null;
const settings = new Settings($('settings'), {
  passwordChanged: (change) => { passwordChange = change; },
  agents: new AgentTokens($('settings')),
});

$('new-monitor').addEventListener('click', () => editor.openNew());
$('settings-toggle').addEventListener('click', (event) => {
  const open = $('settings').hidden;
  event.currentTarget.setAttribute('aria-expanded', String(open));
  if (open) settings.show();
  else settings.hide();
});

$('export').addEventListener('click', async () => {
  const status = $('export-status');
  try {
    const config = await request('monitors.export', {});
    $('export-text').value = JSON.stringify(config, null, 2);
    status.textContent = '';
  } catch (error) {
    $('export-text').value = '';
    status.textContent = error.message;
  }
  $('export-panel').hidden = false;
  $('export-text').focus();
});
$('export-copy').addEventListener('click', (event) => copy($('export-text'), event.currentTarget));
$('export-close').addEventListener('click', () => {
  $('export-panel').hidden = true;
  $('export').focus();
});

const CONFIG_RECHECK_MS = 5000;
let configTimer = 0;

function showConfigStatus({ file, errors }) {
  const banner = $('config-banner');
  clearTimeout(configTimer);
  if (!errors || errors.length === 0) {
    banner.hidden = true;
    return;
  }
  // A corrected file is applied without a push of its own: while the banner shows, ask now and then.
  configTimer = setTimeout(async () => {
    try {
      if (socket) showConfigStatus(await request('config.status', {}));
    } catch {
      // Asked again after the next reconnect.
    }
  }, CONFIG_RECHECK_MS);
  $('config-file').textContent = `${file ?? 'The config file'} was changed but NOT applied: the running monitors carry on unchanged. Fix these and save it again:`;
  $('config-errors').replaceChildren(...errors.map((error) => el('li', { text: error })));
  banner.hidden = false;
}

let clusterTimer = 0;

/** The banner while this node's monitors file differs from the one its PostgreSQL cluster runs (`config.status`'s `cluster`). */
function showClusterStatus(cluster) {
  const banner = $('cluster-banner');
  clearTimeout(clusterTimer);
  if (!cluster?.differs) {
    banner.hidden = true;
    return;
  }
  // The right file deployed here (or this one saved again) ends it without a push: ask now and then while it shows.
  clusterTimer = setTimeout(async () => {
    try {
      if (socket) showClusterStatus((await request('config.status', {})).cluster);
    } catch {
      // Asked again after the next reconnect.
    }
  }, CONFIG_RECHECK_MS);
  $('cluster-text').textContent = cluster.message;
  banner.hidden = false;
}

/** The banner while writes to the database fail (a full disk): pushed as `storage`, asked with `storage.status`. */
function showStorageStatus({ failing, since, error }) {
  const banner = $('storage-banner');
  if (!failing) {
    banner.hidden = true;
    return;
  }
  const when = since ? new Date(since).toLocaleString() : 'a while';
  // SQLite's messages end with a full stop of their own.
  const reason = (error ?? 'unknown error').replace(/\.$/, '');
  $('storage-text').textContent = `Writes to the database have failed since ${when}: ${reason}. `
    + 'Checks go on and wait in memory; free disk space (or fix the database) and they are stored within seconds. '
    + 'What the status page and alerts show may lag behind until then.';
  banner.hidden = false;
}

async function refreshMonitor(slug) {
  try {
    monitors.upsert(await request('monitors.get', { slug }));
  } catch (error) {
    if (error.code === 'not_found') monitors.remove(slug);
  }
}

/** Everything that is not replayed after a reconnect: the monitors, open alerts, the config file's and storage's state. */
async function reloadAll() {
  try {
    const seenUpTo = socket?.seq;
    const [list, open, config, storage] = await Promise.all([
      request('monitors.list', {}),
      request('alerts.list', { state: 'open', limit: 100 }),
      request('config.status', {}),
      request('storage.status', {}),
    ]);
    monitors.setAll(list.monitors ?? []);
    alerts.setAll(open.alerts ?? [], seenUpTo);
    showConfigStatus(config);
    showClusterStatus(config.cluster);
    showStorageStatus(storage);
    if (log.slug && !monitors.get(log.slug)) log.follow(null);
    showMessage('');
  } catch (error) {
    if (error.code !== 'disconnected') showMessage(`Could not load the console: ${error.message}`, 'error');
  }
}

function onPush({ type, payload }) {
  switch (type) {
    case 'check':
      if (monitors.applyCheck(payload) === 'stale') refreshMonitor(payload.monitor);
      log.add(payload);
      break;
    case 'status':
      if (!monitors.applyStatus(payload)) refreshMonitor(payload.monitor);
      break;
    case 'alert.raised':
    case 'alert.reminded':
    case 'alert.acknowledged':
    case 'alert.resolved':
      alerts.upsert(payload);
      break;
    case 'monitors.changed':
      if (payload.change === 'deleted') monitors.remove(payload.slug);
      else refreshMonitor(payload.slug);
      break;
    case 'config.rejected':
      showConfigStatus(payload);
      break;
    case 'storage':
      showStorageStatus(payload);
      break;
    default:
      // A push this page does not know yet (a newer server): ignore it.
      break;
  }
}

function showConnection(state) {
  const node = $('connection');
  node.dataset.state = state;
  node.querySelector('.connection-text').textContent = CONNECTION_TEXT[state] ?? state;
}

function startConsole({ keepFocus = false } = {}) {
  showMessage('');
  $('auth').hidden = true;
  $('console').hidden = false;
  $('session-tools').hidden = false;
  stopConsole({ keepSettings: keepFocus });
  socket = new AdminSocket({
    onPush,
    onReady: reloadAll,
    onReset: reloadAll,
    onState: showConnection,
    stillSignedIn: async () => (await api.me()) !== null,
    onSignedOut: async (ended) => {
      if (passwordChange) {
        // Our own password change ended the old session; the response carries this page's new cookie.
        await passwordChange.catch(() => {});
        passwordChange = null;
        if (await api.me().catch(() => null)) {
          startConsole({ keepFocus: true });
          return;
        }
      }
      showAuth('login', ended
        ? 'Your session ended (signed out elsewhere, or the password was changed). Sign in again.'
        : 'You are not signed in (the session expired). Sign in again.');
    },
  });
  socket.start();
  if (!keepFocus) $('new-monitor').focus();
}

function stopConsole({ keepSettings = false } = {}) {
  if (socket) socket.stop();
  socket = null;
  clearTimeout(configTimer);
  if (keepSettings) return;
  settings.hide();
  $('settings-toggle').setAttribute('aria-expanded', 'false');
}

// "checked 12 s ago" stays true without a re-render.
setInterval(() => {
  const now = Date.now();
  for (const time of document.querySelectorAll('#monitor-list time.ago[datetime]')) time.textContent = ago(time.getAttribute('datetime'), now);
}, 1000);

async function start() {
  try {
    const { setupRequired } = await api.setupStatus();
    if (setupRequired) {
      showAuth('setup');
      return;
    }
    if (await api.me()) startConsole();
    else showAuth('login');
  } catch (error) {
    showMessage(`${error.message} Reload the page to try again.`, 'error');
  }
}

start();
