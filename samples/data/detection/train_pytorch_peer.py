#!/usr/bin/env python3
"""The PyTorch peer of `deepext train --task object-detection`: a small single-scale YOLO written by hand.

Issue 9 measures the project's YOLO trainer against "a small single-scale YOLO written by hand in PyTorch (six conv
layers, 20x20 grid, three anchors)" trained for the same wall-clock budget on the same 2 cores. This script is that
peer, so the comparison can be rerun: six 3x3 convolutions with batch norm and leaky ReLU (three max pools: stride 8,
a 20x20 grid for 160x160 images), a 1x1 output with three anchors (k-means over the training boxes' sizes), YOLOv3's
loss (sigmoid centre offsets and log-space sizes with squared error; objectness and class binary cross-entropy; each
object on its best anchor; predictions overlapping an object by more than 0.5 not counted as background), Adam at
0.001, horizontal flips, trained until --minutes have passed. It writes COCO results JSON for the test images, which
`deepext evaluate --task detection --ground-truth TEST.json --predictions OUT.json` scores with the same COCO
evaluator as the trainer's final line.

Usage (Debian's python3-torch, python3-opencv; libopenblas0-pthread for a fair speed):
  /usr/bin/python3 samples/data/detection/train_pytorch_peer.py --data DIR --minutes 15 --out peer.json
where DIR holds annotations/instances_train.json, annotations/instances_test.json and images/ as written by
make_detection_sample.py.
"""
import argparse
import json
import os
import time

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_split(folder, split):
    with open(os.path.join(folder, "annotations", f"instances_{split}.json")) as f:
        coco = json.load(f)
    by_image = {image["id"]: [] for image in coco["images"]}
    for a in coco["annotations"]:
        by_image[a["image_id"]].append(a)
    categories = sorted(c["id"] for c in coco["categories"])
    index_of = {c: i for i, c in enumerate(categories)}
    images, targets, ids = [], [], []
    for image in coco["images"]:
        pixels = cv2.imread(os.path.join(folder, "images", image["file_name"]))[:, :, ::-1]
        images.append(np.ascontiguousarray(pixels.transpose(2, 0, 1)))
        rows = [[index_of[a["category_id"]], a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]]
                for a in by_image[image["id"]]]
        targets.append(np.array(rows, dtype=np.float32).reshape(-1, 5))
        ids.append(image["id"])
    return np.stack(images), targets, ids, categories


def kmeans_anchors(sizes, k, rng, iterations=100):
    """k-means over box sizes with 1 - IoU (boxes sharing a centre) as the distance."""
    centres = sizes[rng.choice(len(sizes), k, replace=False)]
    for _ in range(iterations):
        inter = np.minimum(sizes[:, None, 0], centres[None, :, 0]) * np.minimum(sizes[:, None, 1], centres[None, :, 1])
        iou = inter / (sizes[:, None].prod(2) + centres[None].prod(2) - inter)
        nearest = iou.argmax(1)
        centres = np.stack([np.median(sizes[nearest == j], 0) if (nearest == j).any() else centres[j] for j in range(k)])
    return centres[np.argsort(centres.prod(1))]


class SmallYolo(nn.Module):
    def __init__(self, classes, anchors):
        super().__init__()
        widths = [16, 32, 64, 128, 128, 256]
        layers, c = [], 3
        for i, w in enumerate(widths):
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.LeakyReLU(0.1)]
            if i < 3:
                layers.append(nn.MaxPool2d(2))
            c = w
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv2d(c, len(anchors) * (5 + classes), 1)
        self.classes = classes
        self.register_buffer("anchors", torch.tensor(anchors, dtype=torch.float32))
        self.stride = 8

    def forward(self, x):
        out = self.head(self.body(x))
        n, _, h, w = out.shape
        return out.view(n, len(self.anchors), 5 + self.classes, h, w).permute(0, 1, 3, 4, 2)


def box_iou(a, b):
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(2)
    return inter / ((a[:, 2:] - a[:, :2]).prod(1)[:, None] + (b[:, 2:] - b[:, :2]).prod(1)[None] - inter)


def decode(p, anchors, stride):
    n, a, h, w, _ = p.shape
    gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    cx = (gx + p[..., 0].sigmoid()) * stride
    cy = (gy + p[..., 1].sigmoid()) * stride
    bw = p[..., 2].clamp(max=4).exp() * anchors[:, 0].view(1, a, 1, 1)
    bh = p[..., 3].clamp(max=4).exp() * anchors[:, 1].view(1, a, 1, 1)
    return torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1)


def yolo_loss(p, targets, model):
    boxes = decode(p, model.anchors, model.stride)
    n, a, h, w, _ = p.shape
    obj_target = torch.zeros(n, a, h, w)
    counted = torch.ones(n, a, h, w)
    box_loss = p.new_zeros(())
    class_loss = p.new_zeros(())
    for i, t in enumerate(targets):
        if len(t) == 0:
            continue
        t = torch.from_numpy(t)
        with torch.no_grad():
            counted[i] = (box_iou(boxes[i].reshape(-1, 4), t[:, 1:]).amax(1) <= 0.5).float().view(a, h, w)
        size = t[:, 3:5] - t[:, 1:3]
        centre = (t[:, 1:3] + t[:, 3:5]) / 2
        inter = torch.minimum(size[:, None], model.anchors[None]).prod(2)
        best = (inter / (size.prod(1)[:, None] + model.anchors.prod(1)[None] - inter)).argmax(1)
        col = (centre[:, 0] / model.stride).long().clamp(0, w - 1)
        row = (centre[:, 1] / model.stride).long().clamp(0, h - 1)
        q = p[i, best, row, col]
        box_loss = box_loss + ((q[:, 0].sigmoid() - (centre[:, 0] / model.stride - col)) ** 2
                               + (q[:, 1].sigmoid() - (centre[:, 1] / model.stride - row)) ** 2
                               + (q[:, 2] - (size[:, 0] / model.anchors[best, 0]).log()) ** 2
                               + (q[:, 3] - (size[:, 1] / model.anchors[best, 1]).log()) ** 2).sum()
        class_loss = class_loss + F.binary_cross_entropy_with_logits(
            q[:, 5:], F.one_hot(t[:, 0].long(), model.classes).float(), reduction="sum")
        obj_target[i, best, row, col] = 1
        counted[i, best, row, col] = 1
    obj_loss = F.binary_cross_entropy_with_logits(p[..., 4], obj_target, weight=counted, reduction="sum")
    return (box_loss + obj_loss + class_loss) / n


def detect(model, images, threshold=0.005, iou=0.45, top=100):
    import torchvision
    with torch.no_grad():
        p = model(images)
        boxes = decode(p, model.anchors, model.stride).reshape(len(images), -1, 4)
        scores = (p[..., 4:5].sigmoid() * p[..., 5:].sigmoid()).reshape(len(images), -1, model.classes)
    results = []
    for i in range(len(images)):
        candidates, classes = (scores[i] > threshold).nonzero(as_tuple=True)
        b, s = boxes[i][candidates].clamp(0, images.shape[-1]), scores[i][candidates, classes]
        keep = torchvision.ops.batched_nms(b, s, classes, iou)[:top]
        results.append((b[keep], s[keep], classes[keep]))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    train_images, train_targets, _, categories = load_split(args.data, "train")
    test_images, _, test_ids, _ = load_split(args.data, "test")
    sizes = np.concatenate([t[:, 3:5] - t[:, 1:3] for t in train_targets if len(t)])
    model = SmallYolo(len(categories), kmeans_anchors(sizes, 3, rng).tolist())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    side = train_images.shape[-1]

    start, epoch, seen = time.time(), 0, 0
    while time.time() - start < args.minutes * 60:
        epoch += 1
        order = rng.permutation(len(train_images))
        total = 0.0
        for first in range(0, len(order), args.batch_size):
            if time.time() - start >= args.minutes * 60:
                break
            batch = order[first:first + args.batch_size]
            images = torch.from_numpy(train_images[batch]).float() / 255
            targets = [train_targets[j].copy() for j in batch]
            for k in range(len(batch)):
                if rng.random() < 0.5:
                    images[k] = images[k].flip(-1)
                    t = targets[k]
                    t[:, [1, 3]] = side - t[:, [3, 1]]
            model.train()
            loss = yolo_loss(model(images), targets, model)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            seen += len(batch)
        print(f"epoch {epoch}  loss {total / len(order):.3f}  {seen / (time.time() - start):.1f} images/s", flush=True)

    model.eval()
    results = []
    for first in range(0, len(test_images), 32):
        images = torch.from_numpy(test_images[first:first + 32]).float() / 255
        for image_id, (boxes, scores, classes) in zip(test_ids[first:first + 32], detect(model, images)):
            for b, s, c in zip(boxes.tolist(), scores.tolist(), classes.tolist()):
                results.append({"image_id": image_id, "category_id": categories[c],
                                "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]], "score": s})
    with open(args.out, "w") as f:
        json.dump(results, f)
    print(f"trained {epoch} epochs ({seen} images) in {time.time() - start:.0f} s; wrote {len(results)} detections to {args.out}")


if __name__ == "__main__":
    main()
