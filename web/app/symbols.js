// Map symbols, drawn once each in the page and handed to MapLibre as images: APP-6 /
// MIL-STD-2525 symbols by milsymbol (units by their symbol code, air tracks by identity),
// report icons by kind, and the base map's place dot. Images are made on first use (MapLibre
// asks through `styleimagemissing`), so 500 units of 6 kinds cost 6 images, not 500.

const ms = globalThis.ms;
const RATIO = Math.min(2, Math.max(1, Math.round(globalThis.devicePixelRatio || 1)));

/** Standard identity letter (2525C position 2) of an air track's identity. */
const AIR_AFFILIATION = {
  pending: 'P', unknown: 'U', assumed_friend: 'A', neutral: 'N', suspect: 'S',
};

/** The 15-character symbol code of an air track of `identity`. */
export function airSidc(identity) {
  const affiliation = AIR_AFFILIATION[identity] || 'U';
  return `S${affiliation}AP------*****`;
}

/** The image name of a unit's symbol. */
export const unitImage = (sidc) => `unit:${sidc || 'SUGP-----------'}`;
/** The image name of an air track's symbol. */
export const airImage = (identity, alarm) => `air:${identity || 'unknown'}${alarm ? ':alarm' : ''}`;
/** The image name of a report's icon. */
export const reportImage = (kind) => `report:${kind}`;

/** A milsymbol symbol drawn centred on its anchor, as image data, or null if the code is not
 * one milsymbol knows. */
function milsymbolImage(sidc, size, ring) {
  if (!ms) return null;
  const symbol = new ms.Symbol(sidc, { size: size * RATIO, standard: 'APP6' });
  if (!symbol.isValid()) return null;
  const drawn = symbol.asCanvas();
  const anchor = symbol.getAnchor();
  const half = Math.ceil(Math.max(anchor.x, drawn.width - anchor.x, anchor.y, drawn.height - anchor.y)) + (ring ? 6 * RATIO : 1);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = half * 2;
  const ctx = canvas.getContext('2d');
  if (ring) {
    ctx.beginPath();
    ctx.arc(half, half, half - 2 * RATIO, 0, Math.PI * 2);
    ctx.lineWidth = 3 * RATIO;
    ctx.strokeStyle = '#ff2d2d';
    ctx.fillStyle = 'rgba(255, 45, 45, 0.25)';
    ctx.fill();
    ctx.stroke();
  }
  ctx.drawImage(drawn, half - anchor.x, half - anchor.y);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/** The icon of a report kind: a shape and a colour of its own (no letters: they would need
 * translating). */
const REPORT_SHAPES = {
  incident: { shape: 'diamond', color: '#ff4d4d' },
  threat_warning: { shape: 'triangle', color: '#ff9f1c' },
  intelligence_summary: { shape: 'square', color: '#4da3ff' },
  spot_report: { shape: 'circle', color: '#2ec27e' },
  civilian_harm: { shape: 'cross', color: '#c061cb' },
  airspace_alert: { shape: 'star', color: '#ffd400' },
  pursuit_alert: { shape: 'star', color: '#ff6b00' },
  deconfliction_alert: { shape: 'triangle', color: '#ff2dd4' },
  protection_warning: { shape: 'cross', color: '#ffd400' },
  support_alert: { shape: 'star', color: '#4dd0e1' },
};

function shapeImage(kind) {
  const { shape, color } = REPORT_SHAPES[kind] || { shape: 'circle', color: '#cccccc' };
  const size = 22 * RATIO;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d');
  const c = size / 2;
  const r = size / 2 - 2 * RATIO;
  ctx.beginPath();
  switch (shape) {
    case 'diamond':
      ctx.moveTo(c, c - r); ctx.lineTo(c + r, c); ctx.lineTo(c, c + r); ctx.lineTo(c - r, c);
      break;
    case 'triangle':
      ctx.moveTo(c, c - r); ctx.lineTo(c + r, c + r * 0.8); ctx.lineTo(c - r, c + r * 0.8);
      break;
    case 'square':
      ctx.rect(c - r * 0.8, c - r * 0.8, r * 1.6, r * 1.6);
      break;
    case 'cross': {
      const w = r * 0.4;
      ctx.moveTo(c - w, c - r); ctx.lineTo(c + w, c - r); ctx.lineTo(c + w, c - w); ctx.lineTo(c + r, c - w);
      ctx.lineTo(c + r, c + w); ctx.lineTo(c + w, c + w); ctx.lineTo(c + w, c + r); ctx.lineTo(c - w, c + r);
      ctx.lineTo(c - w, c + w); ctx.lineTo(c - r, c + w); ctx.lineTo(c - r, c - w); ctx.lineTo(c - w, c - w);
      break;
    }
    case 'star':
      for (let i = 0; i < 10; i += 1) {
        const radius = i % 2 ? r * 0.45 : r;
        const angle = -Math.PI / 2 + (i * Math.PI) / 5;
        ctx.lineTo(c + radius * Math.cos(angle), c + radius * Math.sin(angle));
      }
      break;
    default:
      ctx.arc(c, c, r * 0.85, 0, Math.PI * 2);
  }
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 1.5 * RATIO;
  ctx.strokeStyle = '#101010';
  ctx.stroke();
  return ctx.getImageData(0, 0, size, size);
}

function dotImage() {
  const size = 8 * RATIO;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.beginPath();
  ctx.arc(size / 2, size / 2, size / 2 - RATIO, 0, Math.PI * 2);
  ctx.fillStyle = '#e8e2cf';
  ctx.fill();
  ctx.lineWidth = RATIO;
  ctx.strokeStyle = '#1b1d1f';
  ctx.stroke();
  return ctx.getImageData(0, 0, size, size);
}

/** The image for `name`, or null for a name this module does not make. */
export function makeImage(name) {
  const [family, key, variant] = name.split(':');
  switch (family) {
    case 'unit':
      return milsymbolImage(key, 26, false) || milsymbolImage('SUGP-----------', 26, false);
    case 'air':
      return milsymbolImage(airSidc(key), 18, variant === 'alarm');
    case 'report':
      return shapeImage(key);
    case 'place-dot':
      return dotImage();
    default:
      return null;
  }
}

/** Adds images on demand (MapLibre awaits the resolver before drawing): every symbol is drawn
 * once per page. */
export function installImages(map) {
  map.setMissingStyleImageResolver((id) => {
    if (map.hasImage(id)) return;
    const image = makeImage(id);
    if (image) map.addImage(id, image, { pixelRatio: RATIO });
  });
}

/** A symbol as a data URL, for panels (details, legend). */
export function symbolDataUrl(name) {
  const image = makeImage(name);
  if (!image) return '';
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d').putImageData(image, 0, 0);
  return canvas.toDataURL();
}
