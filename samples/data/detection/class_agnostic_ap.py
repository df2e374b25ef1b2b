#!/usr/bin/python3
"""How much of a detector's test AP50 is lost to classification: class-aware VOC AP50, class-agnostic VOC AP50, and how
often the best-scoring detection that finds an object (IoU >= 0.5) names its class.

Usage: /usr/bin/python3 samples/data/detection/class_agnostic_ap.py GROUND_TRUTH.json DETECTIONS.json
  GROUND_TRUTH.json: COCO instances (e.g. annotations/instances_test.json of make_detection_sample.py)
  DETECTIONS.json:   the detections.json of 'deepext detect ... --image IMAGES --out DIR'
AP50 is the project's Python COCO/VOC reference (test/.../Vision/Evaluation/coco_reference.py). Class-agnostic: every
object is one category, and each image's detections are reduced to one per box (IoU 0.7 with a better one: dropped).
Then the found objects' class accuracy by object size and by class, and the commonest confusions.
"""
import collections
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "test", "Microsoft.ML.DeepExtensions.Tests", "Vision", "Evaluation"))
from coco_reference import box_iou, voc_ap50  # noqa: E402


SIDES = [(32, "< 32"), (48, "32-48"), (64, "48-64"), (float("inf"), ">= 64")]  # object's longer side, pixels


def main():
    gt = json.load(open(sys.argv[1]))
    image_id = {os.path.basename(i["file_name"]): i["id"] for i in gt["images"]}
    category = {c["name"]: c["id"] for c in gt["categories"]}
    results = []
    for image in json.load(open(sys.argv[2])):
        for d in image["detections"]:
            x0, y0, x1, y1 = d["box"]
            results.append({"image_id": image_id[os.path.basename(image["image"])], "category_id": category[d["label"]],
                            "bbox": [x0, y0, x1 - x0, y1 - y0], "score": d["score"]})
    aware, _ = voc_ap50(gt, results)

    one = dict(gt, categories=[{"id": 1, "name": "object"}], annotations=[dict(a, category_id=1) for a in gt["annotations"]])
    agnostic_results = []
    for img in image_id.values():
        kept = []
        for d in sorted((r for r in results if r["image_id"] == img), key=lambda r: -r["score"]):
            if not kept or box_iou([d["bbox"]], [k["bbox"] for k in kept], [False] * len(kept)).max() < 0.7:
                kept.append(d)
        agnostic_results += [dict(d, category_id=1) for d in kept]
    agnostic, _ = voc_ap50(one, agnostic_results)

    found = right = 0
    name = {c["id"]: c["name"] for c in gt["categories"]}
    by_side = collections.defaultdict(lambda: [0, 0, 0])  # objects, found, class right
    by_class = collections.defaultdict(lambda: [0, 0])    # found, class right
    confusions = collections.Counter()
    for g in gt["annotations"]:
        side = next(label for limit, label in SIDES if max(g["bbox"][2], g["bbox"][3]) < limit)
        by_side[side][0] += 1
        candidates = [r for r in results if r["image_id"] == g["image_id"]]
        if not candidates:
            continue
        overlaps = box_iou([r["bbox"] for r in candidates], [g["bbox"]], [False])[:, 0]
        hits = [r for r, o in zip(candidates, overlaps) if o >= 0.5]
        if hits:
            ok = max(hits, key=lambda r: r["score"])["category_id"] == g["category_id"]
            found += 1
            right += ok
            by_side[side][1] += 1
            by_side[side][2] += ok
            by_class[name[g["category_id"]]][0] += 1
            by_class[name[g["category_id"]]][1] += ok
            if not ok:
                confusions[(name[g["category_id"]], name[max(hits, key=lambda r: r["score"])["category_id"]])] += 1
    print(f"class-aware VOC AP50 {aware:.4f}; class-agnostic VOC AP50 {agnostic:.4f}; "
          f"objects found (IoU 0.5) {found} of {len(gt['annotations'])}, best detection's class right for {right / max(found, 1):.1%}")
    for _, label in SIDES:
        objects, hit, ok = by_side[label]
        if objects:
            print(f"  longer side {label:>7}: {objects} objects, found {hit / objects:.2f}, class right {ok / max(hit, 1):.2f}")
    for label, (hit, ok) in sorted(by_class.items()):
        print(f"  {label:12} class right {ok / hit:.2f} of {hit} found")
    print("  most confused (truth, best detection):", ", ".join(f"{t} as {p} {n}" for (t, p), n in confusions.most_common(6)))


if __name__ == "__main__":
    main()
