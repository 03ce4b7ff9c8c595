// Monitor cards: state, 90-day bar, uptime figures, 24-hour response-time chart, last check.
// Cards are built once and then filled in place, so live updates keep focus and hover where they are.

import { el, svg, statusLabel, knownStatus, unstablePill, percent, ms, showAgo, calendarDay, plural } from './format.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CHART_W = 240;
const CHART_H = 48;

let nextId = 0;

/**
 * The snapshot sends a monitor's 90 days and 24 hours as columns (a fraction of the bytes); the cards work with one
 * object per day and per hour. Turns the columns into those, in place.
 */
export function expandHistory(monitor) {
  const days = monitor.days;
  if (days && !Array.isArray(days)) {
    const start = Date.parse(`${days.from}T00:00:00Z`);
    monitor.days = days.checks.map((checks, i) => ({
      date: new Date(start + i * DAY).toISOString().slice(0, 10),
      uptime: days.uptime[i],
      checks,
      failures: days.failures[i],
      incidents: days.incidents[i],
      maintenance: days.maintenance[i],
    }));
  }
  const points = monitor.responseTimes;
  if (points && !Array.isArray(points)) {
    const start = Date.parse(points.from);
    monitor.responseTimes = points.avgMs.map((avgMs, i) => ({
      at: new Date(start + i * HOUR).toISOString(), avgMs, p95Ms: points.p95Ms[i], maxMs: points.maxMs[i],
    }));
  }
  return monitor;
}

/** Builds the monitor list, grouped; returns slug → card. */
export function renderGroups(container, monitors) {
  const cards = new Map();
  const groups = new Map();
  for (const monitor of monitors) {
    const key = monitor.group ?? '';
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(monitor);
  }
  // Monitors without a group come first, without a heading.
  const keys = [...groups.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : 0));
  const sections = [];
  for (const key of keys) {
    const id = `group-${nextId++}`;
    const list = el('div', { className: 'monitor-list' });
    const section = el('section', { className: 'group', 'aria-labelledby': key ? id : null, 'aria-label': key ? null : 'Monitors' },
      key ? el('h2', { className: 'group-name', id, text: key }) : null,
      list);
    for (const monitor of groups.get(key)) {
      const card = createCard(monitor);
      cards.set(monitor.slug, card);
      list.append(card.root);
    }
    sections.push(section);
  }
  container.replaceChildren(...sections);
  if (monitors.length === 0) {
    container.replaceChildren(el('p', { className: 'muted', text: 'No public monitors yet.' }));
  }
  return cards;
}

/** Same monitors, same names, same groups, same order: the cards can be refilled instead of rebuilt. */
export function sameShape(cards, monitors) {
  if (cards.size !== monitors.length) return false;
  return monitors.every((m) => {
    const card = cards.get(m.slug);
    return card && card.monitor.name === m.name && (card.monitor.group ?? '') === (m.group ?? '');
  });
}

function createCard(monitor) {
  const id = `monitor-${nextId++}`;
  const state = el('span', { className: 'state' }, el('span', { className: 'state-icon', 'aria-hidden': 'true' }), el('span', { className: 'state-text' }));
  const unstable = unstablePill(false);
  const bars = el('div', { className: 'bars', role: 'group', 'aria-label': `${monitor.name}: daily uptime, last 90 days` });
  const uptime = {};
  const uptimeList = el('dl', { className: 'uptime' });
  for (const [key, label] of [['24h', '24 h'], ['7d', '7 days'], ['30d', '30 days'], ['90d', '90 days']]) {
    uptime[key] = el('dd');
    uptimeList.append(el('div', { className: `uptime-${key}` }, el('dt', { text: label }), uptime[key]));
  }
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${CHART_W} ${CHART_H}`, preserveAspectRatio: 'none', role: 'img', focusable: 'false' });
  const chartCaption = el('figcaption', { className: 'chart-caption' });
  const checkedTime = el('time', { className: 'ago' });
  const response = el('span', { className: 'response' });
  const checked = el('p', { className: 'checked' }, 'Checked ', checkedTime, response);

  const root = el('article', { className: 'monitor', 'aria-labelledby': id, 'data-slug': monitor.slug },
    el('div', { className: 'monitor-head' },
      el('h3', { className: 'monitor-name', id, text: monitor.name }),
      el('span', { className: 'states' }, unstable, state)),
    el('div', { className: 'history' },
      bars,
      el('div', { className: 'bars-legend', 'aria-hidden': 'true' },
        el('span', { className: 'legend-90', text: '90 days ago' }),
        el('span', { className: 'legend-30', text: '30 days ago' }),
        el('span', { text: 'Today' }))),
    el('div', { className: 'monitor-foot' },
      uptimeList,
      el('figure', { className: 'chart-figure' }, chart, chartCaption),
      checked));

  const card = { root, monitor, state, unstable, bars, uptime, chart, chartCaption, checkedTime, response };
  fillCard(card, monitor);
  return card;
}

/** Writes everything a monitor's data says into its card. */
export function fillCard(card, monitor) {
  card.monitor = monitor;
  const status = knownStatus(monitor.status);
  card.root.dataset.status = status;
  card.state.dataset.status = status;
  card.state.querySelector('.state-text').textContent = statusLabel(status);
  card.root.dataset.flapping = monitor.flapping ? 'true' : 'false';
  card.unstable.hidden = !monitor.flapping;
  card.state.setAttribute('aria-label', `Current state: ${statusLabel(status)}${monitor.flapping ? ', unstable' : ''}`);

  fillBars(card, monitor.days ?? []);
  for (const key of Object.keys(card.uptime)) card.uptime[key].textContent = percent(monitor.uptime?.[key]);
  fillChart(card, monitor.responseTimes ?? []);

  showAgo(card.checkedTime, monitor.lastCheckedAt);
  card.response.textContent = monitor.lastResponseMs !== null && monitor.lastResponseMs !== undefined
    ? ` · ${ms(monitor.lastResponseMs)}` : '';
}

// --- 90-day bar ---------------------------------------------------------------------------------------------

/** Tooltip text for each bar, kept beside the node rather than in markup. */
export const barDays = new WeakMap();

function dayLevel(day) {
  if (day.uptime === null || day.uptime === undefined) return day.maintenance ? 'maintenance' : 'none';
  if (day.uptime >= 99.9) return 'good';
  if (day.uptime >= 99) return 'fair';
  if (day.uptime >= 95) return 'poor';
  return 'bad';
}

/** What a day's bar says, line by line: date, uptime, incidents, maintenance. */
export function dayLines(day) {
  const hasData = day.uptime !== null && day.uptime !== undefined;
  const lines = [calendarDay(day.date), hasData ? `${percent(day.uptime)} uptime` : 'No data'];
  if (day.incidents) lines.push(plural(day.incidents, 'incident', 'incidents'));
  else if (hasData) lines.push('No incidents');
  if (day.maintenance) lines.push('Maintenance');
  return lines;
}

function fillBars(card, days) {
  const bars = card.bars;
  if (bars.children.length !== days.length) {
    const nodes = days.map(() => el('span', { className: 'bar', role: 'img', tabindex: '-1' }));
    if (nodes.length) nodes[nodes.length - 1].tabIndex = 0;
    bars.replaceChildren(...nodes);
  }
  days.forEach((day, i) => {
    const bar = bars.children[i];
    barDays.set(bar, day);
    bar.dataset.level = dayLevel(day);
    bar.setAttribute('aria-label', dayLines(day).join('; '));
  });
}

// --- Response-time chart --------------------------------------------------------------------------------------

function fillChart(card, points) {
  const now = Date.now();
  const start = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
  const usable = points
    .map((p) => ({ t: Date.parse(p.at), avg: p.avgMs, p95: p.p95Ms, max: p.maxMs }))
    .filter((p) => Number.isFinite(p.t) && p.avg !== null && p.avg !== undefined && p.t >= start - HOUR)
    .sort((a, b) => a.t - b.t);

  const top = Math.max(1, ...usable.map((p) => p.p95 ?? p.avg)) * 1.15;
  const x = (t) => Math.max(0, Math.min(CHART_W, ((t - start) / (24 * HOUR)) * CHART_W + CHART_W / 48));
  const y = (v) => CHART_H - 2 - (Math.min(v, top) / top) * (CHART_H - 4);

  // One line per run of consecutive hours: a gap in the data is a gap in the line.
  const runs = [];
  for (const p of usable) {
    const last = runs.at(-1)?.at(-1);
    if (!last || p.t - last.t > HOUR * 1.5) runs.push([]);
    runs.at(-1).push(p);
  }
  const shapes = [svg('line', { class: 'chart-base', x1: 0, y1: CHART_H - 1, x2: CHART_W, y2: CHART_H - 1 })];
  for (const run of runs) {
    const coords = run.map((p) => `${x(p.t).toFixed(1)},${y(p.avg).toFixed(1)}`);
    if (run.length === 1) {
      // A lone hour: a round dot that the stretched viewBox cannot squash (a zero-length line with round caps).
      const [cx, cy] = [x(run[0].t).toFixed(1), y(run[0].avg).toFixed(1)];
      shapes.push(svg('line', { class: 'chart-dot', x1: cx, y1: cy, x2: cx, y2: cy }));
      continue;
    }
    const first = `${x(run[0].t).toFixed(1)},${CHART_H}`;
    const last = `${x(run.at(-1).t).toFixed(1)},${CHART_H}`;
    shapes.push(svg('polygon', { class: 'chart-area', points: [first, ...coords, last].join(' ') }));
    shapes.push(svg('polyline', { class: 'chart-line', points: coords.join(' ') }));
  }
  card.chart.replaceChildren(...shapes);

  if (usable.length === 0) {
    card.chartCaption.textContent = 'Response time: no data in the last 24 h';
    card.chart.setAttribute('aria-label', 'Response time over the last 24 hours: no data');
    return;
  }
  const avg = usable.reduce((sum, p) => sum + p.avg, 0) / usable.length;
  const max = Math.max(...usable.map((p) => p.max ?? p.avg));
  card.chartCaption.textContent = `Response time, 24 h · avg ${ms(avg)} · max ${ms(max)}`;
  card.chart.setAttribute('aria-label', `Response time over the last 24 hours: average ${ms(avg)}, highest ${ms(max)}`);
}

// --- Live changes to a monitor's data -----------------------------------------------------------------------

/**
 * Folds a monitor's checks into the latest hour of the chart and today's bar, as the server's rollups would. `check`
 * is an entry of a `checks` frame: the newest check (`at`, `outcome`, `responseMs`, `status`) and the totals of the
 * monitor's checks since the last frame — `count` checks, `failures` of them down, `timed` with a response time that
 * counts, averaging `avgMs`, at most `maxMs`. Without totals it is one check.
 */
export function applyCheck(monitor, check) {
  monitor.lastCheckedAt = check.at;
  if (check.responseMs !== null && check.responseMs !== undefined) monitor.lastResponseMs = check.responseMs;
  if (check.status) monitor.status = check.status;

  const at = Date.parse(check.at);
  if (!Number.isFinite(at)) return;

  const single = check.count === undefined;
  const answered = check.responseMs !== null && check.responseMs !== undefined && check.outcome !== 'down';
  const count = single ? 1 : check.count;
  const failures = single ? (check.outcome === 'down' ? 1 : 0) : check.failures;
  const timed = single ? (answered ? 1 : 0) : check.timed;
  const avgMs = single ? check.responseMs : check.avgMs;
  const maxMs = single ? check.responseMs : check.maxMs;

  const days = monitor.days ?? (monitor.days = []);
  const date = check.at.slice(0, 10);
  let today = days.at(-1);
  if (!today || today.date < date) {
    today = { date, uptime: null, checks: 0, failures: 0, incidents: 0, maintenance: false };
    days.push(today);
    if (days.length > 90) days.shift();
  }
  const checksPerHour = today.date === date ? Math.max(1, Math.round(today.checks / Math.max(1, (at - Date.parse(`${date}T00:00:00Z`)) / HOUR))) : 1;
  if (today.date === date && count > 0) {
    const up = 100 * (count - failures);
    today.uptime = today.checks > 0 && today.uptime !== null ? (today.uptime * today.checks + up) / (today.checks + count) : up / count;
    today.checks += count;
    today.failures += failures;
  }

  // Like the server's hourly figures: response times of checks that got an acceptable answer only.
  if (!(timed > 0) || avgMs === null || avgMs === undefined) return;
  const hour = Math.floor(at / HOUR) * HOUR;
  const points = monitor.responseTimes ?? (monitor.responseTimes = []);
  let point = points.at(-1);
  if (!point || Date.parse(point.at) < hour) {
    point = { at: new Date(hour).toISOString(), avgMs, p95Ms: maxMs ?? avgMs, maxMs: maxMs ?? avgMs, weight: 0 };
    points.push(point);
    while (points.length && Date.parse(points[0].at) < hour - 23 * HOUR) points.shift();
  } else if (point.weight === undefined) {
    // The server's figure for this hour stands for about as many checks as an average hour today.
    point.weight = checksPerHour;
  }
  point.avgMs = (point.avgMs * point.weight + avgMs * timed) / (point.weight + timed);
  point.weight += timed;
  point.maxMs = Math.max(point.maxMs ?? 0, maxMs ?? avgMs);
  point.p95Ms = Math.max(point.p95Ms ?? 0, point.avgMs);
}

/** A status change (or flapping starting/stopping): the new state and flag, and one more incident today when it went down. */
export function applyStatus(monitor, event) {
  monitor.status = event.to;
  monitor.flapping = event.flapping === true;
  if (event.to !== 'down' || event.from === 'down') return;
  const today = monitor.days?.at(-1);
  if (today && today.date === String(event.at).slice(0, 10)) today.incidents = (today.incidents ?? 0) + 1;
}
