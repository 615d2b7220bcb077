// Air tracks: a symbol by identity (milsymbol), a heading vector (one minute ahead), a short
// trail, and a label with callsign, Mode 3/A and flight level. Emergency squawks and tracks
// without a transponder stand out: a red ring, a red or orange label, drawn above the rest.
//
// Built for thousands of tracks at 1 Hz: two GeoJSON sources (points; trails and vectors)
// replaced with setData at most once per frame, symbols added once per identity; at the
// confederation's scale (below zoom 6.5) a track is a dot coloured by identity (an alarm ringed),
// and a picture of more than a thousand tracks gets its vectors from zoom 6, its trails from 7:
// symbol placement and line tiling of thousands of features are what a frame cannot afford. Positions
// are extrapolated from the last picture by the track's velocity (the node sends a coasting
// track's prediction only when something else changes).

import { collection, destination, EMPTY, setVisible } from '../geo.js';
import { airImage } from '../symbols.js';
import { FONT } from '../basemap.js';

export const LAYER_IDS = ['air-lines', 'air-dot', 'air-symbol'];
/** Below this zoom (the confederation's scale) tracks are dots: cheap to draw by thousands. */
export const SYMBOLS_FROM_ZOOM = 6.5;
const VECTOR_S = 60;
/** Longest extrapolation: a track not heard of for longer is shown where it was. */
const MAX_EXTRAPOLATION_S = 30;
const TRAILS_ALWAYS = 1000;
const TRAILS_FROM_ZOOM = 7;
const VECTORS_FROM_ZOOM = 6;

export function install(map) {
  map.addSource('air', { type: 'geojson', data: EMPTY, maxzoom: 12, buffer: 32 });
  map.addSource('air-lines', { type: 'geojson', data: EMPTY, maxzoom: 12, buffer: 16 });
  map.addLayer({
    id: 'air-lines',
    type: 'line',
    source: 'air-lines',
    paint: {
      'line-color': ['match', ['get', 'part'], 'vector', '#ffffff', '#8fb3c9'],
      'line-opacity': ['match', ['get', 'part'], 'vector', 0.85, 0.5],
      'line-width': ['match', ['get', 'part'], 'vector', 1.2, 1],
    },
  });
  map.addLayer({
    id: 'air-dot',
    type: 'circle',
    source: 'air',
    maxzoom: SYMBOLS_FROM_ZOOM,
    paint: {
      'circle-radius': ['case', ['!=', ['get', 'alarm'], ''], 6, 3],
      'circle-color': ['match', ['get', 'identity'],
        'assumed_friend', '#80e0ff', 'neutral', '#aaffaa', 'suspect', '#ff8080', 'unknown', '#ffff80', '#ffff80'],
      'circle-stroke-color': ['match', ['get', 'alarm'], 'emergency', '#ff2d2d', 'no_transponder', '#ff9f1c', '#0b1520'],
      'circle-stroke-width': ['case', ['!=', ['get', 'alarm'], ''], 3, 0.8],
    },
  });
  map.addLayer({
    id: 'air-symbol',
    type: 'symbol',
    source: 'air',
    minzoom: SYMBOLS_FROM_ZOOM,
    layout: {
      'icon-image': ['get', 'icon'],
      'icon-allow-overlap': true,
      'symbol-sort-key': ['get', 'priority'],
      'text-field': ['step', ['zoom'], ['get', 'alarmLabel'], 7.5, ['get', 'label']],
      'text-font': FONT,
      'text-size': 10,
      'text-anchor': 'top-left',
      'text-offset': [0.9, 0.4],
      'text-optional': true,
      'text-justify': 'left',
    },
    paint: {
      'text-color': ['match', ['get', 'alarm'], 'emergency', '#ff5050', 'no_transponder', '#ffa640', '#e6f2ff'],
      'text-halo-color': '#0b1520',
      'text-halo-width': 1.2,
    },
  });
}

/** Flight level from an altitude in metres ("FL095"), or "". */
export function flightLevel(altM) {
  if (typeof altM !== 'number') return '';
  return `FL${String(Math.max(0, Math.round(altM / 30.48))).padStart(3, '0')}`;
}

export function trackLabel(track) {
  const parts = [track.callsign, track.mode3a ? `A${track.mode3a}` : '', flightLevel(track.position.alt_m)];
  if (track.emergency) parts.push(track.emergency);
  return parts.filter(Boolean).join(' ');
}

/** Where a track is now, by its velocity since its picture time. */
export function extrapolate(track, nowMs) {
  const point = [track.position.lon, track.position.lat];
  const age = Math.min(MAX_EXTRAPOLATION_S, Math.max(0, (nowMs - Date.parse(track.time)) / 1000));
  if (!(age > 0) || !(track.speed_mps > 0)) return point;
  return destination(point, track.course_deg, track.speed_mps * age);
}

export function render(map, state, nowMs = Date.now()) {
  setVisible(map, LAYER_IDS, state.layers.air);
  if (!state.layers.air) {
    map.getSource('air').setData(EMPTY);
    map.getSource('air-lines').setData(EMPTY);
    return;
  }
  const points = [];
  const lines = [];
  // Trails of thousands of tracks are noise at the confederation's scale and the heaviest
  // part to tile: drawn from zoom 6 on, or always for a picture of at most TRAILS_ALWAYS.
  const trails = state.air.size <= TRAILS_ALWAYS || map.getZoom() >= TRAILS_FROM_ZOOM;
  const vectors = state.air.size <= TRAILS_ALWAYS || map.getZoom() >= VECTORS_FROM_ZOOM;
  for (const { track, trail } of state.air.values()) {
    const here = extrapolate(track, nowMs);
    const alarm = track.emergency ? 'emergency' : track.no_transponder ? 'no_transponder' : '';
    const label = trackLabel(track);
    points.push({
      type: 'Feature',
      properties: {
        uid: track.uid,
        type: 'air',
        identity: track.identity,
        icon: airImage(track.identity, Boolean(alarm)),
        label,
        alarm,
        alarmLabel: alarm ? label : '',
        priority: alarm ? 1 : 0,
      },
      geometry: { type: 'Point', coordinates: here },
    });
    if (vectors && track.speed_mps > 0) {
      lines.push({
        type: 'Feature',
        properties: { part: 'vector' },
        geometry: { type: 'LineString', coordinates: [here, destination(here, track.course_deg, track.speed_mps * VECTOR_S)] },
      });
    }
    if (trails && trail.length > 1) {
      lines.push({
        type: 'Feature',
        properties: { part: 'trail' },
        geometry: { type: 'LineString', coordinates: [...trail, here] },
      });
    }
  }
  map.getSource('air').setData(collection(points));
  map.getSource('air-lines').setData(collection(lines));
}
