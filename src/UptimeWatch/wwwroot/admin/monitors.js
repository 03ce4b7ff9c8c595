// The monitor list: one row per monitor, built once and then filled in place (live updates keep focus where it
// is). Every name, group, target and error goes in as text.

import { el, svg, statusLabel, knownStatus, unstablePill, ms, showAgo } from '/status/format.js';

const RECENT = 30;
const SPARK_W = 120;
const SPARK_H = 24;
const CONFIRM_MS = 5000;

let nextId = 0;

const TYPE_LABELS = { http: 'HTTP', tcp: 'TCP', dns: 'DNS', tls: 'TLS', push: 'Push' };

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function stateBadge(status, extraClass = '') {
  const known = knownStatus(status);
  return el('span', { className: `state ${extraClass}`.trim(), 'data-status': known },
    el('span', { className: 'state-icon', 'aria-hidden': 'true' }),
    el('span', { className: 'state-text', text: statusLabel(known) }));
}

export class MonitorList {
  /**
   * @param {HTMLElement} container
   * @param {object} actions each returns a promise; rejections carry the server's message
   * @param {(slug: string) => Promise<string>} actions.pause / resume / checkNow / remove resolve to a line to show
   * @param {(monitor: object) => void} actions.edit opens the form
   * @param {(slug: string, minutes: number) => Promise<string>} actions.maintenance
   * @param {(slug: string, id: number) => Promise<string>} actions.endMaintenance
   * @param {(slug: string) => void} actions.select follows this monitor's checks in the log
   */
  constructor(container, actions) {
    this.container = container;
    this.actions = actions;
    this.rows = new Map();
    this.selected = null;
  }

  get(slug) {
    return this.rows.get(slug)?.monitor ?? null;
  }

  /** The whole list from monitors.list. */
  setAll(monitors) {
    const seen = new Set(monitors.map((m) => m.slug));
    for (const slug of [...this.rows.keys()]) if (!seen.has(slug)) this.remove(slug);
    for (const monitor of monitors) this.upsert(monitor, false);
    this.order();
  }

  upsert(monitor, reorder = true) {
    let row = this.rows.get(monitor.slug);
    if (!row) {
      row = this.createRow(monitor);
      this.rows.set(monitor.slug, row);
    }
    const moved = row.monitor && (row.monitor.name !== monitor.name || (row.monitor.group ?? '') !== (monitor.group ?? ''));
    this.fill(row, monitor);
    if (reorder || moved) this.order();
  }

  remove(slug) {
    const row = this.rows.get(slug);
    if (!row) return;
    row.root.remove();
    this.rows.delete(slug);
    this.showEmpty();
  }

  /** A live check result: state, last response, and one more point on the sparkline. */
  applyCheck(check) {
    const row = this.rows.get(check.monitor);
    if (!row) return false;
    const monitor = row.monitor;
    if (check.status) monitor.status = check.status;
    // A missed slot (the check could not start) says nothing about the target.
    let stale = false;
    if (check.outcome !== 'missed') {
      monitor.lastCheckedAt = check.at;
      monitor.lastResponseMs = check.responseMs ?? null;
      monitor.recent = [...(monitor.recent ?? []), { at: check.at, outcome: check.outcome, responseMs: check.responseMs }].slice(-RECENT);
      const location = (monitor.locations ?? []).find((l) => l.name.toLowerCase() === (check.location ?? '').toLowerCase());
      if (location) {
        location.lastCheckAt = check.at;
        // What the location confirmed is the server's to say (thresholds): a check that disagrees asks for it again.
        stale = location.status !== check.outcome;
      }
    }
    this.fill(row, monitor);
    return stale ? 'stale' : true;
  }

  applyStatus(event) {
    const row = this.rows.get(event.monitor);
    // A monitor judged by quorum: its locations' rows come with it, read again.
    if (!row || row.monitor.locations) return false;
    // An event that only starts or stops flapping keeps the status, and its time.
    if (row.monitor.status !== event.to) row.monitor.statusSince = event.at;
    row.monitor.status = event.to;
    row.monitor.flapping = event.flapping === true;
    this.fill(row, row.monitor);
    return true;
  }

  select(slug) {
    this.selected = slug;
    for (const [key, row] of this.rows) {
      row.logButton.setAttribute('aria-pressed', String(key === slug));
      row.root.classList.toggle('selected', key === slug);
    }
  }

  /** Sorted by group (ungrouped first), then name. */
  order() {
    const rows = [...this.rows.values()].sort((a, b) =>
      (a.monitor.group ?? '').localeCompare(b.monitor.group ?? '') || a.monitor.name.localeCompare(b.monitor.name));
    const current = [...this.container.children];
    if (rows.length !== current.length || rows.some((row, i) => row.root !== current[i])) {
      // Only rows out of place move, so a row being used keeps its focus.
      rows.forEach((row, i) => {
        if (this.container.children[i] !== row.root) this.container.insertBefore(row.root, this.container.children[i] ?? null);
      });
    }
    this.showEmpty();
  }

  showEmpty() {
    const empty = this.container.querySelector('.list-empty');
    if (this.rows.size === 0 && !empty) {
      this.container.append(el('p', { className: 'list-empty muted',
        text: 'No monitors yet. Create one with “New monitor”, or add them to the config file.' }));
    } else if (this.rows.size > 0 && empty) {
      empty.remove();
    }
  }

  createRow(monitor) {
    const id = `mon-${nextId++}`;
    const slug = monitor.slug;
    const name = el('h3', { className: 'monitor-name', id });
    const state = stateBadge('unknown');
    const unstable = unstablePill(false);
    const type = el('span', { className: 'type' });
    const target = el('span', { className: 'target' });
    const group = el('span', { className: 'group' });
    const source = el('span', { className: 'badge source' });
    const visibility = el('span', { className: 'badge visibility' });
    const response = el('span', { className: 'response' });
    const checked = el('time', { className: 'ago' });
    const spark = svg('svg', { class: 'spark', viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, preserveAspectRatio: 'none', role: 'img', focusable: 'false' });
    const result = el('p', { className: 'action-result', role: 'status' });
    const noteId = `${id}-note`;
    const configNote = el('p', { className: 'config-note', id: noteId });

    const pauseButton = el('button', { type: 'button', className: 'pause' });
    const checkButton = el('button', { type: 'button', text: 'Check now' });
    const logButton = el('button', { type: 'button', text: 'Live checks', 'aria-pressed': 'false' });
    const editButton = el('button', { type: 'button', text: 'Edit' });
    const deleteButton = el('button', { type: 'button', className: 'danger', text: 'Delete' });

    const minutesId = `${id}-minutes`;
    const minutes = el('input', { id: minutesId, type: 'number', min: '1', max: '10080', value: '30', inputmode: 'numeric', className: 'minutes' });
    const maintenanceButton = el('button', { type: 'button', text: 'Start maintenance' });
    const windows = el('ul', { className: 'windows' });
    const locationRows = el('tbody');
    const locations = el('table', { className: 'locations', hidden: true },
      el('caption', { text: 'Locations' }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Location' }), el('th', { scope: 'col', text: 'State' }),
        el('th', { scope: 'col', text: 'Last check' }))),
      locationRows);

    const root = el('article', { className: 'monitor', 'aria-labelledby': id, 'data-slug': slug },
      el('div', { className: 'monitor-head' }, name, el('span', { className: 'states' }, unstable, state)),
      el('p', { className: 'monitor-meta' }, type, target, group, source, visibility),
      el('div', { className: 'monitor-stats' },
        el('span', {}, 'Last response ', response),
        el('span', {}, 'Checked ', checked),
        spark),
      locations,
      el('div', { className: 'actions' }, pauseButton, checkButton, logButton, editButton, deleteButton),
      configNote,
      el('div', { className: 'maintenance' },
        el('label', { for: minutesId, text: 'Maintenance for' }), minutes, el('span', { text: 'minutes' }), maintenanceButton,
        windows),
      result);

    const row = { root, monitor: null, name, state, unstable, type, target, group, source, visibility, response, checked, spark, result,
      configNote, pauseButton, checkButton, logButton, editButton, deleteButton, minutes, windows, locations, locationRows, confirmTimer: 0 };

    const run = async (button, action) => {
      button.disabled = true;
      row.result.dataset.kind = 'busy';
      try {
        const line = await action();
        this.say(row, line, 'ok');
      } catch (error) {
        this.say(row, error.message, 'error');
      } finally {
        // A row that was re-filled meanwhile decides for itself (config monitors keep edit/delete off).
        button.disabled = false;
        if (row.monitor) this.fillControls(row, row.monitor);
      }
    };
    pauseButton.addEventListener('click', () => run(pauseButton, () =>
      (row.monitor.status === 'paused' ? this.actions.resume(slug) : this.actions.pause(slug))));
    checkButton.addEventListener('click', () => {
      this.say(row, 'Checking…', 'busy');
      run(checkButton, () => this.actions.checkNow(slug));
    });
    logButton.addEventListener('click', () => this.actions.select(slug));
    editButton.addEventListener('click', () => this.actions.edit(row.monitor));
    deleteButton.addEventListener('click', () => {
      // Two clicks, no modal: the first asks, the second (within 5 s) deletes.
      if (!deleteButton.dataset.confirm) {
        deleteButton.dataset.confirm = 'yes';
        deleteButton.textContent = 'Really delete?';
        this.say(row, `Click “Really delete?” to archive ${row.monitor.name}: it stops being checked; its history is kept.`, 'warn');
        row.confirmTimer = setTimeout(() => this.resetDelete(row), CONFIRM_MS);
        return;
      }
      this.resetDelete(row);
      run(deleteButton, () => this.actions.remove(slug));
    });
    maintenanceButton.addEventListener('click', () => run(maintenanceButton, () => this.actions.maintenance(slug, Number(minutes.value))));
    return row;
  }

  resetDelete(row) {
    clearTimeout(row.confirmTimer);
    delete row.deleteButton.dataset.confirm;
    row.deleteButton.textContent = 'Delete';
  }

  say(row, text, kind) {
    row.result.textContent = text ?? '';
    row.result.dataset.kind = kind;
  }

  fill(row, monitor) {
    row.monitor = monitor;
    const status = knownStatus(monitor.status);
    row.root.dataset.status = status;
    row.root.dataset.source = monitor.source;
    row.name.textContent = monitor.name;
    row.state.dataset.status = status;
    row.state.querySelector('.state-text').textContent = statusLabel(status);
    row.root.dataset.flapping = monitor.flapping ? 'true' : 'false';
    row.unstable.hidden = !monitor.flapping;
    row.state.setAttribute('aria-label', `State: ${statusLabel(status)}${monitor.flapping ? ', unstable (repeated alerts held back)' : ''}`);
    row.type.textContent = TYPE_LABELS[monitor.type] ?? monitor.type;
    row.target.textContent = monitor.type === 'push' ? (monitor.pushUrl ?? 'push URL') : monitor.target;
    row.group.textContent = monitor.group ? `Group: ${monitor.group}` : 'No group';
    row.source.textContent = monitor.source === 'config' ? 'config file' : 'console';
    row.source.dataset.source = monitor.source;
    row.visibility.textContent = monitor.public ? 'public' : 'private';
    row.response.textContent = ms(monitor.lastResponseMs);
    showAgo(row.checked, monitor.lastCheckedAt);
    this.fillSpark(row, monitor.recent ?? []);
    this.fillControls(row, monitor);
    this.fillWindows(row, monitor);
    this.fillLocations(row, monitor);
    row.logButton.setAttribute('aria-pressed', String(this.selected === monitor.slug));
    row.root.classList.toggle('selected', this.selected === monitor.slug);
  }

  fillControls(row, monitor) {
    row.pauseButton.textContent = monitor.status === 'paused' ? 'Resume' : 'Pause';
    const managed = monitor.source === 'config';
    row.configNote.hidden = !managed;
    row.configNote.textContent = managed
      ? `Defined in ${monitor.configFile ?? 'the config file'}: edit or delete it there. Pause, check and maintenance work here.`
      : '';
    for (const button of [row.editButton, row.deleteButton]) {
      button.disabled = managed;
      if (managed) {
        button.setAttribute('aria-describedby', row.configNote.id);
        button.title = row.configNote.textContent;
      } else {
        button.removeAttribute('aria-describedby');
        button.removeAttribute('title');
      }
    }
  }

  /** A monitor judged by quorum: a row per location, with what its checks confirmed and when it last checked. */
  fillLocations(row, monitor) {
    const locations = monitor.locations ?? [];
    row.locations.hidden = locations.length === 0;
    row.locationRows.replaceChildren(...locations.map((location) => {
      // Offline: no report for three intervals. Cut off: it reports, but cannot reach the internet (its canaries fail),
      // so its verdicts are held. Neither votes.
      const silent = { offline: 'Offline', 'cut-off': 'No internet' }[location.status];
      const state = silent ? el('span', { className: 'location-offline', text: silent }) : stateBadge(location.status);
      const checked = el('time', { className: 'ago' });
      showAgo(checked, location.lastCheckAt);
      return el('tr', { 'data-location': location.name },
        el('th', { scope: 'row', text: location.name }), el('td', {}, state), el('td', {}, checked));
    }));
  }

  fillWindows(row, monitor) {
    const now = Date.now();
    const windows = (monitor.maintenance ?? []).filter((w) => Date.parse(w.end) > now);
    row.windows.replaceChildren(...windows.map((w) => {
      const started = Date.parse(w.start) <= now;
      const text = `${started ? 'In maintenance until' : `Maintenance from ${timeFormat.format(new Date(w.start))} to`} ${timeFormat.format(new Date(w.end))}`;
      const end = el('button', { type: 'button', className: 'small', text: started ? 'End now' : 'Cancel' });
      end.addEventListener('click', async () => {
        end.disabled = true;
        try {
          this.say(row, await this.actions.endMaintenance(monitor.slug, w.id), 'ok');
        } catch (error) {
          this.say(row, error.message, 'error');
          end.disabled = false;
        }
      });
      return el('li', {}, el('span', { text: w.reason ? `${text} (${w.reason})` : text }), end);
    }));
  }

  /** One bar per recent check: height is the response time, colour and shape the outcome. */
  fillSpark(row, recent) {
    const checks = recent.slice(-RECENT);
    const top = Math.max(1, ...checks.map((c) => c.responseMs ?? 0));
    const width = SPARK_W / RECENT;
    const offset = SPARK_W - checks.length * width;
    row.spark.replaceChildren(...checks.map((check, i) => {
      const failed = check.outcome === 'down';
      const h = failed ? SPARK_H : Math.max(2, ((check.responseMs ?? 0) / top) * (SPARK_H - 2));
      return svg('rect', { class: `spark-bar ${knownOutcome(check.outcome)}`, x: (offset + i * width + 0.5).toFixed(1),
        y: (SPARK_H - h).toFixed(1), width: (width - 1).toFixed(1), height: h.toFixed(1) });
    }));
    const down = checks.filter((c) => c.outcome === 'down').length;
    const times = checks.filter((c) => c.outcome !== 'down' && c.responseMs !== null && c.responseMs !== undefined).map((c) => c.responseMs);
    const average = times.length ? times.reduce((a, b) => a + b, 0) / times.length : null;
    row.spark.setAttribute('aria-label', checks.length
      ? `Last ${checks.length} checks: ${checks.length - down} working, ${down} failed, average ${ms(average)}`
      : 'No checks yet');
  }
}

function knownOutcome(outcome) {
  return ['up', 'degraded', 'down'].includes(outcome) ? outcome : 'other';
}

/** "Up · 12 ms · HTTP 200" or "Down · connection refused …": what a check-now reply says. */
export function describeCheck(result) {
  const parts = [statusLabel(knownStatus(result.outcome))];
  if (result.responseMs !== null && result.responseMs !== undefined) parts.push(ms(result.responseMs));
  if (result.httpStatus) parts.push(`HTTP ${result.httpStatus}`);
  if (result.error) parts.push(result.error);
  const when = result.recorded === false ? 'Checked now (paused: not recorded)' : 'Checked now';
  return `${when}: ${parts.join(' · ')}`;
}
