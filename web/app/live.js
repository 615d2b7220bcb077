// The live feed: one WebSocket to /api/v1/live (the token in its first request only), kept
// open with reconnection by a worker of its own (feed-worker.js), which parses the messages
// off the page's main thread and merges air updates while the page is busy. The page
// subscribes first, then reads the lists, so nothing falls between the two; `resync` reads
// them again.

import { liveUrl } from './api.js';

export class Live extends EventTarget {
  constructor() {
    super();
    this.worker = null;
  }

  /** (Re)connects to the feed of `world` (null: the real world). */
  start(world) {
    if (!this.worker) {
      this.worker = new Worker('/ui/app/feed-worker.js', { type: 'module' });
      this.worker.onmessage = ({ data }) => {
        if (data.type === 'state') {
          this.dispatchEvent(new CustomEvent('state', { detail: data.state }));
          return;
        }
        this.dispatchEvent(new CustomEvent('message', { detail: data.message }));
        // The page took the air batch: the worker may hand over the next one.
        if (data.message.op === 'air') this.worker.postMessage({ type: 'air-done' });
      };
    }
    this.worker.postMessage({ type: 'start', url: liveUrl(world ? { exercise: world } : {}) });
  }

  stop() {
    if (this.worker) {
      this.worker.postMessage({ type: 'stop' });
      this.worker.terminate();
      this.worker = null;
    }
    this.dispatchEvent(new CustomEvent('state', { detail: 'closed' }));
  }
}
