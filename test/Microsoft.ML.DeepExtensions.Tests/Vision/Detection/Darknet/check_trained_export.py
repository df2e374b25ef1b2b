#!/usr/bin/python3
"""Checks a trained model's Darknet export against Darknet itself (Debian's libdarknet.so): same boxes, classes, scores.

Manual check, not a test (it needs a trained model). Steps:
  deepext train --task object-detection --data DATA --out model.zip
  deepext export --model model.zip --out model.cfg                     (writes model.cfg, model.weights, model.names)
  /usr/bin/python3 check_trained_export.py --cfg model.cfg --images DIR --work OUT [--model model.zip] [--deepext 'dotnet deepext.dll']

The images are first written as PNG at the network's input size (OpenCV INTER_AREA), so that neither JPEG decoding nor
resizing differ between the two sides: both then see the same bytes and letterboxing is the identity. Darknet runs
network_predict, get_network_boxes (the cfg's thresholds: --confidence, hier 0.5) and do_nms_sort (--iou); ours runs
'deepext detect --cfg model.cfg --weights model.weights' (and, with --model, 'deepext detect --model model.zip': the
model.zip itself). Each Darknet detection (a class whose probability is above the threshold) is matched to ours of the
same class by IoU; the script prints counts, unmatched detections and the largest box (pixels) and score differences,
and exits non-zero when they are not equal within --tolerance.
"""
import argparse
import ctypes
import glob
import json
import os
import shlex
import subprocess
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate_darknet_golden import Darknet  # noqa: E402  (the ctypes binding of libdarknet the golden tests use)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def cfg_value(text, key):
    return [line for line in text.split("\n") if line.replace(" ", "").startswith(key + "=")][0].split("=")[1].strip()


def darknet_detections(darknet, cfg, weights, images, size, confidence, nms):
    net = darknet.parse(cfg)
    darknet.lib.set_batch_network(net, 1)
    darknet.lib.load_weights(net, weights.encode())
    result = {}
    for path in images:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        data = (bgr[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / np.float32(255)).ravel()
        darknet.lib.network_predict(net, data.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        num = ctypes.c_int(0)
        dets = darknet.lib.get_network_boxes(net, size, size, confidence, 0.5, None, 1, ctypes.byref(num))
        found = []
        if num.value:
            classes = dets[0].classes
            darknet.lib.do_nms_sort(dets, num.value, classes, nms)
            for k in range(num.value):
                b = dets[k].bbox
                box = [(b.x - b.w / 2) * size, (b.y - b.h / 2) * size, (b.x + b.w / 2) * size, (b.y + b.h / 2) * size]
                box = [min(max(v, 0.0), size) for v in box]
                for c in range(classes):
                    if dets[k].prob[c] > confidence:
                        found.append((c, float(dets[k].prob[c]), box))
        darknet.lib.free_detections(dets, num.value)
        result[os.path.basename(path)] = found
    darknet.lib.free_network(net)
    return result


def our_detections(command, out, names):
    subprocess.check_call(command + ["--out", out, "--force"], stdout=subprocess.DEVNULL)
    result = {}
    for image in json.load(open(os.path.join(out, "detections.json"))):
        result[os.path.basename(image["image"])] = [(names.index(d["label"]), d["score"], d["box"]) for d in image["detections"]]
    return result


def compare(name, reference, ours, tolerance):
    matched = missing = extra = 0
    worst_box = worst_score = 0.0
    for image, expected in reference.items():
        mine = list(ours.get(image, []))
        for c, score, box in sorted(expected, key=lambda d: -d[1]):
            # The closest detection of the class (boxes and score), among those overlapping by IoU 0.5: two overlapping
            # boxes of one class may both survive NMS, so the best IoU alone can pick the wrong partner.
            candidates = [(max(abs(x - y) for x, y in zip(box, m[2])) + abs(score - m[1]), i)
                          for i, m in enumerate(mine) if m[0] == c and iou(box, m[2]) >= 0.5]
            if not candidates:
                missing += 1
                continue
            m = mine.pop(min(candidates)[1])
            matched += 1
            worst_box = max(worst_box, max(abs(x - y) for x, y in zip(box, m[2])))
            worst_score = max(worst_score, abs(score - m[1]))
        extra += len(mine)
    ok = missing == 0 and extra == 0 and worst_box <= tolerance and worst_score <= tolerance
    print(f"{name}: {matched} detections matched, {missing} only in Darknet, {extra} only in ours; "
          f"largest box difference {worst_box:.2e} px, largest score difference {worst_score:.2e} -> {'EQUAL' if ok else 'DIFFERENT'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cfg", required=True, help="the exported cfg; its .weights and .names sit beside it")
    parser.add_argument("--images", required=True, help="a folder of images")
    parser.add_argument("--work", required=True, help="a folder for the PNG copies and our detections")
    parser.add_argument("--model", help="also compare the model.zip the cfg was exported from")
    parser.add_argument("--deepext", default="dotnet run -c Release --project samples/DeepExtensions.Cli --",
                        help="how to run deepext (default: %(default)s)")
    parser.add_argument("--confidence", type=float, default=0.05, help="detection threshold (default: the trainer's 0.05)")
    parser.add_argument("--iou", type=float, default=0.45, help="NMS IoU threshold (default: the trainer's 0.45)")
    parser.add_argument("--limit", type=int, default=100, help="images compared (default: 100)")
    parser.add_argument("--tolerance", type=float, default=1e-3, help="largest box (pixels) and score difference (default: 1e-3)")
    args = parser.parse_args()

    stem = os.path.splitext(args.cfg)[0]
    weights, names_file = stem + ".weights", stem + ".names"
    names = [line.strip() for line in open(names_file) if line.strip()]
    text = open(args.cfg).read()
    size = int(cfg_value(text, "width"))
    if int(cfg_value(text, "height")) != size:
        raise SystemExit(f"{args.cfg}: expected a square input, got {size}x{cfg_value(text, 'height')}")

    pngs = os.path.join(args.work, "images")
    os.makedirs(pngs, exist_ok=True)
    sources = sorted(p for p in glob.glob(os.path.join(args.images, "*")) if p.lower().endswith((".jpg", ".jpeg", ".png", ".bmp")))
    if not sources:
        raise SystemExit(f"--images '{args.images}' holds no image")
    images = []
    for path in sources[:args.limit]:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        target = os.path.join(pngs, os.path.splitext(os.path.basename(path))[0] + ".png")
        cv2.imwrite(target, cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA))
        images.append(target)

    reference = darknet_detections(Darknet(), args.cfg, weights, images, size, args.confidence, args.iou)
    total = sum(len(v) for v in reference.values())
    print(f"Darknet: {total} detections on {len(images)} images at threshold {args.confidence}, NMS {args.iou}")
    deepext = shlex.split(args.deepext)
    ok = compare("deepext detect --cfg --weights", reference, our_detections(
        deepext + ["detect", "--cfg", args.cfg, "--weights", weights, "--classes", names_file, "--image", pngs,
                   "--confidence", str(args.confidence), "--iou", str(args.iou)], os.path.join(args.work, "cfg"), names), args.tolerance)
    if args.model:
        ok &= compare("deepext detect --model model.zip", reference, our_detections(
            deepext + ["detect", "--model", args.model, "--image", pngs], os.path.join(args.work, "zip"), names), args.tolerance)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
