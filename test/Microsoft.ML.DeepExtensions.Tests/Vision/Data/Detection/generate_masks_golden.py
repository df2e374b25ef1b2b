#!/usr/bin/python3
"""Golden masks for the detection loaders' mask rasterization, from two oracles:

- polygons: scikit-image's point-in-polygon test (skimage.measure.points_in_poly, python3-skimage) at every
  pixel centre (x + 0.5, y + 0.5), our convention. (OpenCV's fillPoly is no oracle for it: it also fills every pixel
  its outline touches.) The two may differ only for a centre that lies on an edge, where the rules for boundary
  points differ; the test checks that every difference is such a pixel.
- run lengths: pycocotools' mask.encode (COCO's compressed RLE strings) of random masks, so the test can decode the
  strings and compare with the masks. pycocotools is not packaged by Debian: build it from the cocoapi sources with
  Debian's cython3 (replace np.float by float in cocoeval.py; python3 setup.py build_ext --inplace) and put
  PythonAPI on PYTHONPATH.

Writes masks_golden.json beside this script. Usage:
PYTHONPATH=/path/to/cocoapi/PythonAPI /usr/bin/python3 generate_masks_golden.py
"""
import json
import os

import cv2
import numpy as np
from pycocotools import mask as coco_mask
from skimage.measure import points_in_poly

WIDTH, HEIGHT = 48, 40


def star_polygon(rng):
    n = int(rng.integers(3, 12))
    cx, cy = rng.uniform(-5, WIDTH + 5), rng.uniform(-5, HEIGHT + 5)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(2, 25, n)
    xy = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)
    if rng.random() < 0.3:
        xy = np.round(xy * 2) / 2  # vertices on pixel corners and centres: edges through centres
    return xy


def fill(xy):
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    centres = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)
    return points_in_poly(centres, xy).reshape(HEIGHT, WIDTH).astype(np.uint8)


def rows(mask):
    return ["".join(str(int(v)) for v in row) for row in mask]


def main():
    rng = np.random.default_rng(20261206)
    polygons = []
    for _ in range(40):
        xy = star_polygon(rng)
        polygons.append({"polygon": [round(float(v), 4) for v in xy.ravel()], "mask": rows(fill(xy))})
    run_lengths = []
    for _ in range(12):
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        for _ in range(int(rng.integers(0, 4))):
            x, y = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
            cv2.circle(mask, (x, y), int(rng.integers(1, 15)), 1, -1)
        encoded = coco_mask.encode(np.asfortranarray(mask))
        if not np.array_equal(coco_mask.decode(encoded), mask):
            raise SystemExit("pycocotools does not decode its own encoding")
        run_lengths.append({"size": [int(v) for v in encoded["size"]], "counts": encoded["counts"].decode("ascii"), "mask": rows(mask)})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "masks_golden.json")
    with open(out, "w") as f:
        json.dump({"width": WIDTH, "height": HEIGHT, "polygons": polygons, "run_lengths": run_lengths}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
