// A small TopoJSON reader for the Natural Earth files of world-atlas: quantized arcs to
// coordinates, polygons to GeoJSON, and the borders between countries as lines (an arc used by
// two countries is a border, one used by one country a coastline).

/** The arcs of a topology as arrays of [lon, lat]. */
export function decodeArcs(topology) {
  const { scale = [1, 1], translate = [0, 0] } = topology.transform || {};
  return topology.arcs.map((arc) => {
    let x = 0;
    let y = 0;
    return arc.map(([dx, dy]) => {
      x += dx;
      y += dy;
      return [x * scale[0] + translate[0], y * scale[1] + translate[1]];
    });
  });
}

const arcIndex = (ref) => (ref < 0 ? ~ref : ref);

function ring(arcs, refs) {
  const points = [];
  for (const ref of refs) {
    const arc = arcs[arcIndex(ref)] || [];
    const ordered = ref < 0 ? [...arc].reverse() : arc;
    points.push(...(points.length ? ordered.slice(1) : ordered));
  }
  return points;
}

/** The polygons of one geometry (Polygon or MultiPolygon), as arrays of rings. */
export function polygons(arcs, geometry) {
  if (geometry.type === 'Polygon') return [geometry.arcs.map((refs) => ring(arcs, refs))];
  if (geometry.type === 'MultiPolygon') return geometry.arcs.map((poly) => poly.map((refs) => ring(arcs, refs)));
  return [];
}

/** Each arc's referencing geometries (indices into `geometries`). */
export function arcUsers(geometries, nArcs) {
  const users = Array.from({ length: nArcs }, () => []);
  geometries.forEach((geometry, idx) => {
    const walk = (value) => {
      if (typeof value === 'number') {
        const list = users[arcIndex(value)];
        if (list && list[list.length - 1] !== idx) list.push(idx);
      } else if (Array.isArray(value)) value.forEach(walk);
    };
    walk(geometry.arcs || []);
  });
  return users;
}

/** The bounding box [west, south, east, north] of a list of points. */
export function bbox(points) {
  let box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    box = [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)];
  }
  return box;
}

/** The area-weighted centroid of a ring (a label point inside any not too concave shape), and
 * its area in square degrees. */
export function centroid(points) {
  let area = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i, i += 1) {
    const [x0, y0] = points[j];
    const [x1, y1] = points[i];
    const cross = x0 * y1 - x1 * y0;
    area += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  if (Math.abs(area) < 1e-12) return { point: points[0] || [0, 0], area: 0 };
  return { point: [cx / (3 * area), cy / (3 * area)], area: Math.abs(area / 2) };
}
