// Coordinates as operators type and read them: decimal degrees ("14.2, 0.9", "14.2 N 0.9 E")
// or MGRS ("31P BT 12345 67890"), through the pinned mgrs library.

import { forward, toPoint } from '/ui/vendor/mgrs/mgrs.esm.js';

/** Parses decimal degrees or MGRS into {lat, lon}; throws an Error whose message is a
 * catalogue key. */
export function parsePosition(text) {
  const input = text.trim().toUpperCase();
  if (!input) throw new Error('coords.error_empty');
  const decimal = input.match(/^([+-]?\d+(?:\.\d+)?)\s*([NS])?\s*[,;\s]\s*([+-]?\d+(?:\.\d+)?)\s*([EWO])?$/);
  if (decimal) {
    let lat = Number(decimal[1]);
    let lon = Number(decimal[3]);
    if (decimal[2] === 'S') lat = -lat;
    if (decimal[4] === 'W' || decimal[4] === 'O') lon = -lon;
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) throw new Error('coords.error_range');
    return { lat, lon };
  }
  if (/^\d{1,2}[C-X]/.test(input)) {
    try {
      const [lon, lat] = toPoint(input.replace(/\s+/g, ''));
      if (Number.isFinite(lat) && Number.isFinite(lon)) return { lat, lon };
    } catch {
      // fall through to the error below
    }
    throw new Error('coords.error_mgrs');
  }
  throw new Error('coords.error_format');
}

/** "14.20000, 0.90000". */
export const formatDecimal = ({ lat, lon }) => `${lat.toFixed(5)}, ${lon.toFixed(5)}`;

/** "31PBT1234567890" split for reading: "31P BT 12345 67890" (1 m), or "" out of range. */
export function formatMgrs({ lat, lon }) {
  try {
    const text = forward([lon, lat], 5);
    const match = text.match(/^(\d{1,2}[C-X])([A-Z]{2})(\d{5})(\d{5})$/);
    return match ? `${match[1]} ${match[2]} ${match[3]} ${match[4]}` : text;
  } catch {
    return '';
  }
}
