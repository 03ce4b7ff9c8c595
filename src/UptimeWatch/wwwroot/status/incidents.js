// Incident history: status changes grouped by the viewer's local day, newest first, paged with "Load more";
// live events are prepended. Each event id is shown once, however it arrives. Pages go by key (`before` = the
// previous page's `nextBefore`), so changes added on top meanwhile never shift or repeat the older pages.

import { el, statusLabel, knownStatus, unstablePill, localDayKey, localDayTitle, localTime, fullTime } from './format.js';

const PAGE_SIZE = 20;

export class IncidentHistory {
  constructor(container, empty, more) {
    this.container = container;
    this.empty = empty;
    this.more = more;
    this.shown = new Set();
    this.nextBefore = null;
    this.loading = false;
    this.more.addEventListener('click', () => this.loadMore());
  }

  /** Starts over from the newest page (first load, or after a reset). */
  async reload() {
    const first = await fetchPage(null);
    this.shown.clear();
    this.container.replaceChildren();
    this.appendPage(first);
  }

  async loadMore() {
    if (this.loading) return;
    this.loading = true;
    this.more.disabled = true;
    this.more.textContent = 'Loading…';
    try {
      const next = await fetchPage(this.nextBefore);
      this.appendPage(next);
    } catch {
      this.more.textContent = 'Could not load more — try again';
      this.more.disabled = false;
      this.loading = false;
      return;
    }
    this.more.textContent = 'Load more';
    this.more.disabled = false;
    this.loading = false;
  }

  appendPage(body) {
    for (const day of body.days ?? []) {
      for (const event of day.events ?? []) this.add(event, 'end');
    }
    this.nextBefore = body.hasMore ? body.nextBefore : null;
    this.more.hidden = this.nextBefore == null;
    this.updateEmpty();
  }

  /** A live status change: on top of today's list. */
  prepend(event) {
    this.add(event, 'start');
    this.updateEmpty();
  }

  add(event, where) {
    if (this.shown.has(event.id)) return;
    this.shown.add(event.id);
    const key = localDayKey(event.at);
    const sections = this.container.children;
    let section = where === 'start' ? sections[0] : sections[sections.length - 1];
    if (!section || section.dataset.day !== key) {
      section = el('section', { className: 'incident-day', 'data-day': key },
        el('h3', { text: localDayTitle(event.at) }),
        el('ol', { className: 'incident-list' }));
      if (where === 'start') this.container.prepend(section);
      else this.container.append(section);
    }
    const list = section.querySelector('ol');
    const item = renderEvent(event);
    if (where === 'start') list.prepend(item);
    else list.append(item);
  }

  updateEmpty() {
    this.empty.hidden = this.container.children.length > 0;
  }
}

function renderEvent(event) {
  const to = knownStatus(event.to);
  const from = knownStatus(event.from);
  // Flapping starting or stopping without a change of status: the flag is the news, not the status.
  const was = from === to
    ? ` (${event.flapping ? 'became unstable' : 'stable again'})`
    : ` (was ${statusLabel(from)})`;
  return el('li', { className: 'incident', 'data-status': to, 'data-id': event.id },
    el('time', { className: 'incident-time', datetime: event.at, title: fullTime(event.at), text: localTime(event.at) }),
    el('div', { className: 'incident-body' },
      el('p', { className: 'incident-title' },
        el('span', { className: 'incident-name', text: event.name ?? event.monitor }),
        ' ',
        el('span', { className: 'state small', 'data-status': to },
          el('span', { className: 'state-icon', 'aria-hidden': 'true' }),
          el('span', { className: 'state-text', text: statusLabel(to) })),
        event.flapping ? ' ' : null,
        event.flapping ? unstablePill(true, true) : null,
        el('span', { className: 'muted', text: was })),
      event.reason ? el('p', { className: 'incident-reason', text: event.reason }) : null));
}

async function fetchPage(before) {
  const key = before == null ? '' : `&before=${encodeURIComponent(before)}`;
  const response = await fetch(`/api/incidents?pageSize=${PAGE_SIZE}${key}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`incidents answered ${response.status}`);
  return response.json();
}
