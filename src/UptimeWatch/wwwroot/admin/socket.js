// The admin WebSocket (/ws/admin, docs/admin-protocol.md): commands with replies matched by id, live pushes,
// and resuming after a drop with `subscribe { after: <highest seq seen> }`.

const REQUEST_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;

/** A command the server refused: `code` as in the protocol (validation, not_found, …), `fields` for validation. */
export class CommandError extends Error {
  constructor(code, message, fields) {
    super(message);
    this.code = code;
    this.fields = fields ?? null;
  }
}

export class AdminSocket {
  /**
   * @param {object} options
   * @param {(push: object) => void} options.onPush every push but `reset` (status, check, alert.*, monitors.changed, config.rejected, storage)
   * @param {() => void} options.onReady subscribed (first time or after a reconnect): reload what is live-only
   * @param {() => void} options.onReset the server cannot resume from our seq: reload everything
   * @param {(state: string) => void} options.onState connecting | live | reconnecting | offline
   * @param {() => Promise<boolean>} options.stillSignedIn asked when the server ends the session (1008) or refuses to open
   * @param {() => void} options.onSignedOut the session is over: back to signing in
   */
  constructor({ onPush, onReady, onReset, onState, stillSignedIn, onSignedOut }) {
    Object.assign(this, { onPush, onReady, onReset, onState, stillSignedIn, onSignedOut });
    this.seq = null;
    this.ws = null;
    this.pending = new Map();
    this.nextId = 0;
    this.failures = 0;
    this.timer = 0;
    this.stopped = true;
    this.state = '';
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  /** Closes for good (signing out): no reconnect. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, 'signed out');
    }
    this.failAll('The console was closed');
    this.setState('offline');
  }

  /** Sends a command; resolves with the reply's payload or rejects with a CommandError. */
  request(type, payload = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new CommandError('disconnected', 'Not connected to the server: try again in a moment'));
    }
    const id = `c${++this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError('timeout', `The server did not answer "${type}" within ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ type, id, payload }));
    });
  }

  connect() {
    clearTimeout(this.timer);
    this.setState(this.failures === 0 && this.seq === null ? 'connecting' : 'reconnecting');
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/admin`;
    const ws = new WebSocket(url);
    this.ws = ws;
    let opened = false;

    ws.addEventListener('open', async () => {
      opened = true;
      try {
        // Resume after the highest seq seen; the first time, start from now (the lists give the present).
        const reply = await this.request('subscribe', this.seq === null ? {} : { after: this.seq });
        if (this.seq === null && typeof reply?.seq === 'number') this.seq = reply.seq;
        this.subscribedSeq = reply?.seq ?? null;
        this.failures = 0;
        this.setState('live');
        this.onReady();
      } catch {
        // The socket closed under us; the close handler reconnects.
      }
    });

    ws.addEventListener('message', (event) => {
      if (ws !== this.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(message);
    });

    ws.addEventListener('close', async (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.failAll('The connection to the server was lost');
      if (this.stopped) return;
      // 1008: the session ended (signed out, password changed, token revoked). A socket that never opened was
      // most likely refused with 401. Either way, ask: this page may still hold a valid (re-issued) cookie.
      if (event.code === 1008 || !opened) {
        let signedIn = true;
        try {
          signedIn = await this.stillSignedIn();
        } catch {
          // The server is unreachable: keep trying to reconnect.
        }
        if (!signedIn) {
          this.stopped = true;
          this.setState('offline');
          this.onSignedOut(event.code === 1008);
          return;
        }
      }
      // Still signed in after a 1008 (our own password change re-issued the cookie): straight back, but only once in a row.
      this.scheduleReconnect(event.code === 1008 && this.failures === 0 ? 0 : undefined);
    });
  }

  scheduleReconnect(delay) {
    this.setState('reconnecting');
    // 1 s, 2 s, 4 s … 30 s, with jitter so that many consoles do not come back all at once after a restart.
    const wait = delay ?? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failures) * (0.75 + Math.random() / 2);
    this.failures++;
    this.timer = setTimeout(() => this.connect(), wait);
  }

  receive(message) {
    if ((message.type === 'ok' || message.type === 'error') && typeof message.id === 'string' && this.pending.has(message.id)) {
      const { resolve, reject, timer } = this.pending.get(message.id);
      this.pending.delete(message.id);
      clearTimeout(timer);
      if (message.type === 'ok') resolve(message.payload ?? {});
      else reject(new CommandError(message.code ?? 'error', message.message ?? 'The command failed', message.fields));
      return;
    }
    if (message.type === 'ok' || message.type === 'error') return; // a reply to nothing we are waiting for
    if (typeof message.seq === 'number' && (this.seq === null || message.seq > this.seq)) this.seq = message.seq;
    if (message.type === 'reset') {
      // Our seq is too old (or from another database): start from the newest one and reload.
      if (typeof this.subscribedSeq === 'number') this.seq = this.subscribedSeq;
      this.onReset(message.payload?.reason);
      return;
    }
    this.onPush(message);
  }

  failAll(reason) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new CommandError('disconnected', reason));
    }
    this.pending.clear();
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }
}
