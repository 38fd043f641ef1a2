"""Lanes bench helper: generate a ~1 km² polygon with holes, and the shapely peer.

  python3 bench/lanes_peer.py generate OUT.geojson [--seed S]
  python3 bench/lanes_peer.py shapely IN.geojson --width W --heading DEG

The peer does what `demine lanes --heading DEG` does for one heading: project to a local
azimuthal equidistant plane (pyproj), cut strips of width W across the heading, clip each
strip to the polygon (shapely/GEOS), count the pieces (lanes) and their area. It prints JSON.
"""
import json, math, random, sys, time


def generate(out, seed):
    rng = random.Random(seed)
    lon0, lat0 = 36.2, 50.0
    dlat = 1000.0 / 111_229.0  # ~1 km north-south
    dlon = 1000.0 / (111_319.5 * math.cos(math.radians(lat0)))
    # A 1 km × 1 km field with a wobbly edge (40 vertices a side) and 6 holes (ponds, ruins).
    ring = []
    for side in range(4):
        for i in range(40):
            t = i / 40
            x, y = [(t, 0), (1, t), (1 - t, 1), (0, 1 - t)][side]
            j = 0.004 * rng.uniform(-1, 1)
            if side in (0, 2):
                y += j
            else:
                x += j
            ring.append([lon0 + x * dlon, lat0 + y * dlat])
    ring.append(ring[0])
    holes = []
    for k in range(6):
        cx, cy = 0.15 + 0.7 * rng.random(), 0.15 + 0.7 * rng.random()
        r = 0.02 + 0.04 * rng.random()
        if any(math.hypot(cx - hx, cy - hy) < 0.15 for hx, hy, _ in holes):
            continue
        holes.append((cx, cy, r))
    hole_rings = []
    for cx, cy, r in holes:
        h = []
        for i in range(32):
            a = -2 * math.pi * i / 32  # clockwise
            rr = r * (1 + 0.2 * math.sin(3 * a))
            h.append([lon0 + (cx + rr * math.cos(a)) * dlon, lat0 + (cy + rr * math.sin(a)) * dlat])
        h.append(h[0])
        hole_rings.append(h)
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "BENCH-1", "synthetic": True},
          "geometry": {"type": "Polygon", "coordinates": [ring] + hole_rings}}]}
    with open(out, "w") as f:
        json.dump(fc, f)


def peer(path, width, heading):
    import numpy as np
    import shapely
    from pyproj import Transformer
    from shapely import affinity
    from shapely.geometry import box, shape
    t0 = time.perf_counter()
    g = shape(json.load(open(path))["features"][0]["geometry"])
    c = g.envelope.centroid
    tr = Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +ellps=WGS84", always_xy=True)
    site = shapely.transform(g, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    # Turn the plane so lanes run along +y; strips are then vertical.
    st = affinity.rotate(site, heading, origin=(0, 0))
    minx, miny, maxx, maxy = st.bounds
    k = max(1, math.ceil((maxx - minx) / width - 0.005))
    lanes, area = 0, 0.0
    for i in range(k):
        x0 = minx + i * width
        x1 = maxx + 1e-9 if i == k - 1 else x0 + width
        piece = st.intersection(box(x0, miny - 1, x1, maxy + 1))
        parts = getattr(piece, "geoms", [piece])
        for p in parts:
            if p.area > 1e-6:
                lanes += 1
                area += p.area
    t1 = time.perf_counter()
    print(json.dumps({"lanes": lanes, "covered_area_m2": area, "site_area_m2": site.area, "seconds": t1 - t0}))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
        generate(sys.argv[2], seed)
    else:
        w = float(sys.argv[sys.argv.index("--width") + 1])
        h = float(sys.argv[sys.argv.index("--heading") + 1])
        peer(sys.argv[2], w, h)
