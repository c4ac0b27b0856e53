// Following jobs and batches: the live-updates WebSocket (docs/use/live.md) while it works, polling only
// while it does not. One connection subscribes to every job of the key's tenant; its events go to
// onEvent. onMode hears "connecting", "live" or "polling" (the page polls in that mode only).

const RETRY_MS = [5000, 15000, 30000, 60000];
const PING_MS = 5 * 60 * 1000; // API Gateway closes a WebSocket idle for 10 minutes

export class Follow {
  constructor(url, { onEvent, onMode }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onMode = onMode;
    this.mode = "connecting";
    this.socket = null;
    this.tries = 0;
    this.retry = null;
    this.stopped = false;
  }

  get live() {
    return this.mode === "live";
  }

  setMode(mode, reason = "") {
    if (mode === this.mode) return;
    this.mode = mode;
    this.onMode(mode, reason);
  }

  start() {
    if (this.stopped) return;
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      return this.fallBack(`the live address is not usable (${error.message})`);
    }
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ action: "subscribe", all: true }));
    socket.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type === "subscribed") {
        this.tries = 0;
        this.setMode("live");
        this.ping = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send('{"action":"ping"}'), PING_MS);
      } else if (data.type === "error" && !this.live) {
        socket.close();
      } else if (data.event_id) {
        this.onEvent(data);
      }
    };
    socket.onclose = (event) => {
      clearInterval(this.ping);
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      this.fallBack(this.live ? "the live connection closed" : `the live updates cannot be reached (code ${event.code})`);
    };
  }

  /** Poll, and try the socket again after a while (longer each time it fails). */
  fallBack(reason) {
    this.setMode("polling", reason);
    const wait = RETRY_MS[Math.min(this.tries, RETRY_MS.length - 1)];
    this.tries += 1;
    this.retry = setTimeout(() => this.start(), wait);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.ping);
    clearTimeout(this.retry);
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close();
    }
  }
}
