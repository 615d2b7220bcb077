// Units: their APP-6 symbol (milsymbol, from the unit's symbol code), callsign and nation
// below, and a course leader: a line along the course, as long as ten minutes of travel.

import { baseProperties, collection, destination, EMPTY, objectPoint, setVisible } from '../geo.js';
import { unitImage } from '../symbols.js';
import { FONT } from '../basemap.js';

export const LAYER_IDS = ['units-leader', 'units-symbol'];
const LEADER_S = 600;

export function install(map) {
  map.addSource('units', { type: 'geojson', data: EMPTY });
  map.addSource('units-leader', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'units-leader',
    type: 'line',
    source: 'units-leader',
    paint: { 'line-color': '#9fd3ff', 'line-width': 1.5 },
  });
  map.addLayer({
    id: 'units-symbol',
    type: 'symbol',
    source: 'units',
    layout: {
      'icon-image': ['get', 'icon'],
      'icon-allow-overlap': true,
      'text-field': ['concat', ['get', 'callsign'], '\n', ['get', 'origin']],
      'text-font': FONT,
      'text-size': 11,
      'text-anchor': 'top',
      'text-offset': [0, 1.4],
      'text-optional': true,
    },
    paint: { 'text-color': '#d6ecff', 'text-halo-color': '#0b1520', 'text-halo-width': 1.3 },
  });
}

export function render(map, state) {
  setVisible(map, LAYER_IDS, state.layers.units);
  const points = [];
  const leaders = [];
  if (state.layers.units) {
    for (const unit of state.shown('unit')) {
      const point = objectPoint(unit);
      if (!point) continue;
      points.push({
        type: 'Feature',
        properties: { ...baseProperties(unit), callsign: unit.callsign, icon: unitImage(unit.symbol) },
        geometry: { type: 'Point', coordinates: point },
      });
      if (typeof unit.course_deg === 'number' && unit.speed_mps > 0) {
        leaders.push({
          type: 'Feature',
          properties: { id: unit.id },
          geometry: { type: 'LineString', coordinates: [point, destination(point, unit.course_deg, unit.speed_mps * LEADER_S)] },
        });
      }
    }
  }
  map.getSource('units').setData(collection(points));
  map.getSource('units-leader').setData(collection(leaders));
}
