#!/usr/bin/python3
"""Golden values of torchvision 0.14's Mask R-CNN for the TwoStage parity test (mask_rcnn_golden.json).

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14), next to generate_faster_rcnn_golden.py
whose generator, weight ranges, images and targets it reuses:

    /usr/bin/python3 generate_mask_rcnn_golden.py

One torchvision MaskRCNN on a ResNet-18 body with an FPN (the "fpn" case of the Faster R-CNN script, same anchors,
min/max size and box head), plus the mask branch: MultiScaleRoIAlign 14x14 with sampling ratio 2, MaskRCNNHeads of
four 3x3 convolutions and MaskRCNNPredictor, narrower than torchvision's 256 channels (constructor arguments) to keep
the test fast. Weights are filled by the shared seeded generator, so none are stored.

Each target object gets a ground-truth mask: an ellipse inscribed in its box with a rectangular notch cut out of it
(so the mask is not symmetric), stored as row-major run lengths (background first).

Stored: the state-dict entries (name, shape, seed, range); in evaluation mode the detections (boxes, scores, labels),
for every detection the sum of its 28x28 mask probabilities and of its pasted probabilities, the first detections'
28x28 probabilities in full, and each pasted mask thresholded at 0.5 as run lengths; in training mode the five loss
parts (every labelled anchor and proposal sampled, so the loss is deterministic) and the gradients of probe parameters.
"""
import json
import os

import numpy as np
import torch
import torchvision
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.ops import MultiScaleRoIAlign

import generate_faster_rcnn_golden as frcnn

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
MASK_LAYERS = [32, 32, 32, 32]
MASK_CHANNELS = 32
FULL_PROBABILITY_MASKS = 3  # detections per image whose 28x28 probabilities are stored in full

GRADIENT_PROBES = {"backbone.body.conv1.weight", "backbone.fpn.inner_blocks.0.0.weight", "rpn.head.conv.0.0.weight",
                   "roi_heads.box_head.fc6.weight", "roi_heads.box_predictor.cls_score.weight",
                   "roi_heads.mask_head.0.0.weight", "roi_heads.mask_head.3.0.bias",
                   "roi_heads.mask_predictor.conv5_mask.weight", "roi_heads.mask_predictor.mask_fcn_logits.weight",
                   "roi_heads.mask_predictor.mask_fcn_logits.bias"}


def weight_range(name, shape):
    """The Faster R-CNN script's ranges; the mask logits layer gets a gain of 30, so that the masks are decisive
    (most probabilities far from the 0.5 threshold, where a rounding difference would flip a pixel)."""
    if "mask_fcn_logits.weight" in name:
        bound = (30.0 / int(np.prod(shape[1:]))) ** 0.5
        return (-bound, bound)
    return frcnn.weight_range(name, shape)


def object_mask(box, height, width):
    """An ellipse inscribed in the box, pixel centres inside, minus a notch: the box's top-right quarter of the ellipse's bounding square cut by a third."""
    x0, y0, x1, y1 = box
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    inside = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 <= 1.0
    notch = (xs > cx + rx / 3) & (ys < cy - ry / 3)
    return (inside & ~notch).astype(np.uint8)


def run_lengths(mask):
    """Row-major run lengths of a binary mask, background first."""
    flat = mask.reshape(-1).astype(np.uint8)
    runs, current, count = [], 0, 0
    for v in flat:
        if v == current:
            count += 1
        else:
            runs.append(count)
            current, count = v, 1
    runs.append(count)
    return runs


def build():
    fpn_channels = 32
    backbone = BackboneWithFPN(torchvision.models.resnet18(), {f"layer{k}": str(k - 1) for k in range(1, 5)},
                               [64, 128, 256, 512], fpn_channels)
    anchors = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    representation = 128
    model = MaskRCNN(backbone, num_classes=None, min_size=frcnn.MIN_SIZE, max_size=frcnn.MAX_SIZE,
                     rpn_anchor_generator=anchors,
                     box_roi_pool=MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2),
                     box_head=TwoMLPHead(fpn_channels * 7 * 7, representation),
                     box_predictor=FastRCNNPredictor(representation, frcnn.NUM_CLASSES),
                     mask_roi_pool=MultiScaleRoIAlign(["0", "1", "2", "3"], 14, 2),
                     mask_head=MaskRCNNHeads(fpn_channels, MASK_LAYERS, 1),
                     mask_predictor=MaskRCNNPredictor(MASK_LAYERS[-1], MASK_CHANNELS, frcnn.NUM_CLASSES))
    settings = {"fpn_channels": fpn_channels, "representation": representation,
                "anchor_sizes": [list(s) for s in anchors.sizes], "aspect_ratios": [list(r) for r in anchors.aspect_ratios],
                "mask_pooled_size": 14, "mask_sampling_ratio": 2, "mask_layers": MASK_LAYERS, "mask_channels": MASK_CHANNELS}
    return model, settings


def main():
    model, settings = build()
    entries = frcnn.fill(model, 9000, weight_range)
    images = [torch.from_numpy(frcnn.seeded_uniform(seed, 3 * h * w, 0.0, 1.0)).view(3, h, w) for h, w, seed in frcnn.IMAGES]
    masks = [np.stack([object_mask(b, h, w) for b in t["boxes"]]) for t, (h, w, _) in zip(frcnn.TARGETS, frcnn.IMAGES)]
    targets = [{"boxes": torch.tensor(t["boxes"]), "labels": torch.tensor(t["labels"], dtype=torch.int64), "masks": torch.from_numpy(m)}
               for t, m in zip(frcnn.TARGETS, masks)]

    batch, features, proposals, raw, final = frcnn.run_in_stages(model, images)
    detections = []
    for r, d in zip(raw, final):
        probabilities = r["masks"][:, 0]
        pasted = d["masks"][:, 0]
        detections.append({
            "boxes": frcnn.rounded(d["boxes"]), "scores": frcnn.rounded(d["scores"], 6), "labels": d["labels"].tolist(),
            "mask_probability_sums": [float(p.double().sum()) for p in probabilities],
            "pasted_sums": [float(p.double().sum()) for p in pasted],
            "mask_probabilities": [frcnn.rounded(p, 6) for p in probabilities[:FULL_PROBABILITY_MASKS]],
            "pasted_masks": [run_lengths((p > 0.5).numpy()) for p in pasted],
        })

    model.train()
    model.rpn.fg_bg_sampler.batch_size_per_image = 10 ** 7
    model.roi_heads.fg_bg_sampler.batch_size_per_image = 10 ** 7
    losses = model(images, targets)
    sum(losses.values()).backward()
    gradients = {name: {"sum": float(p.grad.double().sum()), "abs_sum": float(p.grad.double().abs().sum())}
                 for name, p in model.named_parameters() if name in GRADIENT_PROBES}

    golden = {
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "num_classes": frcnn.NUM_CLASSES, "min_size": frcnn.MIN_SIZE, "max_size": frcnn.MAX_SIZE,
        "images": [{"height": h, "width": w, "seed": s} for h, w, s in frcnn.IMAGES],
        "targets": [dict(t, masks=[run_lengths(m) for m in ms]) for t, ms in zip(frcnn.TARGETS, masks)],
        "settings": settings,
        "parameters": entries,
        "detections": detections,
        "losses": {k: float(v) for k, v in losses.items()},
        "gradients": gradients,
    }
    path = os.path.join(HERE, "mask_rcnn_golden.json")
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print("losses", golden["losses"])
    print("detections per image", [len(d["scores"]) for d in detections],
          "mask pixels", [[sum(r[1::2]) for r in d["pasted_masks"][:5]] for d in detections])
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
