// Operations and pursuits: each operation's area (orange when active, grey when planned or
// ended) with its name and status; each pursuit notice as the track of the incursion and a
// marker at the unit's latest point, labelled with the nation entered and the depth (red when
// a limit of the agreement is exceeded, white once the pursuit has ended).

import { baseProperties, collection, EMPTY, setVisible } from '../geo.js';
import { FONT } from '../basemap.js';

export const LAYER_IDS = ['operations-fill', 'operations-line', 'operations-label',
  'pursuits-track', 'pursuits-circle', 'pursuits-label'];
const STATUS_COLOR = ['match', ['get', 'status'], 'active', '#ff9f1a', 'planned', '#b8b8b8', '#7a7a7a'];
const PURSUIT_COLOR = ['case', ['get', 'ended'], '#e8e8e8', ['get', 'exceeded'], '#ff3b30', '#ffd60a'];

export function install(map) {
  map.addSource('operations', { type: 'geojson', data: EMPTY });
  map.addSource('pursuits', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'operations-fill',
    type: 'fill',
    source: 'operations',
    paint: { 'fill-color': STATUS_COLOR, 'fill-opacity': 0.06 },
  });
  map.addLayer({
    id: 'operations-line',
    type: 'line',
    source: 'operations',
    paint: { 'line-color': STATUS_COLOR, 'line-width': 2.5, 'line-dasharray': ['literal', [4, 2]] },
  });
  map.addLayer({
    id: 'operations-label',
    type: 'symbol',
    source: 'operations',
    minzoom: 5,
    layout: { 'text-field': ['get', 'label'], 'text-font': FONT, 'text-size': 12 },
    paint: { 'text-color': STATUS_COLOR, 'text-halo-color': '#111', 'text-halo-width': 1.2 },
  });
  map.addLayer({
    id: 'pursuits-track',
    type: 'line',
    source: 'pursuits',
    filter: ['==', ['geometry-type'], 'LineString'],
    paint: { 'line-color': PURSUIT_COLOR, 'line-width': 2 },
  });
  map.addLayer({
    id: 'pursuits-circle',
    type: 'circle',
    source: 'pursuits',
    filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 7, 'circle-color': PURSUIT_COLOR, 'circle-stroke-color': '#111', 'circle-stroke-width': 1.5 },
  });
  map.addLayer({
    id: 'pursuits-label',
    type: 'symbol',
    source: 'pursuits',
    filter: ['==', ['geometry-type'], 'Point'],
    layout: { 'text-field': ['get', 'label'], 'text-font': FONT, 'text-size': 12, 'text-offset': [0, 1.3], 'text-anchor': 'top' },
    paint: { 'text-color': PURSUIT_COLOR, 'text-halo-color': '#111', 'text-halo-width': 1.2 },
  });
}

const lonLat = (point) => [point.lon, point.lat];

export function render(map, state) {
  const on = state.layers.operations;
  setVisible(map, LAYER_IDS, on);
  const areas = state.shown('operation').filter((op) => op.area).map((op) => ({
    type: 'Feature',
    properties: { ...baseProperties(op), status: op.status, label: `${op.name} (${op.status})` },
    geometry: op.area,
  }));
  const pursuits = [];
  for (const notice of state.shown('pursuit_notice')) {
    const track = (notice.track || []).map(lonLat);
    const at = track.length ? track[track.length - 1] : lonLat(notice.crossing_point);
    const properties = {
      ...baseProperties(notice),
      ended: Boolean(notice.ended),
      exceeded: (notice.limits_exceeded || []).length > 0,
      label: `→ ${notice.nation_entered} ${Number(notice.depth_km || 0).toFixed(1)} km`,
    };
    if (track.length > 1) pursuits.push({ type: 'Feature', properties, geometry: { type: 'LineString', coordinates: track } });
    pursuits.push({ type: 'Feature', properties, geometry: { type: 'Point', coordinates: at } });
  }
  map.getSource('operations').setData(on ? collection(areas) : EMPTY);
  map.getSource('pursuits').setData(on ? collection(pursuits) : EMPTY);
}
