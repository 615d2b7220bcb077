// The live feed: one WebSocket to /api/v1/live (the token in its first request only), kept
// open with reconnection. The page subscribes first, then reads the lists, so nothing falls
// between the two; `resync` reads them again.

import { liveUrl } from './api.js';

const MAX_BACKOFF_MS = 15000;

export class Live extends EventTarget {
  constructor() {
    super();
    this.socket = null;
    this.world = null;
    this.backoff = 500;
    this.stopped = true;
    this.retry = null;
  }

  /** (Re)connects to the feed of `world` (null: the real world). */
  start(world) {
    this.world = world;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    this.state('closed');
  }

  state(name) {
    this.dispatchEvent(new CustomEvent('state', { detail: name }));
  }

  connect() {
    clearTimeout(this.retry);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
    }
    const params = this.world ? { exercise: this.world } : {};
    const socket = new WebSocket(liveUrl(params));
    this.socket = socket;
    this.state('connecting');
    socket.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.op === 'hello') {
        this.backoff = 500;
        this.state('open');
      }
      this.dispatchEvent(new CustomEvent('message', { detail: message }));
    };
    socket.onclose = () => {
      if (this.stopped || this.socket !== socket) return;
      this.state('reconnecting');
      this.retry = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
    };
  }
}
