// Zones: restricted areas (red, hatched by a dashed edge), protected civilian sites (green),
// areas of operations (blue outline): each kind styled apart, names on the map.

import { baseProperties, collection, EMPTY, setVisible } from '../geo.js';
import { FONT } from '../basemap.js';

export const LAYER_IDS = ['zones-fill', 'zones-line', 'zones-label'];
const COLOR = ['match', ['get', 'kind'],
  'restricted', '#ff5a4f', 'protected_site', '#41d17e', 'area_of_operations', '#5aa9ff', '#cccccc'];

export function install(map) {
  map.addSource('zones', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'zones-fill',
    type: 'fill',
    source: 'zones',
    paint: {
      'fill-color': COLOR,
      'fill-opacity': ['match', ['get', 'kind'], 'restricted', 0.16, 'protected_site', 0.3, 0.04],
    },
  });
  map.addLayer({
    id: 'zones-line',
    type: 'line',
    source: 'zones',
    paint: {
      'line-color': COLOR,
      'line-width': ['match', ['get', 'kind'], 'area_of_operations', 2.5, 2],
      'line-dasharray': ['match', ['get', 'kind'], 'restricted', ['literal', [3, 1.5]], 'area_of_operations', ['literal', [6, 2]], ['literal', [1, 0]]],
    },
  });
  map.addLayer({
    id: 'zones-label',
    type: 'symbol',
    source: 'zones',
    minzoom: 6,
    layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 12 },
    paint: { 'text-color': COLOR, 'text-halo-color': '#111', 'text-halo-width': 1.2 },
  });
}

export function render(map, state) {
  setVisible(map, LAYER_IDS, state.layers.zones);
  const features = state.shown('zone').map((zone) => ({
    type: 'Feature',
    properties: { ...baseProperties(zone), kind: zone.kind, name: zone.name },
    geometry: zone.area,
  }));
  map.getSource('zones').setData(state.layers.zones ? collection(features) : EMPTY);
}
