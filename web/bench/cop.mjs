// Benchmark of the web COP under load, in headless Chromium: 5,000 air tracks updated at 1 Hz
// plus 500 units (100 of them moving each second), while the map
// pans. Measures frames per second (and frame times) and the time from a change leaving on
// the live feed to its pixel on screen. Not a test: it prints numbers (and writes
// bench/out/web.json) for bench/README.md.
//
//   cargo build && node web/bench/cop.mjs [--seconds 20] [--tracks 5000] [--units 500] [--width 1366 --height 768]
//
// The node is a real `liptako serve` (LIPTAKO_BIN, default target/{release,debug}/liptako): it serves
// the page, the login and the lists (500 units made through its API). The live feed comes from
// this script instead, through a small proxy in front of the node that answers the page's
// WebSocket itself (RFC 6455 over loopback, as the node's feed would): 5,000 air tracks in the
// node's message format, every track changing in each 1 Hz message, and 100 unit upserts a
// second, since one node's radars cannot make 5,000 tracks on this machine while the browser
// runs. The page parses and draws them exactly as it does the node's messages. Latency: each
// message brings a new still probe track carrying the time it was sent, and the page notes the
// first animation frame in which the probe is drawn
// there (queryRenderedFeatures around the projected point), so the figure spans the WebSocket,
// parsing, the state, setData, MapLibre's worker and the frame.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { launch, recordedPage, logIn } from '../test/browser.mjs';
import { ROOT, startNode, apiClient, freePort } from '../test/nodes.mjs';

// The node only serves the page and the lists here: a debug build does as well as a release one.
process.env.LIPTAKO_BIN ||= [join(ROOT, 'target/release/liptako'), join(ROOT, 'target/debug/liptako')].find(existsSync);
const arg = (name, fallback) => {
  const idx = process.argv.indexOf(`--${name}`);
  return idx > 0 ? Number(process.argv[idx + 1]) : fallback;
};
const SECONDS = arg('seconds', 20);
const N_TRACKS = arg('tracks', 5000);
const N_UNITS = arg('units', 500);
const MOVING_UNITS = Math.min(100, N_UNITS);
const WIDTH = arg('width', 1366);
const HEIGHT = arg('height', 768);
const PASSWORD = 'bench-password-1';
// The view: Mali, Burkina Faso and Niger at zoom 5.2, every track and unit on screen.
const VIEW = { center: [0.5, 15], zoom: 5.2 };
const BOX = [-5, 11, 6, 19];

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
};
const rand = (() => {
  let seed = 42;
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
})();

function makeTracks(n) {
  return Array.from({ length: n }, (_, idx) => ({
    uid: `MLI-air-bench-${idx}`,
    track_number: idx % 65536,
    lon: BOX[0] + rand() * (BOX[2] - BOX[0]),
    lat: BOX[1] + rand() * (BOX[3] - BOX[1]),
    course_deg: rand() * 360,
    speed_mps: 60 + rand() * 200,
    alt_m: 1000 + rand() * 11000,
    mode3a: String(1000 + (idx % 6000)).padStart(4, '0').replace(/[89]/g, '7'),
    callsign: idx % 3 ? `BNC${idx}` : undefined,
    identity: ['pending', 'neutral', 'assumed_friend', 'unknown'][idx % 4],
    emergency: idx % 997 === 0 ? '7700' : undefined,
    no_transponder: idx % 501 === 0,
  }));
}

function trackView(track, now) {
  return {
    uid: track.uid,
    track_number: track.track_number,
    time: new Date(now).toISOString(),
    updated: new Date(now).toISOString(),
    position: { lat: track.lat, lon: track.lon, alt_m: track.alt_m },
    course_deg: track.course_deg,
    speed_mps: track.speed_mps,
    velocity_east_mps: 0,
    velocity_north_mps: 0,
    turn_rate_deg_s: 0,
    position_sigma_m: 50,
    mode3a: track.mode3a,
    callsign: track.callsign,
    identity: track.identity,
    cot_type: 'a-n-A',
    no_transponder: track.no_transponder,
    emergency: track.emergency,
    sensors: [track.sent ? `sent:${track.sent}` : 'BENCH'],
  };
}

function advance(track, seconds) {
  const rad = (track.course_deg * Math.PI) / 180;
  track.lat += (track.speed_mps * seconds * Math.cos(rad)) / 111320;
  track.lon += (track.speed_mps * seconds * Math.sin(rad)) / (111320 * Math.cos((track.lat * Math.PI) / 180));
  if (track.lon < BOX[0] || track.lon > BOX[2] || track.lat < BOX[1] || track.lat > BOX[3]) track.course_deg = (track.course_deg + 180) % 360;
}


/** A proxy in front of the node: HTTP goes to the node, the live feed's WebSocket is answered
 * here; `feed.send(text)` writes one text frame to every page connected. */
function feedProxy(target, port) {
  const sockets = new Set();
  const server = createServer((req, res) => {
    const upstream = httpRequest({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket) => {
    const key = req.headers['sec-websocket-key'];
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    socket.on('data', () => {}); // the page sends nothing but a close
    socket.write(frame(JSON.stringify({ op: 'hello', nation: 'MLI', principal: { name: 'admin', nation: 'MLI', clearance: 'S', role: 'admin' } })));
  });
  const frame = (text) => {
    const payload = Buffer.from(text);
    const n = payload.length;
    const head = n < 126 ? Buffer.from([0x81, n])
      : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 255])
        : Buffer.concat([Buffer.from([0x81, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
    return Buffer.concat([head, payload]);
  };
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done({
    base: `http://127.0.0.1:${port}/`,
    send: (text) => { const bytes = frame(text); for (const socket of sockets) socket.write(bytes); },
    connected: () => sockets.size,
    close: () => { for (const socket of sockets) socket.destroy(); server.close(); },
  })));
}

async function main() {
  const node = await startNode({ adminPassword: PASSWORD });
  const admin = await apiClient(node.base, 'admin', PASSWORD);
  const units = [];
  for (let start = 0; start < N_UNITS; start += 25) {
    const batch = Array.from({ length: Math.min(25, N_UNITS - start) }, (_, k) => {
      const idx = start + k;
      return admin.call('POST', '/api/v1/units', {
        callsign: `UNIT ${idx}`, symbol: idx % 2 ? 'SFGPUCI----K---' : 'SFGPUCR----K---',
        position: { lat: BOX[1] + rand() * (BOX[3] - BOX[1]), lon: BOX[0] + rand() * (BOX[2] - BOX[0]) },
        course_deg: rand() * 360, speed_mps: 5 + rand() * 10, marking: { level: 'DR', releasable_to: ['AES'] },
      });
    });
    units.push(...(await Promise.all(batch)));
  }

  const browser = await launch();
  const { page } = await recordedPage(browser, { viewport: { width: WIDTH, height: HEIGHT } });
  const feed = await feedProxy(node.port, await freePort());
  await logIn(page, feed.base, 'admin', PASSWORD);
  // The first read of the lists (after the feed's hello) is done when every unit is held.
  await page.waitForFunction((n) => window.liptako.state.objects.size >= n, N_UNITS, { timeout: 60000 });
  await page.waitForTimeout(1000);
  await page.evaluate(({ center, zoom }) => {
    const app = window.liptako;
    app.map.jumpTo({ center, zoom });
    // The node runs no radar: the picture's marking is what an [air] section would give it.
    app.state.airPicture = { origin: 'MLI', marking: { level: 'DR', releasable_to: ['AES'] } };
    // Main-thread time of the page's own work per air message (state, features, setData).
    window.bench_work = [];
    const onLive = app.onLive.bind(app);
    app.onLive = (message) => {
      const t0 = performance.now();
      onLive(message);
      if (message.op === 'air') {
        app.renderAir();
        window.bench_work.push(performance.now() - t0);
      }
    };
    window.bench = { latencies: [], frames: [], waiting: [], arrivals: [] };
    // Probe tracks carry the time they were sent (in their sensors); a merged batch carries
    // every probe of the messages it merged.
    const seen = new Set();
    app.live.addEventListener('message', ({ detail }) => {
      if (detail.op !== 'air') return;
      for (const track of detail.tracks) {
        if (!track.uid.startsWith('MLI-air-probe-') || seen.has(track.uid)) continue;
        seen.add(track.uid);
        const sent = Number(track.sensors[0].slice(5));
        window.bench.waiting.push({ uid: track.uid, lon: track.position.lon, lat: track.position.lat, sent });
        window.bench.arrivals.push(Date.now() - sent);
      }
    });
    const tick = () => {
      const now = performance.now();
      window.bench.frames.push(now);
      window.bench.waiting = window.bench.waiting.filter((probe) => {
        const p = app.map.project([probe.lon, probe.lat]);
        const hits = app.map.queryRenderedFeatures([[p.x - 4, p.y - 4], [p.x + 4, p.y + 4]], { layers: ['air-symbol', 'air-dot'] });
        if (!hits.some((f) => f.properties.uid === probe.uid)) return Date.now() - probe.sent < 30000;
        window.bench.latencies.push(Date.now() - probe.sent);
        return false;
      });
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, VIEW);

  const tracks = makeTracks(N_TRACKS);
  // Baseline: the same view and panning with no air track and no unit moving.
  const baseline = await page.evaluate(async (seconds) => {
    const frames = [];
    let stop = false;
    const m = window.liptako.map;
    let dir = 1;
    let n = 0;
    const tick = (t) => {
      frames.push(t);
      m.panBy([4 * dir, 2 * dir], { duration: 0 });
      n += 1;
      if (n % 120 === 0) dir = -dir;
      if (!stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    await new Promise((done) => setTimeout(done, seconds * 1000));
    stop = true;
    return frames.length / ((frames[frames.length - 1] - frames[0]) / 1000);
  }, Math.min(10, SECONDS));
  // Each message brings a new probe track (a still one, where nothing else is) and drops the
  // probe of ten messages before: the tracks stay N_TRACKS.
  const probes = [];
  let nProbes = 0;
  const send = (full) => {
    const now = Date.now();
    nProbes += 1;
    const probe = { uid: `MLI-air-probe-${nProbes}`, lon: BOX[0] + 1 + rand() * 9, lat: BOX[1] + 1 + rand() * 6, sent: 0 };
    const probeTrack = { ...tracks[0], uid: probe.uid, lon: probe.lon, lat: probe.lat, speed_mps: 0, sent: Date.now() };
    probes.push(probeTrack);
    const dropped = probes.length > 10 ? [probes.shift().uid] : [];
    const all = [...tracks.slice(probes.length), ...probes];
    const message = { op: 'air', full, time: new Date(now).toISOString(), tracks: all.map((t) => trackView(t, now)), dropped };
    feed.send(JSON.stringify(message));
  };
  send(true);
  // The moving units: new versions as the node's feed would carry them.
  const moving = units.slice(0, MOVING_UNITS).map((unit) => ({ ...unit }));
  const moveUnits = () => {
    for (const unit of moving) {
      unit.version += 1;
      unit.updated = new Date().toISOString();
      unit.position = { lat: unit.position.lat + 0.002 * Math.cos(unit.course_deg), lon: unit.position.lon + 0.002 * Math.sin(unit.course_deg) };
      feed.send(JSON.stringify({ op: 'upsert', object: unit }));
    }
  };

  const phase = async (name, panning) => {
    await page.evaluate((pan) => {
      window.bench.frames = [];
      window.bench.latencies = [];
      window.bench_work = [];
      window.bench.arrivals = [];
      window.bench.panning = pan;
      if (pan) {
        let dir = 1;
        let steps = 0;
        const step = () => {
          if (!window.bench.panning) return;
          window.liptako.map.panBy([4 * dir, 2 * dir], { duration: 0 });
          steps += 1;
          if (steps % 120 === 0) dir = -dir;
          requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      }
    }, panning);
    const started = Date.now();
    const updateLag = [];
    while (Date.now() - started < SECONDS * 1000) {
      const tickStart = Date.now();
      for (const track of tracks.slice(1)) advance(track, 1);
      send(false);
      moveUnits();
      updateLag.push(Date.now() - tickStart);
      await new Promise((done) => setTimeout(done, Math.max(0, 1000 - (Date.now() - tickStart))));
    }
    const result = await page.evaluate(() => {
      window.bench.panning = false;
      const frames = window.bench.frames;
      const deltas = frames.slice(1).map((t, i) => t - frames[i]);
      return {
        frames: frames.length,
        span_ms: frames.length > 1 ? frames[frames.length - 1] - frames[0] : 0,
        deltas,
        latencies: window.bench.latencies,
        tracks_drawn: window.liptako.state.air.size,
        units_held: [...window.liptako.state.objects.values()].filter((o) => o.type === 'unit').length,
        heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null,
        work: window.bench_work,
        arrivals: window.bench.arrivals || [],
      };
    });
    return {
      phase: name,
      fps: result.frames / (result.span_ms / 1000),
      frame_ms_p50: quantile(result.deltas, 0.5),
      frame_ms_p95: quantile(result.deltas, 0.95),
      frame_ms_max: Math.max(...result.deltas),
      latency_ms_p50: quantile(result.latencies, 0.5),
      latency_ms_p95: quantile(result.latencies, 0.95),
      latency_ms_max: Math.max(...result.latencies),
      latency_samples: result.latencies.length,
      tracks: result.tracks_drawn,
      units: result.units_held,
      heap_mb: result.heap_mb && Math.round(result.heap_mb),
      arrival_ms_p50: quantile(result.arrivals, 0.5),
      arrival_ms_max: Math.max(...result.arrivals),
      update_ms_p50: quantile(result.work, 0.5),
      update_ms_p95: quantile(result.work, 0.95),
      feeder_tick_ms_p50: quantile(updateLag, 0.5),
    };
  };

  await page.waitForTimeout(3000);
  const results = [await phase('idle view', false), await phase('panning', true)];
  const parseMs = await page.evaluate(() => {
    const text = JSON.stringify({ op: 'air', full: false, tracks: [...window.liptako.state.air.values()].map((held) => held.track) });
    const t0 = performance.now();
    for (let i = 0; i < 5; i += 1) JSON.parse(text);
    return (performance.now() - t0) / 5;
  });
  await page.screenshot({ path: join(ROOT, 'web/test-artifacts/bench.png') });
  const chromium = browser.version();
  await browser.close();
  feed.close();
  node.server.stop();

  const summary = { baseline_pan_fps: baseline, parse_ms: parseMs, date: new Date().toISOString(), chromium, tracks: N_TRACKS, units: N_UNITS, moving_units: MOVING_UNITS, seconds: SECONDS, results };
  mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/out/web.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
  console.log(`Chromium ${chromium}, ${N_TRACKS} tracks at 1 Hz, ${N_UNITS} units (${MOVING_UNITS} moving/s), ${SECONDS} s per phase, ${WIDTH}x${HEIGHT}`);
  console.log(`baseline (no track, no unit moving), panning: ${fmt(baseline)} FPS; JSON.parse of one 1 Hz message: ${fmt(parseMs)} ms`);
  console.log('| phase | FPS | frame p50 / p95 / max (ms) | feed-to-pixel p50 / p95 / max (ms) | samples | page work per update p50 / p95 (ms) | tracks | units | JS heap (MB) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.phase} | ${fmt(r.fps)} | ${fmt(r.frame_ms_p50)} / ${fmt(r.frame_ms_p95)} / ${fmt(r.frame_ms_max)} | ${fmt(r.latency_ms_p50)} / ${fmt(r.latency_ms_p95)} / ${fmt(r.latency_ms_max)} | ${r.latency_samples} | ${fmt(r.update_ms_p50)} / ${fmt(r.update_ms_p95)} | ${r.tracks} | ${r.units} | ${r.heap_mb ?? '—'} |`);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
