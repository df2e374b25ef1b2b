#!/usr/bin/python3
"""The torchvision peer of `deepext train --task object-detection --arch faster-rcnn|mask-rcnn` (issue 10).

Issue 10 compares the project's Faster R-CNN and Mask R-CNN with torchvision's, trained from random weights "with the
same settings and epochs" by Debian's PyTorch: test AP50 (MaskAP50) per epoch, and training images per second. This
script is that peer, with the project's defaults spelled out:
  - ResNet-18 with a feature pyramid over layer1-4 (256 channels, torchvision's extra max-pooled level), plain batch norm
    (the project trains its batch norm; torchvision's resnet_fpn_backbone would freeze it), random weights;
  - anchors 32, 64, 128, 256, 512 (one size per level, ratios 0.5, 1, 2), RoIAlign 7x7 with sampling ratio 2, the
    two-layer 1024-wide box head, torchvision's RPN and RoI-head numbers (256 anchors and 512 proposals per image,
    2000 proposals kept in training), for Mask R-CNN the four 256-channel mask convolutions and 28x28 masks;
  - images at their own 160x160 (min and max size 160), ImageNet mean and deviation;
  - SGD, learning rate 0.01, momentum 0.9, weight decay 1e-4, a cosine schedule over the epochs stepped per epoch
    (the project's CosineSchedule), gradients clipped to norm 10, batches of 4, no augmentation, shuffled with --seed.
The project's side of the comparison: `deepext train --task object-detection --arch faster-rcnn --data DIR/data.yaml
--validation DIR/annotations/instances_test.json --epochs 6 --no-augment --out frcnn.zip` (mask-rcnn likewise), whose
epoch lines print the validation AP50 and AP.

After every epoch the test images are detected in evaluation mode and written as COCO results
(OUT/epochN.json; with --masks each detection carries its mask as uncompressed RLE), and `deepext evaluate` scores them
with the same COCO evaluator as the project's trainer (--task detection, and segmentation with --masks). One line per
epoch: loss with its parts (torchvision's names), training images/s, AP50, AP (MaskAP50, MaskAP).

--speed-steps N only times N training steps after two warm-up steps and prints images/s (no evaluation).

Usage (Debian's python3-torch, python3-torchvision, python3-opencv; libopenblas0-pthread for a fair speed):
  /usr/bin/python3 samples/data/detection/train_torchvision_rcnn_peer.py --data samples/data/detection-sample
      [--masks] [--epochs 6] [--out DIR] [--deepext "dotnet run -c Release --project samples/DeepExtensions.Cli --"]
      [--threads 2] [--seed 1] [--speed-steps N] [--body-init torchvision|pytorch]
where --data holds annotations/instances_{train,test}.json and images/ as make_detection_sample.py writes them.
"""
import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.detection import FasterRCNN, MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.ops import MultiScaleRoIAlign

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_detection_sample import rasterize  # noqa: E402  (the generator's "pixel centre inside a polygon" rule)

SIZE = 160
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def polygons_to_mask(polygons, height, width):
    """A COCO polygon list as a 0/1 mask, with the data set generator's own rasterizer (a pixel belongs to the object when
    its centre lies inside a polygon)."""
    return rasterize([np.array(p, np.float64).reshape(-1, 2) for p in polygons], (height, width)).astype(np.uint8)


def load_split(folder, split, masks):
    with open(os.path.join(folder, "annotations", f"instances_{split}.json")) as f:
        coco = json.load(f)
    by_image = {image["id"]: [] for image in coco["images"]}
    for a in coco["annotations"]:
        by_image[a["image_id"]].append(a)
    categories = sorted(c["id"] for c in coco["categories"])
    label_of = {c: i + 1 for i, c in enumerate(categories)}  # 0 is the background, as torchvision wants
    samples = []
    for image in coco["images"]:
        pixels = cv2.imread(os.path.join(folder, "images", image["file_name"]))[:, :, ::-1]
        tensor = torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1))).float() / 255
        objects = by_image[image["id"]]
        target = {
            "boxes": torch.tensor([[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                                   for a in objects], dtype=torch.float32).reshape(-1, 4),
            "labels": torch.tensor([label_of[a["category_id"]] for a in objects], dtype=torch.int64),
        }
        if masks:
            h, w = pixels.shape[:2]
            target["masks"] = torch.from_numpy(np.stack([polygons_to_mask(a["segmentation"], h, w) for a in objects])
                                               if objects else np.zeros((0, h, w), np.uint8))
        samples.append((image["id"], tensor, target))
    return samples, categories


def build(num_classes, masks, body_init="torchvision"):
    resnet = torchvision.models.resnet18()
    if body_init == "pytorch":
        # The project's ResNet keeps nn.Conv2d's own initialization; torchvision's resnet18() re-draws its convolutions
        # He-normal over fan-out. This puts the layer defaults back, to test whether that difference explains the gap.
        for module in resnet.modules():
            if isinstance(module, nn.Conv2d):
                module.reset_parameters()
    backbone = BackboneWithFPN(resnet, {f"layer{k}": str(k - 1) for k in range(1, 5)}, [64, 128, 256, 512], 256)
    anchors = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    common = dict(num_classes=num_classes, min_size=SIZE, max_size=SIZE, image_mean=MEAN, image_std=STD,
                  rpn_anchor_generator=anchors, box_roi_pool=MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2))
    if masks:
        return MaskRCNN(backbone, mask_roi_pool=MultiScaleRoIAlign(["0", "1", "2", "3"], 14, 2), **common)
    return FasterRCNN(backbone, **common)


def rle(mask):
    """Uncompressed COCO RLE of a 0/1 mask: run lengths in column-major order, zeros first."""
    flat = mask.flatten(order="F").astype(np.uint8)
    bounds = np.concatenate([[0], np.flatnonzero(flat[1:] != flat[:-1]) + 1, [flat.size]])
    runs = np.diff(bounds)
    if flat.size and flat[0] == 1:
        runs = np.concatenate([[0], runs])
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": [int(c) for c in runs]}


def detect(model, samples, categories, masks, batch_size):
    model.eval()
    results = []
    with torch.no_grad():
        for start in range(0, len(samples), batch_size):
            chunk = samples[start:start + batch_size]
            outputs = model([s[1] for s in chunk])
            for (image_id, _, _), out in zip(chunk, outputs):
                for k in range(len(out["scores"])):
                    x0, y0, x1, y1 = out["boxes"][k].tolist()
                    r = {"image_id": image_id, "category_id": categories[int(out["labels"][k]) - 1],
                         "bbox": [x0, y0, x1 - x0, y1 - y0], "score": float(out["scores"][k])}
                    if masks:
                        r["segmentation"] = rle((out["masks"][k, 0] > 0.5).numpy())
                    results.append(r)
    return results


def evaluate(deepext, ground_truth, predictions, task):
    command = shlex.split(deepext) + ["evaluate", "--task", task, "--ground-truth", ground_truth, "--predictions", predictions]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()
    return json.loads(output[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--masks", action="store_true", help="Mask R-CNN (default: Faster R-CNN)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--out", default="torchvision-rcnn-peer")
    parser.add_argument("--deepext", default="dotnet run -c Release --project samples/DeepExtensions.Cli --")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--speed-steps", type=int, default=0)
    parser.add_argument("--body-init", choices=["torchvision", "pytorch"], default="torchvision",
                        help="the ResNet's convolution initialization: torchvision's (He-normal, fan-out; the default) "
                             "or nn.Conv2d's own, which the project's ResNet keeps")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train, categories = load_split(args.data, "train", args.masks)
    test, _ = load_split(args.data, "test", False)
    model = build(len(categories) + 1, args.masks, args.body_init)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    name = "mask-rcnn" if args.masks else "faster-rcnn"
    print(f"torchvision {torchvision.__version__} {name} resnet18 fpn ({args.body_init} init): {len(train)} training images, {len(test)} test, "
          f"batches of {args.batch_size}, {torch.get_num_threads()} threads", flush=True)

    parts = {}  # each loss part's sum over the epoch's steps, printed beside the total as the project's epoch lines do

    def step(batch):
        losses = model([s[1] for s in batch], [s[2] for s in batch])
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        optimizer.step()
        for name, value in losses.items():
            parts[name] = parts.get(name, 0.0) + float(value)
        return float(total)

    generator = np.random.default_rng(args.seed)
    if args.speed_steps:
        model.train()
        order = generator.permutation(len(train))
        batches = [[train[i] for i in order[k:k + args.batch_size]] for k in range(0, len(order), args.batch_size)]
        for b in batches[:2]:
            step(b)
        start = time.perf_counter()
        for b in batches[2:2 + args.speed_steps]:
            step(b)
        seconds = time.perf_counter() - start
        print(json.dumps({"peer": name, "steps": args.speed_steps, "imagesPerSecond": round(args.speed_steps * args.batch_size / seconds, 3)}))
        return

    os.makedirs(args.out, exist_ok=True)
    ground_truth = os.path.join(args.data, "annotations", "instances_test.json")
    for epoch in range(args.epochs):
        for group in optimizer.param_groups:  # cosine over the epochs, stepped per epoch (CosineAnnealingLR's closed form)
            group["lr"] = 0.01 * (1 + math.cos(math.pi * epoch / args.epochs)) / 2
        model.train()
        order = generator.permutation(len(train))
        start, total, steps = time.perf_counter(), 0.0, 0
        parts.clear()
        for k in range(0, len(order), args.batch_size):
            total += step([train[i] for i in order[k:k + args.batch_size]])
            steps += 1
        rate = len(train) / (time.perf_counter() - start)
        results = detect(model, test, categories, args.masks, args.batch_size)
        path = os.path.join(args.out, f"epoch{epoch + 1}.json")
        with open(path, "w") as f:
            json.dump(results, f)
        boxes = evaluate(args.deepext, ground_truth, path, "detection") if results else {"AP50": 0.0, "AP": 0.0}
        named = ", ".join(f"{name.replace('loss_', '')} {value / steps:.4f}" for name, value in parts.items())
        line = (f"epoch {epoch + 1}/{args.epochs}  loss {total / steps:.4f} ({named})  {rate:.2f} images/s  "
                f"AP50 {boxes['AP50']:.4f}  AP {boxes['AP']:.4f}")
        if args.masks:
            segm = evaluate(args.deepext, ground_truth, path, "segmentation") if results else {"AP50": 0.0, "AP": 0.0}
            line += f"  MaskAP50 {segm['AP50']:.4f}  MaskAP {segm['AP']:.4f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
