// The live alert feed (open alerts at start, then alert.raised / acknowledged / resolved pushes) and the live
// log of one monitor's checks.

import { el, ms, fullTime, localTime } from '/status/format.js';
import { stateBadge } from './monitors.js';

const MAX_ALERTS = 100;
const MAX_LOG = 50;
// A reply and a push can cross: never let an older view of an alert undo a later one.
const RANK = { open: 0, acknowledged: 1, resolved: 2 };
const STATE_LABELS = { open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved' };

export class AlertFeed {
  /**
   * @param {HTMLElement} list
   * @param {HTMLElement} empty
   * @param {(id: number) => Promise<object>} acknowledge resolves to the acknowledged alert
   */
  constructor(list, empty, acknowledge) {
    this.list = list;
    this.empty = empty;
    this.acknowledge = acknowledge;
    this.alerts = new Map();
    this.items = new Map();
  }

  /**
   * The unresolved alerts from alerts.list. One shown as unresolved that the list no longer has was resolved while
   * the page was not listening: it goes. Only if it was raised up to `seenUpTo` (the seq when the list was asked
   * for), so that an alert raised meanwhile, whose push overtook the reply, stays.
   */
  setAll(alerts, seenUpTo) {
    const listed = new Set(alerts.map((a) => a.id));
    for (const [id, known] of this.alerts) {
      if (known.state !== 'resolved' && !listed.has(id) && typeof seenUpTo === 'number' && known.raisedSeq <= seenUpTo) {
        this.alerts.delete(id);
        this.items.get(id)?.root.remove();
        this.items.delete(id);
      }
    }
    for (const alert of alerts) this.merge(alert);
    this.render();
  }

  upsert(alert) {
    this.merge(alert);
    this.render();
  }

  merge(alert) {
    const known = this.alerts.get(alert.id);
    if (known && (RANK[known.state] ?? 0) > (RANK[alert.state] ?? 0)) return;
    this.alerts.set(alert.id, alert);
  }

  render() {
    const alerts = [...this.alerts.values()].sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt) || b.id - a.id);
    for (const old of alerts.slice(MAX_ALERTS)) {
      this.alerts.delete(old.id);
      this.items.get(old.id)?.root.remove();
      this.items.delete(old.id);
    }
    alerts.slice(0, MAX_ALERTS).forEach((alert, i) => {
      let item = this.items.get(alert.id);
      if (!item) {
        item = this.createItem(alert.id);
        this.items.set(alert.id, item);
      }
      this.fill(item, alert);
      if (this.list.children[i] !== item.root) this.list.insertBefore(item.root, this.list.children[i] ?? null);
    });
    const open = alerts.filter((a) => a.state === 'open').length;
    this.empty.hidden = alerts.length > 0;
    this.list.setAttribute('aria-label', `${open} open alert${open === 1 ? '' : 's'}`);
  }

  createItem(id) {
    const name = el('strong', { className: 'alert-monitor' });
    const state = el('span', { className: 'alert-state' });
    const reason = el('p', { className: 'alert-reason' });
    const raised = el('p', { className: 'alert-time muted' });
    const handled = el('p', { className: 'alert-handled muted' });
    const error = el('p', { className: 'field-error', role: 'alert', hidden: true });
    const ack = el('button', { type: 'button', text: 'Acknowledge' });
    ack.addEventListener('click', async () => {
      ack.disabled = true;
      error.hidden = true;
      try {
        this.upsert(await this.acknowledge(id));
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        ack.disabled = false;
      }
    });
    const root = el('li', { className: 'alert', 'data-alert': id },
      el('div', { className: 'alert-head' }, name, state), reason, raised, handled, ack, error);
    return { root, name, state, reason, raised, handled, ack };
  }

  fill(item, alert) {
    item.root.dataset.state = alert.state;
    item.name.textContent = alert.monitorName || alert.monitor;
    item.state.textContent = `${STATE_LABELS[alert.state] ?? alert.state}${alert.kind === 'flapping' ? ' · flapping (raised by an older version)' : ''}`;
    item.state.dataset.state = alert.state;
    item.reason.textContent = alert.reason ?? '';
    item.raised.textContent = `Raised ${fullTime(alert.raisedAt)}`;
    const handled = [];
    if (alert.acknowledgedAt) {
      handled.push(`Acknowledged ${alert.acknowledgedBy ? `by ${alert.acknowledgedBy} ` : ''}at ${localTime(alert.acknowledgedAt)}${alert.note ? `: ${alert.note}` : ''}`);
    }
    if (alert.resolvedAt) handled.push(`Resolved at ${localTime(alert.resolvedAt)}`);
    item.handled.textContent = handled.join(' · ');
    item.handled.hidden = handled.length === 0;
    item.ack.hidden = alert.state !== 'open';
  }
}

export class CheckLog {
  constructor(title, list) {
    this.title = title;
    this.list = list;
    this.slug = null;
  }

  follow(monitor) {
    this.slug = monitor?.slug ?? null;
    this.list.replaceChildren();
    this.title.textContent = monitor ? `Following ${monitor.name}: newest first` : 'Choose “Live checks” on a monitor to follow its checks here.';
  }

  add(check) {
    if (check.monitor !== this.slug) return;
    const time = el('time', { dateTime: check.at, text: new Date(check.at).toLocaleTimeString() });
    time.setAttribute('datetime', check.at);
    this.list.prepend(el('li', { className: 'log-entry' },
      time,
      stateBadge(check.outcome === 'missed' ? 'unknown' : check.outcome, 'small'),
      el('span', { className: 'log-ms', text: check.outcome === 'missed' ? 'missed' : ms(check.responseMs) }),
      check.status ? el('span', { className: 'log-status muted', text: `now ${check.status}` }) : null));
    while (this.list.children.length > MAX_LOG) this.list.lastElementChild.remove();
  }
}
