#!/usr/bin/python3
"""How much of a detector's test AP50 is lost to classification: class-aware VOC AP50, class-agnostic VOC AP50, and how
often the best-scoring detection that finds an object (IoU >= 0.5) names its class.

Usage: /usr/bin/python3 samples/data/detection/class_agnostic_ap.py GROUND_TRUTH.json DETECTIONS.json
  GROUND_TRUTH.json: COCO instances (e.g. annotations/instances_test.json of make_detection_sample.py)
  DETECTIONS.json:   the detections.json of 'deepext detect ... --image IMAGES --out DIR'
AP50 is the project's Python COCO/VOC reference (test/.../Vision/Evaluation/coco_reference.py). Class-agnostic: every
object is one category, and each image's detections are reduced to one per box (IoU 0.7 with a better one: dropped).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "test", "Microsoft.ML.DeepExtensions.Tests", "Vision", "Evaluation"))
from coco_reference import box_iou, voc_ap50  # noqa: E402


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
    for g in gt["annotations"]:
        candidates = [r for r in results if r["image_id"] == g["image_id"]]
        if not candidates:
            continue
        overlaps = box_iou([r["bbox"] for r in candidates], [g["bbox"]], [False])[:, 0]
        hits = [r for r, o in zip(candidates, overlaps) if o >= 0.5]
        if hits:
            found += 1
            right += max(hits, key=lambda r: r["score"])["category_id"] == g["category_id"]
    print(f"class-aware VOC AP50 {aware:.4f}; class-agnostic VOC AP50 {agnostic:.4f}; "
          f"objects found (IoU 0.5) {found} of {len(gt['annotations'])}, best detection's class right for {right / max(found, 1):.1%}")


if __name__ == "__main__":
    main()
