#!/usr/bin/python3
"""Golden values for COCO segmentation metrics and mask encodings, from the real pycocotools.

pycocotools is not packaged by Debian; build it from cocodataset/cocoapi (commit 8c9bcc3, the search tool's fetch
of github:cocodataset/cocoapi) with Debian's cython3 and python3-dev:

    apt-get install -y cython3 python3-dev
    mkdir -p /tmp/cocoapi && git -C <mirror of cocoapi> archive HEAD PythonAPI common | tar -x -C /tmp/cocoapi
    cd /tmp/cocoapi/PythonAPI
    sed -i 's/np\\.float)/float)/g; s/np\\.float\\b/float/g' pycocotools/cocoeval.py   # NumPy 1.24 removed np.float
    /usr/bin/python3 setup.py build_ext --inplace

then run, from the repository root:

    PYTHONPATH=/tmp/cocoapi/PythonAPI /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Evaluation/generate_segmentation_golden.py

It writes segmentation_golden.json beside this file (the tests read only that file):
  polygons:  random polygons (convex and not, partly outside the image, negative and fractional coordinates) and
             their masks by pycocotools' frPyObjects + merge (annToRLE's path for polygon ground truth), as
             uncompressed counts, and the compressed string of each mask (rleToString);
  cases:     randomized ground truth / results pairs, written as COCO files would hold them (ground truth as
             polygons, uncompressed RLE for crowd regions, compressed RLE; results as compressed RLE), with the
             12 numbers of COCOeval(gt, dt, "segm").summarize(): overlapping predictions, crowd RLE regions, images
             without ground truth or without predictions, several categories, all three area ranges.
"""

import contextlib
import io
import json
import pathlib

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

HERE = pathlib.Path(__file__).resolve().parent


def random_polygon(rng, w, h):
    """A star-shaped polygon around a random centre, sometimes reaching out of the image."""
    cx, cy = rng.uniform(-0.1 * w, 1.1 * w), rng.uniform(-0.1 * h, 1.1 * h)
    n = int(rng.integers(3, 12))
    radius = rng.uniform(3, 0.5 * min(w, h))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = radius * rng.uniform(0.3, 1.0, n)
    xy = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
    if rng.random() < 0.3:
        xy = np.round(xy)          # integer vertices as many annotation tools write them
    return [float(round(v, 2)) for v in xy.flatten()]


def counts_of(rle):
    """Uncompressed counts of an RLE from pycocotools (decode + re-encode column-major)."""
    m = mask_utils.decode(rle)
    flat = m.flatten(order="F")
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            run, current = 0, v
        run += 1
    counts.append(run)
    return counts


def polygon_cases(rng):
    cases = []
    for i in range(40):
        w, h = int(rng.integers(5, 60)), int(rng.integers(5, 60))
        polygons = [random_polygon(rng, w, h) for _ in range(int(rng.integers(1, 3)))]
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, h, w))
        cases.append({"width": w, "height": h, "polygons": polygons, "counts": counts_of(rle),
                      "compressed": rle["counts"].decode("ascii"), "area": int(mask_utils.area(rle))})
    return cases


def blob(rng, w, h, scale):
    """A random filled blob mask (union of ellipses) in a w x h image."""
    yy, xx = np.mgrid[0:h, 0:w]
    m = np.zeros((h, w), dtype=np.uint8)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    for _ in range(int(rng.integers(1, 4))):
        ax, ay = rng.uniform(2, scale), rng.uniform(2, scale)
        ox, oy = cx + rng.normal(0, scale / 3), cy + rng.normal(0, scale / 3)
        m |= (((xx - ox) / ax) ** 2 + ((yy - oy) / ay) ** 2 <= 1).astype(np.uint8)
    return m


def encode(m):
    rle = mask_utils.encode(np.asfortranarray(m))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def perturb(rng, m):
    """A prediction near a ground-truth mask: shifted, grown or shrunk a little."""
    dy, dx = rng.integers(-3, 4, 2)
    p = np.roll(np.roll(m, int(dy), 0), int(dx), 1)
    if rng.random() < 0.5:
        grow = np.zeros_like(p)
        grow[1:, :] |= p[:-1, :]
        grow[:, 1:] |= p[:, :-1]
        p = p | grow if rng.random() < 0.5 else p & np.roll(p, 1, 0) & np.roll(p, 1, 1)
    return p


def evaluation_case(rng, name):
    categories = [{"id": c, "name": n} for c, n in zip((1, 3, 7), ("cat", "dog", "kite"))][:int(rng.integers(2, 4))]
    images, annotations, results = [], [], []
    for image_id in range(1, int(rng.integers(4, 7)) + 1):
        w, h = int(rng.integers(120, 320)), int(rng.integers(100, 260))
        images.append({"id": image_id, "width": w, "height": h, "file_name": f"{image_id}.png"})
        kind = rng.random()
        n_gt = 0 if kind < 0.15 else int(rng.integers(1, 6))
        truth_masks = []
        for _ in range(n_gt):
            category = int(rng.choice([c["id"] for c in categories]))
            style = rng.random()
            if style < 0.5:
                polygons = [random_polygon(rng, w, h)]
                rle = mask_utils.merge(mask_utils.frPyObjects(polygons, h, w))
                segmentation, crowd = polygons, 0
            elif style < 0.75:
                m = blob(rng, w, h, rng.choice([6, 20, 60, 110]))
                rle = mask_utils.encode(np.asfortranarray(m))
                segmentation, crowd = encode(m), 0
            else:
                m = blob(rng, w, h, rng.choice([20, 60, 100]))
                rle = mask_utils.encode(np.asfortranarray(m))
                segmentation, crowd = {"size": [h, w], "counts": counts_of(rle)}, 1
            area = float(mask_utils.area(rle))
            if area == 0:
                continue
            bbox = [float(v) for v in mask_utils.toBbox(rle)]
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category,
                                "segmentation": segmentation, "area": area, "bbox": bbox, "iscrowd": crowd})
            truth_masks.append((category, mask_utils.decode(rle)))
        if kind > 0.9:
            continue       # an image without predictions
        for category, m in truth_masks:
            for _ in range(int(rng.integers(0, 3))):     # 0, 1 or 2 (overlapping) predictions per object
                p = perturb(rng, m)
                if p.sum() == 0:
                    continue
                results.append({"image_id": image_id, "category_id": category if rng.random() < 0.85 else int(rng.choice([c["id"] for c in categories])),
                                "segmentation": encode(p), "score": float(round(rng.random(), 4))})
        for _ in range(int(rng.integers(0, 4))):         # false positives
            m = blob(rng, w, h, rng.choice([5, 15, 40]))
            if m.sum() == 0:
                continue
            results.append({"image_id": image_id, "category_id": int(rng.choice([c["id"] for c in categories])),
                            "segmentation": encode(m), "score": float(round(rng.random(), 4))})
    ground_truth = {"images": images, "annotations": annotations, "categories": categories}
    stats = evaluate(ground_truth, results)
    return {"name": name, "groundTruth": ground_truth, "results": results, "stats": stats}


def evaluate(ground_truth, results):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = json.loads(json.dumps(ground_truth))
        gt.createIndex()
        dt = gt.loadRes(json.loads(json.dumps(results))) if results else COCO()
        evaluator = COCOeval(gt, dt, "segm")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return [float(v) for v in evaluator.stats]


def main():
    rng = np.random.default_rng(13)
    golden = {"polygons": polygon_cases(rng), "cases": [evaluation_case(rng, f"random-{i}") for i in range(8)]}
    out = HERE / "segmentation_golden.json"
    out.write_text(json.dumps(golden, separators=(",", ":")) + "\n")
    for case in golden["cases"]:
        print(case["name"], len(case["groundTruth"]["annotations"]), "annotations", len(case["results"]), "results",
              " ".join(f"{v:.4f}" for v in case["stats"]))
    print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
