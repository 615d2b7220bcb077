// The offline base map: land, national borders and coastlines from Natural Earth (world-atlas,
// 1:10m in and around Africa, 1:110m elsewhere), country names in the user's language
// (i18n-iso-countries), and towns and villages (web/data/places.json, from GeoNames), all
// served by the node. Labels are drawn with the machine's own fonts: the style names no glyph
// server, so MapLibre renders text locally and nothing is fetched.

import { decodeArcs, polygons, arcUsers, bbox, centroid } from './topojson.js';

/** Where the detailed (1:10m) data is used: Africa and its neighbourhood. */
const DETAIL_BOX = [-32, -40, 62, 45];
export const FONT = ['Liberation Sans', 'DejaVu Sans', 'sans-serif'];

const pick = (name) => (Array.isArray(name) ? name[0] : name);
const intersects = (a, b) => a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];

async function json(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** Loads and converts the base data: {countries, borders, coasts, labels, places, bounds}. */
export async function loadBaseData() {
  const [detail, world, codes, fr, en, places] = await Promise.all([
    json('/ui/vendor/world-atlas/countries-10m.json'),
    json('/ui/vendor/world-atlas/countries-110m.json'),
    json('/ui/vendor/i18n-iso-countries/codes.json'),
    json('/ui/vendor/i18n-iso-countries/fr.json'),
    json('/ui/vendor/i18n-iso-countries/en.json'),
    json('/ui/data/places.json'),
  ]);
  const byNumeric = new Map(codes.map(([alpha2, alpha3, numeric]) => [numeric, { alpha2, alpha3 }]));
  const countries = [];
  const borders = [];
  const coasts = [];
  const labels = [];
  const bounds = new Map(); // alpha-3 -> [w, s, e, n]

  const take = (topology, keep) => {
    const arcs = decodeArcs(topology);
    const geometries = topology.objects.countries.geometries;
    const kept = geometries.map((geometry) => {
      const polys = polygons(arcs, geometry);
      const box = bbox(polys.flatMap((poly) => poly[0] || []));
      return { geometry, polys, box, keep: keep(box) };
    });
    const users = arcUsers(geometries, arcs.length);
    kept.forEach(({ geometry, polys, box, keep: ok }) => {
      if (!ok || polys.length === 0) return;
      const code = byNumeric.get(geometry.id) || {};
      const alpha3 = code.alpha3 || '';
      countries.push({
        type: 'Feature',
        properties: { alpha3 },
        geometry: { type: 'MultiPolygon', coordinates: polys },
      });
      if (alpha3) bounds.set(alpha3, box);
      const largest = polys.map((poly) => centroid(poly[0] || [])).sort((a, b) => b.area - a.area)[0];
      if (largest && code.alpha2) {
        labels.push({
          type: 'Feature',
          properties: {
            alpha3,
            name_fr: pick(fr.countries[code.alpha2]) ?? alpha3,
            name_en: pick(en.countries[code.alpha2]) ?? alpha3,
            area: largest.area,
          },
          geometry: { type: 'Point', coordinates: largest.point },
        });
      }
    });
    users.forEach((list, idx) => {
      const shown = list.filter((g) => kept[g]?.keep);
      if (shown.length === 0) return;
      const line = { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: arcs[idx] } };
      if (list.length >= 2) borders.push(line);
      else coasts.push(line);
    });
  };
  take(detail, (box) => intersects(box, DETAIL_BOX));
  take(world, (box) => !intersects(box, DETAIL_BOX));

  const placeFeatures = places.places.map(([lon, lat, name, population, rank]) => ({
    type: 'Feature',
    properties: { name, population, rank },
    geometry: { type: 'Point', coordinates: [lon, lat] },
  }));
  const collection = (features) => ({ type: 'FeatureCollection', features });
  return {
    countries: collection(countries),
    borders: collection(borders),
    coasts: collection(coasts),
    labels: collection(labels),
    places: collection(placeFeatures),
    bounds,
  };
}

/** The base style: sea, land, the confederation's members lighter, borders, coasts, names and
 * places. `members`: alpha-3 codes. */
export function baseStyle(data, members, lang) {
  const name = ['get', `name_${lang}`];
  const placeText = ['get', 'name'];
  const placeLayer = (id, minzoom, filter, size) => ({
    id,
    type: 'symbol',
    source: 'places',
    minzoom,
    filter,
    layout: {
      'text-field': placeText,
      'text-font': FONT,
      'text-size': size,
      'text-anchor': 'left',
      'text-offset': [0.5, 0],
      'text-optional': false,
      'symbol-sort-key': ['-', 0, ['get', 'population']],
      'icon-image': 'place-dot',
      'icon-allow-overlap': false,
    },
    paint: { 'text-color': '#e8e2cf', 'text-halo-color': '#1b1d1f', 'text-halo-width': 1.4 },
  });
  return {
    version: 8,
    name: 'liptako-offline',
    sources: {
      countries: { type: 'geojson', data: data.countries, tolerance: 0.5 },
      borders: { type: 'geojson', data: data.borders, tolerance: 0.5 },
      coasts: { type: 'geojson', data: data.coasts, tolerance: 0.5 },
      'country-labels': { type: 'geojson', data: data.labels },
      places: { type: 'geojson', data: data.places },
    },
    layers: [
      { id: 'sea', type: 'background', paint: { 'background-color': '#14232f' } },
      {
        id: 'land',
        type: 'fill',
        source: 'countries',
        paint: {
          'fill-color': ['case', ['in', ['get', 'alpha3'], ['literal', members]], '#3a3a33', '#2b2c29'],
        },
      },
      { id: 'coasts', type: 'line', source: 'coasts', paint: { 'line-color': '#5b7386', 'line-width': 0.8 } },
      {
        id: 'borders',
        type: 'line',
        source: 'borders',
        paint: {
          'line-color': '#c9a66b',
          'line-width': ['interpolate', ['linear'], ['zoom'], 2, 0.6, 8, 2],
          'line-dasharray': [3, 2],
        },
      },
      {
        id: 'country-names',
        type: 'symbol',
        source: 'country-labels',
        layout: {
          'text-field': name,
          'text-font': FONT,
          'text-size': ['interpolate', ['linear'], ['zoom'], 2, 10, 6, 15],
          'text-transform': 'uppercase',
          'text-letter-spacing': 0.15,
          'symbol-sort-key': ['-', 0, ['get', 'area']],
        },
        paint: { 'text-color': '#a7a08c', 'text-halo-color': '#1b1d1f', 'text-halo-width': 1.2 },
      },
      placeLayer('places-major', 3.5, ['any', ['<=', ['get', 'rank'], 1], ['>=', ['get', 'population'], 150000]], 13),
      placeLayer('places-towns', 6, ['all', ['>', ['get', 'rank'], 1], ['<', ['get', 'population'], 150000], ['>=', ['get', 'population'], 20000]], 12),
      placeLayer('places-villages', 8, ['all', ['>', ['get', 'rank'], 1], ['<', ['get', 'population'], 20000]], 11),
    ],
  };
}

/** Switches the country names to `lang`. */
export function setBaseLanguage(map, lang) {
  if (map.getLayer('country-names')) map.setLayoutProperty('country-names', 'text-field', ['get', `name_${lang}`]);
}
