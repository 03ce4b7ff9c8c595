// The public status page: loads the snapshot, draws it, then keeps it current from the live feed.

import { el, ago, plural } from './format.js';
import { renderGroups, sameShape, fillCard, applyCheck, applyStatus, barDays, dayLines, expandHistory } from './monitors.js';
import { IncidentHistory } from './incidents.js';
import { LiveFeed } from './live.js';

const SSE_REFRESH_MS = 5 * 60_000; // uptime figures are computed by the server: fetch them now and then
const POLL_REFRESH_MS = 60_000;    // polling carries no check events, so charts move only with the snapshot

const $ = (id) => document.getElementById(id);

const page = {
  cards: new Map(),
  monitors: new Map(),
  incidents: new IncidentHistory($('incident-days'), $('incidents-empty'), $('load-more')),
  live: null,
  refreshTimer: 0,
};

async function fetchSnapshot() {
  const response = await fetch('/api/status/page', { cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`The status API answered ${response.status}`);
  const snapshot = await response.json();
  for (const monitor of snapshot.monitors ?? []) expandHistory(monitor);
  return snapshot;
}

function showSnapshot(snapshot) {
  const title = snapshot.title || 'Service status';
  document.title = title;
  $('title').textContent = title;
  setOptionalText($('description'), snapshot.description);
  setOptionalText($('footer'), snapshot.footer);
  const logo = $('logo');
  const logoUrl = safeUrl(snapshot.logoUrl);
  if (logoUrl) {
    if (logo.getAttribute('src') !== logoUrl) logo.src = logoUrl;
    logo.hidden = false;
  } else {
    logo.hidden = true;
    logo.removeAttribute('src');
  }

  const monitors = snapshot.monitors ?? [];
  page.monitors = new Map(monitors.map((m) => [m.slug, m]));
  if (sameShape(page.cards, monitors)) {
    for (const m of monitors) fillCard(page.cards.get(m.slug), m);
  } else {
    page.cards = renderGroups($('groups'), monitors);
  }
  updateBanner();
  $('load-error').hidden = true;
}

function setOptionalText(node, text) {
  node.textContent = text ?? '';
  node.hidden = !text;
}

/** Only http(s) and same-site images: a configured javascript: or data: URL is not shown. */
function safeUrl(url) {
  if (!url) return null;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

// --- The banner: the same rule as the API's "overall", recomputed as live changes arrive ----------------------

const BANNERS = {
  up: 'All systems operational',
  degraded: 'Degraded performance',
  partial: 'Partial outage',
  major: 'Major outage',
  maintenance: 'Under maintenance',
  unknown: 'Status not known yet',
};

/** As the server's `overall`: an unstable (flapping) monitor that is up counts as degraded. */
function overall(statuses, unstable) {
  const counted = statuses.filter((s) => s === 'up' || s === 'down' || s === 'degraded');
  const down = counted.filter((s) => s === 'down').length;
  const maintenance = statuses.some((s) => s === 'maintenance');
  if (counted.length === 0) return maintenance ? 'maintenance' : 'unknown';
  if (down === counted.length) return 'major';
  if (down > 0) return 'partial';
  if (counted.some((s) => s !== 'up') || unstable > 0) return 'degraded';
  return maintenance ? 'maintenance' : 'up';
}

function updateBanner() {
  const monitors = [...page.monitors.values()];
  const statuses = monitors.map((m) => m.status);
  const unstable = monitors.filter((m) => m.flapping).length;
  const state = overall(statuses, unstable);
  const banner = $('banner');
  banner.dataset.overall = state;
  const count = (s) => statuses.filter((x) => x === s).length;
  const details = [
    count('down') && `${count('down')} down`,
    count('degraded') && `${count('degraded')} degraded`,
    unstable && `${unstable} unstable`,
    count('pending') && `${count('pending')} being checked`,
    count('maintenance') && `${count('maintenance')} in maintenance`,
    count('up') && `${count('up')} up`,
  ].filter(Boolean);
  const detail = statuses.length ? `${plural(statuses.length, 'monitor', 'monitors')}: ${details.join(', ') || 'no data yet'}` : 'No public monitors yet';
  // The banner is a live region: rewrite it only when it says something new, or screen readers repeat it.
  if (banner.dataset.text === `${state}|${detail}`) return;
  banner.dataset.text = `${state}|${detail}`;
  banner.replaceChildren(
    el('span', { className: 'banner-icon', 'aria-hidden': 'true' }),
    el('div', {},
      el('p', { className: 'banner-text', text: BANNERS[state] }),
      el('p', { className: 'banner-detail', text: detail })));
}

// --- Live ---------------------------------------------------------------------------------------------------------

function onStatus(event) {
  const monitor = page.monitors.get(event.monitor);
  if (monitor) {
    applyStatus(monitor, event);
    fillCard(page.cards.get(event.monitor), monitor);
    updateBanner();
  } else {
    // A monitor this page has not seen (made public, or new): the snapshot has it.
    scheduleRefresh(500);
  }
  page.incidents.prepend(event);
}

function onCheck(check) {
  const monitor = page.monitors.get(check.monitor);
  if (!monitor) return;
  const before = monitor.status;
  applyCheck(monitor, check);
  fillCard(page.cards.get(check.monitor), monitor);
  if (monitor.status !== before) updateBanner();
}

/** The live feed says its cursor is no longer valid: start over from a fresh snapshot. */
async function onReset() {
  const snapshot = await fetchSnapshot();
  showSnapshot(snapshot);
  await page.incidents.reload().catch(() => {});
  return snapshot.cursor;
}

function showTransport(state) {
  const node = $('transport');
  node.dataset.state = state;
  node.querySelector('.transport-text').textContent = state;
  scheduleRefresh();
}

/** Refreshes the snapshot now and then; never with one older than the events already shown. */
function scheduleRefresh(delay) {
  clearTimeout(page.refreshTimer);
  const wait = delay ?? (page.live?.state === 'live' ? SSE_REFRESH_MS : POLL_REFRESH_MS);
  page.refreshTimer = setTimeout(async () => {
    try {
      const snapshot = await fetchSnapshot();
      if (!page.live || snapshot.cursor >= page.live.cursor) showSnapshot(snapshot);
    } catch {
      // The live indicator already tells the viewer something is wrong; try again later.
    }
    scheduleRefresh();
  }, wait);
}

// --- "checked 12 s ago" and the day tooltips ---------------------------------------------------------------

function tickAgo() {
  const now = Date.now();
  for (const time of document.querySelectorAll('time.ago[datetime]')) {
    time.textContent = ago(time.getAttribute('datetime'), now);
  }
}

function setUpTooltips() {
  const tooltip = $('tooltip');
  const show = (bar) => {
    const day = barDays.get(bar);
    if (!day) return;
    const [date, ...rest] = dayLines(day);
    tooltip.replaceChildren(el('strong', { text: date }), ...rest.map((line) => el('span', { text: line })));
    tooltip.hidden = false;
    const rect = bar.getBoundingClientRect();
    const width = tooltip.offsetWidth;
    const left = Math.max(8, Math.min(window.innerWidth - width - 8, rect.left + rect.width / 2 - width / 2));
    tooltip.style.left = `${left + window.scrollX}px`;
    tooltip.style.top = `${rect.top + window.scrollY - tooltip.offsetHeight - 8}px`;
  };
  const hide = () => { tooltip.hidden = true; };
  const isBar = (node) => node instanceof Element && node.classList.contains('bar');

  document.addEventListener('pointerover', (e) => { if (isBar(e.target)) show(e.target); });
  document.addEventListener('pointerout', (e) => { if (isBar(e.target)) hide(); });
  document.addEventListener('focusin', (e) => { if (isBar(e.target)) show(e.target); });
  document.addEventListener('focusout', (e) => { if (isBar(e.target)) hide(); });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') hide();
    if (!isBar(e.target)) return;
    // One tab stop per bar: arrow keys move between the days.
    const bars = [...e.target.parentElement.children].filter((b) => b.offsetParent !== null);
    const index = bars.indexOf(e.target);
    const next = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: bars.length - 1 }[e.key];
    if (next === undefined || !bars[next]) return;
    e.preventDefault();
    e.target.tabIndex = -1;
    bars[next].tabIndex = 0;
    bars[next].focus();
  });
}

// --- Start ---------------------------------------------------------------------------------------------------

async function start() {
  setUpTooltips();
  setInterval(tickAgo, 1000);
  let snapshot;
  for (let attempt = 0; ; attempt++) {
    try {
      snapshot = await fetchSnapshot();
      break;
    } catch (error) {
      const error$ = $('load-error');
      error$.textContent = 'The status could not be loaded. Trying again…';
      error$.hidden = false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 2000 * 2 ** attempt)));
    }
  }
  showSnapshot(snapshot);
  // Before the live feed starts, so a live event is never wiped by the first page arriving after it.
  await page.incidents.reload().catch(() => {
    $('incidents-empty').textContent = 'The incident history could not be loaded.';
    $('incidents-empty').hidden = false;
  });

  const forcePoll = new URLSearchParams(location.search).get('transport') === 'poll';
  page.live = new LiveFeed({ cursor: snapshot.cursor, forcePoll, onStatus, onCheck, onReset, onState: showTransport });
  page.live.start();
}

start();
