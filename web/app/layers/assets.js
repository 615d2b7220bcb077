// Pooled assets: each asset's APP-6 symbol by category (milsymbol), its name, nation and
// status below, coloured by status (green available, amber tasked, grey maintenance or
// unavailable). An asset linked to a unit the user holds is drawn where the unit is: the unit
// is in the page only if the node let this user see it.

import { baseProperties, collection, EMPTY, setVisible } from '../geo.js';
import { unitImage } from '../symbols.js';
import { FONT } from '../basemap.js';
import { t } from '../i18n.js';

export const LAYER_IDS = ['assets-symbol'];

/** A friendly 2525C symbol code per asset category. */
export const CATEGORY_SIDC = {
  fixed_wing: 'SFAPMF---------',
  helicopter: 'SFAPMH---------',
  isr_drone: 'SFAPMFQ--------',
  medevac: 'SFGPUSM--------',
  transport: 'SFGPUST--------',
  engineering: 'SFGPUCE--------',
  air_surveillance_radar: 'SFGPUUSR-------',
  logistics: 'SFGPUS---------',
  other: 'SFGP-----------',
};
const STATUS_COLOR = ['match', ['get', 'status'], 'available', '#5ee08a', 'tasked', '#ffc94d', '#a0a0a0'];

export function install(map) {
  map.addSource('assets', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'assets-symbol',
    type: 'symbol',
    source: 'assets',
    layout: {
      'icon-image': ['get', 'icon'],
      'icon-allow-overlap': true,
      'text-field': ['get', 'label'],
      'text-font': FONT,
      'text-size': 11,
      'text-anchor': 'top',
      'text-offset': [0, 1.4],
      'text-optional': true,
    },
    paint: { 'text-color': STATUS_COLOR, 'text-halo-color': '#0b1520', 'text-halo-width': 1.3 },
  });
}

/** Where an asset is: its unit's position when the page holds the unit, else its own
 * position, else its home base. */
export function assetPoint(asset, state) {
  const unit = asset.unit ? state.objects.get(asset.unit) : null;
  const point = unit?.position || asset.position || asset.home_base;
  return point ? [point.lon, point.lat] : null;
}

export function render(map, state) {
  const on = state.layers.assets;
  setVisible(map, LAYER_IDS, on);
  const points = [];
  if (on) {
    for (const asset of state.shown('asset')) {
      const point = assetPoint(asset, state);
      if (!point) continue;
      points.push({
        type: 'Feature',
        properties: {
          ...baseProperties(asset),
          status: asset.status,
          icon: unitImage(CATEGORY_SIDC[asset.category] || CATEGORY_SIDC.other),
          label: `${asset.name} · ${asset.origin}\n${t(`asset_status.${asset.status}`)}`,
        },
        geometry: { type: 'Point', coordinates: point },
      });
    }
  }
  map.getSource('assets').setData(collection(points));
}
