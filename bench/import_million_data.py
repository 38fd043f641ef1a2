"""SYNTHETIC data for bench/import_million.sh: hazards and finds inside them, seeded.

    python3 bench/import_million_data.py OUT_DIR N_FINDS N_HAZARDS SEED

Writes OUT_DIR/hazards.geojson (squares of 200-600 m over ~1 degree of eastern Ukraine) and
OUT_DIR/finds.geojson (N_FINDS points, each inside the hazard it names, with id, date,
category, hazard_id, depth_cm, condition and note). Every record says SYNTHETIC. Standard
library only; the same seed gives the same files, byte for byte.
"""

import json
import random
import sys

out, n_finds, n_hazards, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
CATEGORIES = ["AP_mine", "AT_mine", "UXO", "AXO", "IED", "submunition", "other"]
CONDITIONS = ["intact", "damaged", "armed", "unknown"]

hazards = []
with open(f"{out}/hazards.geojson", "w") as f:
    f.write('{"type":"FeatureCollection","name":"SYNTHETIC hazards","features":[\n')
    for i in range(n_hazards):
        x = 36.0 + rng.random() * 1.0
        y = 49.5 + rng.random() * 0.8
        w = (200 + rng.random() * 400) / 71000.0  # metres to degrees of longitude at ~50 N
        h = (200 + rng.random() * 400) / 111000.0
        hazards.append((f"SYN-H{i + 1:05d}", x, y, w, h))
        ring = [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]
        feature = {
            "type": "Feature",
            "properties": {
                "id": f"SYN-H{i + 1:05d}",
                "class": "CHA" if rng.random() < 0.6 else "SHA",
                "name": f"SYNTHETIC hazard {i + 1}",
                "recorded_date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            },
            "geometry": {"type": "Polygon", "coordinates": [[[round(a, 7), round(b, 7)] for a, b in ring]]},
        }
        f.write(("," if i else "") + json.dumps(feature, separators=(",", ":")) + "\n")
    f.write("]}\n")

with open(f"{out}/finds.geojson", "w") as f:
    f.write('{"type":"FeatureCollection","name":"SYNTHETIC finds","features":[\n')
    for i in range(n_finds):
        hid, x, y, w, h = hazards[rng.randrange(n_hazards)]
        # Inside the square, clear of its edges.
        px = round(x + w * (0.02 + 0.96 * rng.random()), 7)
        py = round(y + h * (0.02 + 0.96 * rng.random()), 7)
        feature = {
            "type": "Feature",
            "properties": {
                "id": f"SYN-F{i + 1:07d}",
                "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "category": rng.choice(CATEGORIES),
                "hazard_id": hid,
                "depth_cm": rng.randint(0, 40),
                "condition": rng.choice(CONDITIONS),
                "note": "SYNTHETIC",
            },
            "geometry": {"type": "Point", "coordinates": [px, py]},
        }
        f.write(("," if i else "") + json.dumps(feature, separators=(",", ":")) + "\n")
    f.write("]}\n")
