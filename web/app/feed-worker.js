// The live feed's reader, in a worker of its own: it holds the WebSocket, parses every
// message and hands them to the page. Air messages (the whole picture and its 1 Hz changes)
// are merged while the page is busy: at most one air batch is ever waiting for the page, and
// it always holds the latest state of every track. So a page that draws slowly shows the
// picture late by one frame, not by a queue of messages, and a busy page's rendering never
// holds up the socket (the browser reads a WebSocket only as fast as its reader takes
// messages).
//
// Page -> worker: {type: 'start', url}, {type: 'stop'}, {type: 'air-done'}.
// Worker -> page: {type: 'state', state}, {type: 'message', message}.

const MAX_BACKOFF_MS = 15000;
let socket = null;
let url = null;
let stopped = true;
let backoff = 500;
let retry = null;
let pending = null; // merged air messages not yet handed over
let airInFlight = false;

const post = (data) => postMessage(data);

self.onmessage = ({ data }) => {
  if (data.type === 'start') {
    url = data.url;
    stopped = false;
    pending = null;
    airInFlight = false;
    connect();
  } else if (data.type === 'stop') {
    stopped = true;
    clearTimeout(retry);
    if (socket) {
      socket.onclose = null;
      socket.close();
      socket = null;
    }
  } else if (data.type === 'air-done') {
    airInFlight = false;
    flushAir();
  }
};

function connect() {
  clearTimeout(retry);
  if (socket) {
    socket.onclose = null;
    socket.close();
  }
  const current = new WebSocket(url);
  socket = current;
  post({ type: 'state', state: 'connecting' });
  current.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.op === 'air') {
      mergeAir(message);
      flushAir();
      return;
    }
    if (message.op === 'hello') {
      backoff = 500;
      post({ type: 'state', state: 'open' });
    }
    post({ type: 'message', message });
  };
  current.onclose = () => {
    if (stopped || socket !== current) return;
    post({ type: 'state', state: 'reconnecting' });
    retry = setTimeout(connect, backoff);
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
  };
}

function mergeAir(message) {
  const { tracks = [], dropped = [] } = message;
  if (message.full || !pending) {
    pending = { full: Boolean(message.full), time: message.time, tracks: new Map(), dropped: new Set() };
  }
  pending.time = message.time ?? pending.time;
  for (const track of tracks) {
    pending.tracks.set(track.uid, track);
    pending.dropped.delete(track.uid);
  }
  for (const uid of dropped) {
    pending.tracks.delete(uid);
    pending.dropped.add(uid);
  }
}

function flushAir() {
  if (airInFlight || !pending) return;
  const batch = pending;
  pending = null;
  airInFlight = true;
  post({
    type: 'message',
    message: { op: 'air', full: batch.full, time: batch.time, tracks: [...batch.tracks.values()], dropped: [...batch.dropped] },
  });
}
