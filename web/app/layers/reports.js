// Reports (an icon by kind, the title from zoom 8) and alerts (reports of an alert kind, on a
// layer of their own: a halo that stays bright until acknowledged).

import { baseProperties, collection, EMPTY, objectPoint, setVisible } from '../geo.js';
import { reportImage } from '../symbols.js';
import { FONT } from '../basemap.js';

export const REPORT_LAYER_IDS = ['reports-symbol'];
export const ALERT_LAYER_IDS = ['alerts-halo', 'alerts-symbol'];

export function install(map) {
  map.addSource('reports', { type: 'geojson', data: EMPTY });
  map.addSource('alerts', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'reports-symbol',
    type: 'symbol',
    source: 'reports',
    layout: {
      'icon-image': ['get', 'icon'],
      'icon-allow-overlap': true,
      'text-field': ['step', ['zoom'], '', 8, ['get', 'title']],
      'text-font': FONT,
      'text-size': 11,
      'text-anchor': 'left',
      'text-offset': [1.2, 0],
      'text-optional': true,
      'text-max-width': 18,
    },
    paint: { 'text-color': '#f1f1f1', 'text-halo-color': '#111', 'text-halo-width': 1.2 },
  });
  map.addLayer({
    id: 'alerts-halo',
    type: 'circle',
    source: 'alerts',
    paint: {
      'circle-radius': 16,
      'circle-color': ['case', ['get', 'acked'], 'rgba(255,212,0,0.08)', 'rgba(255,60,0,0.35)'],
      'circle-stroke-color': ['case', ['get', 'acked'], '#8a7a2a', '#ff3c00'],
      'circle-stroke-width': 2,
    },
  });
  map.addLayer({
    id: 'alerts-symbol',
    type: 'symbol',
    source: 'alerts',
    layout: {
      'icon-image': ['get', 'icon'],
      'icon-allow-overlap': true,
      'text-field': ['step', ['zoom'], '', 7, ['get', 'title']],
      'text-font': FONT,
      'text-size': 11,
      'text-anchor': 'left',
      'text-offset': [1.4, 0],
      'text-optional': true,
      'text-max-width': 20,
    },
    paint: { 'text-color': '#ffd400', 'text-halo-color': '#111', 'text-halo-width': 1.3 },
  });
}

function features(reports, state) {
  const out = [];
  for (const report of reports) {
    const point = objectPoint(report);
    if (!point) continue;
    const ack = state.acks.get(report.id);
    out.push({
      type: 'Feature',
      properties: {
        ...baseProperties(report),
        kind: report.kind,
        title: report.title,
        icon: reportImage(report.kind),
        acked: Boolean(ack && ack.version >= report.version),
      },
      geometry: { type: 'Point', coordinates: point },
    });
  }
  return out;
}

export function render(map, state) {
  setVisible(map, REPORT_LAYER_IDS, state.layers.reports);
  setVisible(map, ALERT_LAYER_IDS, state.layers.alerts);
  map.getSource('reports').setData(state.layers.reports ? collection(features(state.shown('report'), state)) : EMPTY);
  map.getSource('alerts').setData(state.layers.alerts ? collection(features(state.shown('report', { alerts: true }), state)) : EMPTY);
}
