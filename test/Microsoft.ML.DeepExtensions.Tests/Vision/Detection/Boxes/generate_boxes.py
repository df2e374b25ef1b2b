#!/usr/bin/python3
"""Golden values of the box toolkit (Vision/Detection/Boxes), from torchvision 0.14.

Writes boxes_golden.json beside this script; BoxToolkitTests.cs reads it. Inputs are written too, so
both sides use the same float32 numbers. Coordinates are multiples of 1/4 (exact in float32, short in
JSON) and scores are distinct, so NMS has no ties. References:

  convert       torchvision.ops.box_convert between xyxy, xywh, cxcywh
  iou           torchvision.ops.box_iou
  nms           torchvision.ops.nms at several IoU thresholds (600 boxes: more than one 512-row block)
  batched_nms   torchvision.ops.batched_nms with 4 classes
  anchors       torchvision.models.detection.anchor_utils.AnchorGenerator (Faster R-CNN 3x3, and a
                two-level FPN setting)
  box_coder     torchvision.models.detection._utils.BoxCoder encode/decode, weights (10, 10, 5, 5)
                and (1, 1, 1, 1), with codes large enough to hit the log(1000/16) clamp

Deterministic (seeded). Rerun with Debian's PyTorch/torchvision:

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Detection/Boxes/generate_boxes.py
"""

import json
import math
import pathlib

import torch
import torchvision
from torchvision.models.detection._utils import BoxCoder
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList

torch.manual_seed(20240531)


def quarter(t):
    return (t * 4).round() / 4


def random_boxes(n, extent=200.0, max_size=60.0):
    xy = quarter(torch.rand(n, 2) * extent)
    wh = quarter(torch.rand(n, 2) * max_size + 1)
    return torch.cat([xy, xy + wh], 1).float()


def clustered_boxes(n, clusters=40):
    centers = torch.rand(clusters, 2) * 400
    pick = torch.randint(0, clusters, (n,))
    c = centers[pick] + torch.randn(n, 2) * 6
    wh = 20 + torch.rand(n, 2) * 30
    return quarter(torch.cat([c - wh / 2, c + wh / 2], 1)).float()


def floats(t):
    return t.detach().float().tolist()


def distinct_scores(n):
    return (torch.randperm(n).float() / n + 0.5 / n)


out = {}

# ---------------------------------------------------------------- convert
xyxy = random_boxes(7)
out["convert"] = {
    "xyxy": floats(xyxy),
    "xywh": floats(torchvision.ops.box_convert(xyxy, "xyxy", "xywh")),
    "cxcywh": floats(torchvision.ops.box_convert(xyxy, "xyxy", "cxcywh")),
}

# ---------------------------------------------------------------- iou
a = random_boxes(6, extent=40, max_size=30)
b = torch.cat([random_boxes(4, extent=40, max_size=30), a[:1], torch.tensor([[500.0, 500.0, 510.0, 510.0]])])
out["iou"] = {"first": floats(a), "second": floats(b), "iou": floats(torchvision.ops.box_iou(a, b))}

# ---------------------------------------------------------------- nms
boxes = clustered_boxes(600)
scores = distinct_scores(600)
out["nms"] = {
    "boxes": floats(boxes),
    "scores": floats(scores),
    "cases": [{"iou_threshold": t, "keep": torchvision.ops.nms(boxes, scores, t).tolist()} for t in (0.3, 0.5, 0.7)],
}
small = clustered_boxes(80, clusters=8)
small_scores = distinct_scores(80)
classes = torch.randint(0, 4, (80,))
out["batched_nms"] = {
    "boxes": floats(small),
    "scores": floats(small_scores),
    "classes": classes.tolist(),
    "iou_threshold": 0.5,
    "keep": torchvision.ops.batched_nms(small, small_scores, classes, 0.5).tolist(),
    "keep_agnostic": torchvision.ops.nms(small, small_scores, 0.5).tolist(),
}

# ---------------------------------------------------------------- anchors
def anchors(sizes, ratios, image_hw, feature_hws):
    generator = AnchorGenerator(sizes, ratios)
    images = ImageList(torch.zeros(1, 3, *image_hw), [image_hw])
    features = [torch.zeros(1, 1, h, w) for h, w in feature_hws]
    return {
        "sizes": [list(s) for s in sizes],
        "aspect_ratios": [list(r) for r in ratios],
        "image": list(image_hw),
        "feature_maps": [list(f) for f in feature_hws],
        "anchors_per_position": generator.num_anchors_per_location(),
        "anchors": floats(generator(images, features)[0]),
    }


out["anchors"] = [
    anchors(((128, 256, 512),), ((0.5, 1.0, 2.0),), (48, 64), [(3, 4)]),
    anchors(((32,), (64,)), ((0.5, 1.0, 2.0),) * 2, (32, 48), [(4, 6), (2, 3)]),
]

# ---------------------------------------------------------------- box coder
proposals = random_boxes(8)
targets = random_boxes(8)
codes = quarter(torch.randn(8, 8) * 2)
codes[0, 2] = 60.0   # dw / 5 = 12 > log(1000/16): clamped
codes[1, 7] = 40.0   # dh / 5 = 8 > log(1000/16): clamped
coders = []
for weights in ((10.0, 10.0, 5.0, 5.0), (1.0, 1.0, 1.0, 1.0)):
    coder = BoxCoder(weights)
    coders.append({
        "weights": list(weights),
        "encoded": floats(coder.encode_single(targets, proposals)),
        "decoded": floats(coder.decode_single(codes, proposals)),
    })
out["box_coder"] = {"proposals": floats(proposals), "targets": floats(targets), "codes": floats(codes),
                    "clip": math.log(1000.0 / 16), "coders": coders}

out["torchvision_version"] = torchvision.__version__
path = pathlib.Path(__file__).with_name("boxes_golden.json")
path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes)")
