// Small pure helpers: DOM building without innerHTML, and the words and numbers the page shows.

/**
 * Creates an element. Text goes in through textContent only, so whatever a user typed (a monitor name,
 * a group, a reason) is shown as text and never parsed as markup.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** What each state is called on the page; the colour always comes with this word. */
export const STATUS_LABELS = {
  up: 'Up',
  degraded: 'Degraded',
  down: 'Down',
  pending: 'Pending',
  maintenance: 'Maintenance',
  paused: 'Paused',
  unknown: 'Unknown',
};

/**
 * Flapping is a flag beside the status, shown as its own "Unstable" pill: the status stays what the checks say.
 * Returns the pill, hidden unless `flapping`.
 */
export function unstablePill(flapping, small = false) {
  const pill = el('span', { className: small ? 'unstable small' : 'unstable', title: 'Its checks keep changing state: repeated alerts are held back until it settles' },
    el('span', { className: 'unstable-icon', 'aria-hidden': 'true' }),
    el('span', { text: 'Unstable' }));
  pill.hidden = !flapping;
  return pill;
}

export function statusLabel(status) {
  return STATUS_LABELS[status] ?? 'Unknown';
}

export function knownStatus(status) {
  return Object.hasOwn(STATUS_LABELS, status) ? status : 'unknown';
}

/** 99.999 → "99.99%": never rounds up to 100 % when there was downtime. */
export function percent(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value >= 100) return '100%';
  return `${(Math.floor(value * 100) / 100).toFixed(2)}%`;
}

export function ms(value) {
  if (value === null || value === undefined) return '—';
  return value >= 10000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/** "12 s ago", "3 min ago", "2 h ago", "5 d ago". */
export function ago(iso, now = Date.now()) {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/**
 * Fills a <time> with how long ago `iso` was ("3 min ago"), or "not yet" and no datetime when there is none;
 * both pages refresh the text of every <time datetime> on a timer.
 */
export function showAgo(time, iso) {
  if (iso) {
    time.dateTime = iso;
    time.textContent = ago(iso);
  } else {
    time.removeAttribute('datetime');
    time.textContent = 'not yet';
  }
}

const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const localDayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A calendar date from the API ("2026-11-25", a UTC day) for people: "25 Nov 2026". */
export function calendarDay(date) {
  return dayFormat.format(new Date(`${date}T00:00:00Z`));
}

/** The viewer's local date of an instant, as a sortable key and as words. */
export function localDayKey(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function localDayTitle(iso) {
  return localDayFormat.format(new Date(iso));
}

export function localTime(iso) {
  return timeFormat.format(new Date(iso));
}

export function fullTime(iso) {
  return fullFormat.format(new Date(iso));
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
