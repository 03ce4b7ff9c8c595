// The live feed: Server-Sent Events, or long polling when EventSource is missing or keeps failing
// (a proxy that buffers the stream). Both speak the same cursor — the event-log id — so switching
// transports never loses or repeats a status change.

const ERROR_WINDOW_MS = 30_000;
const ERRORS_BEFORE_FALLBACK = 3;
const SSE_RETRY_MS = 2_000;
const POLL_TIMEOUT_S = 25;
const POLL_ABORT_MS = (POLL_TIMEOUT_S + 15) * 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class LiveFeed {
  /**
   * @param {object} options
   * @param {number} options.cursor the snapshot's cursor: every event after it is new to the page
   * @param {boolean} options.forcePoll long polling from the start (?transport=poll)
   * @param {(event: object) => void} options.onStatus a status change, each id once, in order
   * @param {(check: object) => void} options.onCheck a monitor's newest check and the totals of its checks since
   *   the last frame (SSE only: the server sends the public monitors' checks coalesced, one `checks` frame every
   *   few seconds; they have no id)
   * @param {() => Promise<number>} options.onReset reload the snapshot; resolves to its cursor
   * @param {(state: string) => void} options.onState connecting | live | reconnecting | polling
   */
  constructor({ cursor, forcePoll, onStatus, onCheck, onReset, onState }) {
    this.cursor = Number(cursor) || 0;
    this.mode = forcePoll || typeof window.EventSource !== 'function' ? 'poll' : 'sse';
    this.onStatus = onStatus;
    this.onCheck = onCheck;
    this.onReset = onReset;
    this.onState = onState;
    this.state = '';
    this.errors = [];
    this.es = null;
    this.retryTimer = 0;
    this.pollAbort = null;
    // Bumped whenever a transport is torn down, so callbacks of an old one are ignored.
    this.generation = 0;
  }

  start() {
    if (this.mode === 'sse') this.openSse();
    else this.startPolling();
  }

  stop() {
    this.generation++;
    clearTimeout(this.retryTimer);
    if (this.es) {
      this.es.close();
      this.es = null;
    }
    if (this.pollAbort) {
      this.pollAbort.abort();
      this.pollAbort = null;
    }
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  /** Hands a status event on once: anything at or before the cursor was already shown. */
  deliver(event) {
    const id = Number(event?.id);
    if (!Number.isFinite(id) || id <= this.cursor) return;
    this.cursor = id;
    this.onStatus(event);
  }

  // --- Server-Sent Events ---------------------------------------------------------------------------------

  openSse() {
    this.stop();
    const generation = this.generation;
    if (this.state !== 'reconnecting') this.setState('connecting');
    const es = new EventSource(`/api/live/events?lastEventId=${encodeURIComponent(this.cursor)}`);
    this.es = es;
    const current = () => generation === this.generation;

    es.addEventListener('open', () => {
      if (current()) this.setState('live');
    });
    es.addEventListener('status', (e) => {
      if (!current()) return;
      this.heard();
      const event = parse(e.data);
      if (event && e.lastEventId && event.id === undefined) event.id = Number(e.lastEventId);
      if (event) this.deliver(event);
    });
    es.addEventListener('checks', (e) => {
      if (!current()) return;
      this.heard();
      const frame = parse(e.data);
      for (const check of frame?.checks ?? []) this.onCheck(check);
    });
    es.addEventListener('reset', (e) => {
      if (!current()) return;
      this.heard();
      this.reset(parse(e.data)?.cursor);
    });
    es.addEventListener('error', () => {
      if (!current()) return;
      const now = Date.now();
      this.errors = this.errors.filter((t) => now - t < ERROR_WINDOW_MS);
      this.errors.push(now);
      if (this.errors.length >= ERRORS_BEFORE_FALLBACK) {
        // Failing again and again without a single message in between: the stream does not get through.
        this.mode = 'poll';
        this.startPolling();
        return;
      }
      this.setState('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (a 204, an error status): try again ourselves, from the cursor we hold.
        this.retryTimer = setTimeout(() => {
          if (current()) this.openSse();
        }, SSE_RETRY_MS);
      }
      // Otherwise the browser reconnects by itself, sending Last-Event-ID.
    });
  }

  /** A message came through: the stream works, whatever failed before. */
  heard() {
    this.errors = [];
    this.setState('live');
  }

  // --- Long polling ---------------------------------------------------------------------------------------

  startPolling() {
    this.stop();
    this.setState('polling');
    this.pollLoop(this.generation);
  }

  async pollLoop(generation) {
    let failures = 0;
    while (generation === this.generation) {
      const abort = new AbortController();
      this.pollAbort = abort;
      const timer = setTimeout(() => abort.abort(), POLL_ABORT_MS);
      const started = Date.now();
      try {
        const response = await fetch(`/api/live/poll?after=${encodeURIComponent(this.cursor)}&timeout=${POLL_TIMEOUT_S}`,
          { signal: abort.signal, cache: 'no-store', headers: { Accept: 'application/json' } });
        if (generation !== this.generation) return;
        if (response.status === 204) {
          failures = 0;
          this.setState('polling');
          continue;
        }
        if (!response.ok) throw new Error(`poll answered ${response.status}`);
        const body = await response.json();
        if (generation !== this.generation) return;
        failures = 0;
        this.setState('polling');
        if (body.reset) {
          this.reset(body.cursor);
          return;
        }
        for (const event of body.events ?? []) this.deliver(event);
        if (typeof body.cursor === 'number' && body.cursor > this.cursor) this.cursor = body.cursor;
        // A server that answers at once with nothing must not make this a busy loop.
        if ((body.events ?? []).length === 0 && Date.now() - started < 1000) await sleep(1000);
      } catch (error) {
        if (generation !== this.generation) return;
        failures++;
        this.setState('reconnecting');
        await sleep(Math.min(30_000, 1000 * 2 ** (failures - 1)));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  // --- Reset: the cursor is no longer valid (older than the retention window, a restored database) or too far
  // behind to replay (more than Live:MaxReplayEvents): reload the snapshot and go on from there -------------

  /**
   * @param {number|undefined} resetCursor the newest id when the server sent the reset: every event up to it is in
   *   the log, every later one is still to come. The snapshot's own cursor is normally at or past it; resuming from
   *   the lower of the two cannot skip an event even if the snapshot came from a cache, and a change replayed that
   *   the snapshot already shows is harmless.
   */
  async reset(resetCursor) {
    this.stop();
    const generation = this.generation;
    this.setState('reconnecting');
    for (let attempt = 0; generation === this.generation; attempt++) {
      try {
        const cursor = Number(await this.onReset()) || 0;
        if (generation !== this.generation) return;
        const hint = Number(resetCursor);
        this.cursor = Number.isFinite(hint) && resetCursor !== null && resetCursor !== undefined ? Math.min(cursor, hint) : cursor;
        this.errors = [];
        this.start();
        return;
      } catch {
        await sleep(Math.min(30_000, 1000 * 2 ** attempt));
      }
    }
  }
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}
