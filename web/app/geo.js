// Geometry the map needs: a point ahead along a bearing (course leaders, heading vectors,
// extrapolated air positions), and the flat feature properties every object layer shares.

const EARTH_RADIUS_M = 6371008.8;

/** The point `distanceM` from [lon, lat] along `bearingDeg` (great circle). */
export function destination([lon, lat], bearingDeg, distanceM) {
  const d = distanceM / EARTH_RADIUS_M;
  const b = (bearingDeg * Math.PI) / 180;
  const p1 = (lat * Math.PI) / 180;
  const l1 = (lon * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [((((l2 * 180) / Math.PI) + 540) % 360) - 180, (p2 * 180) / Math.PI];
}

/** The position of an object, [lon, lat], if it has one. */
export function objectPoint(object) {
  const point = object.location || object.position;
  return point ? [point.lon, point.lat] : null;
}

/** Properties every object feature carries: what the banner and the details panel need. */
export function baseProperties(object) {
  return {
    id: object.id,
    type: object.type,
    origin: object.origin,
    level: object.marking?.level ?? '',
    rel: (object.marking?.releasable_to || []).join(','),
  };
}

export const collection = (features) => ({ type: 'FeatureCollection', features });
export const EMPTY = collection([]);

/** Switches a list of layers on or off. */
export function setVisible(map, layerIds, visible) {
  for (const id of layerIds) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
}
