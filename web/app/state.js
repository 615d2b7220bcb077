// What the page holds: the objects of the world being viewed (reports, units, zones, as the
// API and the live feed give them), the air picture, acknowledgements, and the operator's
// layer switches and filters. Listeners hear `change` events naming what changed
// (`objects`, `air`, `acks`, `filters`, `layers`, `world`).

export const REPORT_KINDS = ['incident', 'threat_warning', 'intelligence_summary', 'spot_report',
  'civilian_harm', 'airspace_alert', 'pursuit_alert', 'deconfliction_alert', 'protection_warning',
  'support_alert'];
export const ZONE_KINDS = ['restricted', 'protected_site', 'area_of_operations'];
export const LAYERS = ['zones', 'reports', 'units', 'air', 'alerts', 'operations', 'assets'];
/** Report kinds operators acknowledge (the node's rule: kinds ending in `_alert`, and
 * `protection_warning`). */
export const isAlertKind = (kind) => typeof kind === 'string'
  && (kind.endsWith('_alert') || kind === 'protection_warning');
/** Points kept per air track for its trail. */
export const TRAIL_POINTS = 12;

export class State extends EventTarget {
  constructor() {
    super();
    this.objects = new Map();
    this.air = new Map();
    this.airTime = null;
    this.airPicture = null; // {origin, marking} of the node's picture, when the user may see it
    this.acks = new Map();
    this.world = null;
    this.replayAt = null; // ms: the past time shown while replaying (null: live)
    this.layers = Object.fromEntries(LAYERS.map((layer) => [layer, true]));
    this.filters = {
      reportKinds: new Set(REPORT_KINDS),
      zoneKinds: new Set(ZONE_KINDS),
      nations: null, // null: every nation
      levels: null, // null: every level
      windowHours: 0, // 0: no time window
      text: '',
    };
  }

  /** The time the picture is of: now, or the time replayed. */
  now() {
    return this.replayAt ?? Date.now();
  }

  emit(kind, id = null) {
    this.dispatchEvent(new CustomEvent('change', { detail: { kind, id } }));
  }

  /** Replaces every object (after a (re)load of the lists). */
  resetObjects(objects) {
    this.objects.clear();
    for (const object of objects) this.upsert(object, false);
    this.emit('objects');
  }

  /** A version from the list or the live feed; older versions never replace newer ones. */
  upsert(object, notify = true) {
    if ((object.exercise ?? null) !== this.world) return;
    const held = this.objects.get(object.id);
    if (held && held.version > object.version) return;
    if (object.deleted) this.objects.delete(object.id);
    else this.objects.set(object.id, object);
    if (notify) this.emit('objects', object.id);
  }

  remove(id) {
    if (this.objects.delete(id)) this.emit('objects', id);
  }

  /** An air message of the live feed (or the picture from the API, as a full message). */
  applyAir({ full, time, tracks = [], dropped = [] }) {
    const now = performance.now();
    if (full) {
      const keep = new Set(tracks.map((track) => track.uid));
      for (const uid of this.air.keys()) if (!keep.has(uid)) this.air.delete(uid);
    }
    for (const uid of dropped) this.air.delete(uid);
    for (const track of tracks) {
      const held = this.air.get(track.uid);
      const point = [track.position.lon, track.position.lat];
      const trail = held ? held.trail : [];
      const last = trail[trail.length - 1];
      if (!last || last[0] !== point[0] || last[1] !== point[1]) trail.push(point);
      if (trail.length > TRAIL_POINTS) trail.splice(0, trail.length - TRAIL_POINTS);
      this.air.set(track.uid, { track, trail, received: now });
    }
    this.airTime = time ?? this.airTime;
    this.emit('air');
  }

  clearAir() {
    this.air.clear();
    this.emit('air');
  }

  setAcks(acks) {
    this.acks.clear();
    // Newest first from the node: the first seen per alert is its latest acknowledgement.
    for (const ack of acks) if (!this.acks.has(ack.id)) this.acks.set(ack.id, ack);
    this.emit('acks');
  }

  addAck(ack) {
    this.acks.set(ack.id, ack);
    this.emit('acks');
  }

  /** Whether the operator's filters let `object` show. */
  passes(object, now = this.now()) {
    const f = this.filters;
    if (f.nations && !f.nations.has(object.origin)) return false;
    if (f.levels && !f.levels.has(object.marking?.level)) return false;
    if (object.type === 'report' && !f.reportKinds.has(object.kind)) return false;
    if (object.type === 'zone' && !f.zoneKinds.has(object.kind)) return false;
    if (f.windowHours > 0 && object.type !== 'zone') {
      const updated = Date.parse(object.updated);
      if (!(now - updated <= f.windowHours * 3600 * 1000)) return false;
    }
    if (f.text && object.type === 'report') {
      const text = `${object.title || ''} ${object.body || ''}`.toLowerCase();
      if (!f.text.toLowerCase().split(/\s+/).filter(Boolean).every((word) => text.includes(word))) return false;
    }
    return true;
  }

  /** The objects of one type that pass the filters (reports split into plain and alerts). */
  shown(type, { alerts = false } = {}) {
    const now = this.now();
    const out = [];
    for (const object of this.objects.values()) {
      if (object.type !== type) continue;
      if (type === 'report' && isAlertKind(object.kind) !== alerts) continue;
      if (this.passes(object, now)) out.push(object);
    }
    return out;
  }

  /** Every alert held (filters aside), newest change first. */
  alerts() {
    return [...this.objects.values()]
      .filter((object) => object.type === 'report' && isAlertKind(object.kind))
      .sort((a, b) => (a.updated < b.updated ? 1 : a.updated > b.updated ? -1 : 0));
  }
}
