// Air tracks: a symbol by identity (milsymbol), a heading vector (one minute ahead), a short
// trail, and a label with callsign, Mode 3/A and flight level. Emergency squawks and tracks
// without a transponder stand out: a red ring, a red or orange label, drawn above the rest.
//
// Built for thousands of tracks at 1 Hz: two GeoJSON sources (points; trails and vectors)
// replaced with setData at most once per frame, symbols added once per identity. Positions
// are extrapolated from the last picture by the track's velocity (the node sends a coasting
// track's prediction only when something else changes).

import { collection, destination, EMPTY, setVisible } from '../geo.js';
import { airImage } from '../symbols.js';
import { FONT } from '../basemap.js';

export const LAYER_IDS = ['air-lines', 'air-symbol'];
const VECTOR_S = 60;
/** Longest extrapolation: a track not heard of for longer is shown where it was. */
const MAX_EXTRAPOLATION_S = 30;

export function install(map) {
  map.addSource('air', { type: 'geojson', data: EMPTY });
  map.addSource('air-lines', { type: 'geojson', data: EMPTY });
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
    id: 'air-symbol',
    type: 'symbol',
    source: 'air',
    layout: {
      'icon-image': ['get', 'icon'],
      'icon-allow-overlap': true,
      'symbol-sort-key': ['get', 'priority'],
      'text-field': ['step', ['zoom'], ['get', 'alarmLabel'], 7, ['get', 'label']],
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
  for (const { track, trail } of state.air.values()) {
    const here = extrapolate(track, nowMs);
    const alarm = track.emergency ? 'emergency' : track.no_transponder ? 'no_transponder' : '';
    const label = trackLabel(track);
    points.push({
      type: 'Feature',
      properties: {
        uid: track.uid,
        type: 'air',
        icon: airImage(track.identity, Boolean(alarm)),
        label,
        alarm,
        alarmLabel: alarm ? label : '',
        priority: alarm ? 1 : 0,
      },
      geometry: { type: 'Point', coordinates: here },
    });
    if (track.speed_mps > 0) {
      lines.push({
        type: 'Feature',
        properties: { part: 'vector' },
        geometry: { type: 'LineString', coordinates: [here, destination(here, track.course_deg, track.speed_mps * VECTOR_S)] },
      });
    }
    if (trail.length > 1) {
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
