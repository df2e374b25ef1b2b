#!/usr/bin/python3
"""Golden values of the YOLOv3 loss (YoloLossTests.cs) and of torchvision's IoU losses (BoxIouLossTests.cs).

Run with Debian's python3-torch / python3-torchvision (torchvision 0.14):
    /usr/bin/python3 generate_yolo_loss.py
writes yolo_loss_golden.json next to this script.

The YOLO loss reference below is written independently of the C# code, object by object with Python loops, from
the loss as documented in YoloLoss.cs (YOLOv3: the responsible anchor is the best shape match over all anchors,
in the cell holding the box centre; squared error of sigmoid offsets and log sizes, or GIoU/CIoU from torchvision,
weighted by 2 - w*h/S^2 (with an anchor match threshold, every other anchor whose shape IoU with the object exceeds
it is responsible too, each in its own head's cell holding the centre); objectness BCE towards 1 or the detached IoU, non-responsible predictions overlapping an
object of their image by more than the ignore threshold left out; class BCE against one-hot; sums over the grid
divided by the batch size). It runs in float64; the C# side in float32.
"""
import json
import math
import os

import torch
import torchvision

torch.manual_seed(7)
S = 96
CLASSES = 3
ANCHORS = [(10.0, 14.0), (23.0, 27.0), (37.0, 58.0), (30.0, 20.0), (60.0, 45.0), (80.0, 82.0)]
HEADS = [  # (mask, ignore threshold, scale_x_y, grid)
    ([3, 4, 5], 0.5, 1.0, 3),
    ([0, 1, 2], 0.5, 1.0, 6),
]
MAX_LOG_SCALE = 4.0


def decode(raw, mask, scale_xy):
    n, _, h, w = raw.shape
    a = len(mask)
    p = raw.view(n, a, 5 + CLASSES, h, w).permute(0, 1, 3, 4, 2)
    boxes = torch.zeros(n, a, h, w, 4, dtype=raw.dtype)
    offsets = torch.zeros(n, a, h, w, 2, dtype=raw.dtype)
    sx, sy = S / w, S / h
    for b in range(n):
        for k in range(a):
            aw, ah = ANCHORS[mask[k]]
            for r in range(h):
                for c in range(w):
                    ox = torch.sigmoid(p[b, k, r, c, 0]) * scale_xy - (scale_xy - 1) / 2
                    oy = torch.sigmoid(p[b, k, r, c, 1]) * scale_xy - (scale_xy - 1) / 2
                    cx, cy = (c + ox) * sx, (r + oy) * sy
                    bw = torch.exp(torch.clamp(p[b, k, r, c, 2], max=MAX_LOG_SCALE)) * aw
                    bh = torch.exp(torch.clamp(p[b, k, r, c, 3], max=MAX_LOG_SCALE)) * ah
                    boxes[b, k, r, c] = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
                    offsets[b, k, r, c] = torch.stack([ox, oy])
    return p, boxes, offsets


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def shape_iou(w, h, aw, ah):
    inter = min(w, aw) * min(h, ah)
    return inter / (w * h + aw * ah - inter)


def yolo_loss(raws, targets, box_loss, objectness_target, match_threshold=None):
    n = raws[0].shape[0]
    box = torch.zeros((), dtype=torch.float64)
    obj = torch.zeros((), dtype=torch.float64)
    cls = torch.zeros((), dtype=torch.float64)
    for raw, (mask, ignore, scale_xy, _) in zip(raws, HEADS):
        p, boxes, offsets = decode(raw, mask, scale_xy)
        _, a, h, w, _ = p.shape
        sx, sy = S / w, S / h
        obj_target = torch.zeros(n, a, h, w, dtype=torch.float64)
        counted = torch.ones(n, a, h, w, dtype=torch.float64)
        detached = boxes.detach()
        for b in range(n):
            mine = [t for t in targets if int(t[0]) == b]
            for k in range(a):
                for r in range(h):
                    for c in range(w):
                        best = max([iou(detached[b, k, r, c].tolist(), t[2:]) for t in mine], default=0.0)
                        if best > ignore:
                            counted[b, k, r, c] = 0
        for t in targets:
            b, klass, x0, y0, x1, y1 = int(t[0]), int(t[1]), t[2], t[3], t[4], t[5]
            tw, th = x1 - x0, y1 - y0
            best_anchor = max(range(len(ANCHORS)), key=lambda i: shape_iou(tw, th, *ANCHORS[i]))
            responsible = [i for i in range(len(ANCHORS)) if i == best_anchor
                           or (match_threshold is not None and shape_iou(tw, th, *ANCHORS[i]) > match_threshold)]
            for anchor in responsible:
                if anchor in mask:
                    box, cls = positive(p, boxes, offsets, obj_target, counted, mask.index(anchor), anchor, t, sx, sy, w, h,
                                        box, cls, box_loss, objectness_target)
        obj = obj + torch.nn.functional.binary_cross_entropy_with_logits(p[..., 4], obj_target, weight=counted, reduction="sum")
    return box / n, obj / n, cls / n


def positive(p, boxes, offsets, obj_target, counted, k, anchor, t, sx, sy, w, h, box, cls, box_loss, objectness_target):
    b, klass, x0, y0, x1, y1 = int(t[0]), int(t[1]), t[2], t[3], t[4], t[5]
    tw, th = x1 - x0, y1 - y0
    gx, gy = (x0 + x1) / 2 / sx, (y0 + y1) / 2 / sy
    c, r = min(max(int(math.floor(gx)), 0), w - 1), min(max(int(math.floor(gy)), 0), h - 1)
    weight = 2 - tw * th / (S * S)
    truth = torch.tensor([[x0, y0, x1, y1]], dtype=torch.float64)
    predicted = boxes[b, k, r, c].unsqueeze(0)
    if box_loss == "SquaredError":
        aw, ah = ANCHORS[anchor]
        err = (offsets[b, k, r, c, 0] - (gx - c)) ** 2 + (offsets[b, k, r, c, 1] - (gy - r)) ** 2 \
            + (p[b, k, r, c, 2] - math.log(tw / aw)) ** 2 + (p[b, k, r, c, 3] - math.log(th / ah)) ** 2
    elif box_loss == "GIoU":
        err = torchvision.ops.generalized_box_iou_loss(predicted, truth)[0]
    else:
        err = torchvision.ops.complete_box_iou_loss(predicted, truth)[0]
    box = box + weight * err
    obj_target[b, k, r, c] = 1.0 if objectness_target == "One" else max(0.0, min(1.0, iou(predicted.detach()[0].tolist(), truth[0].tolist())))
    counted[b, k, r, c] = 1
    one_hot = torch.zeros(CLASSES, dtype=torch.float64)
    one_hot[klass] = 1
    cls = cls + torch.nn.functional.binary_cross_entropy_with_logits(p[b, k, r, c, 5:], one_hot, reduction="sum")
    return box, cls


def case(name, box_loss, objectness_target, n=2, match_threshold=None):
    raws = [torch.randn(n, 3 * (5 + CLASSES), g, g, dtype=torch.float64) * 0.8 for (_, _, _, g) in HEADS]
    # Objects spread out so that no two share a cell and an anchor (the assignment would then be order-dependent).
    targets = [
        [0, 0, 10.0, 12.0, 22.0, 27.0],
        [0, 2, 40.0, 30.0, 95.0, 80.0],
        [0, 1, 70.0, 5.0, 90.0, 40.0],
        [1, 1, 5.0, 50.0, 45.0, 70.0],
        [1, 0, 60.0, 60.0, 70.0, 75.0],
    ]
    for r in raws:
        r.requires_grad_(True)
    parts = yolo_loss(raws, targets, box_loss, objectness_target, match_threshold)
    total = parts[0] + parts[1] + parts[2]
    total.backward()
    return {
        "name": name, "boxLoss": box_loss, "objectnessTarget": objectness_target, "anchorMatchThreshold": match_threshold,
        "outputs": [{"shape": list(r.shape), "values": r.detach().flatten().tolist(), "gradient": r.grad.flatten().tolist()} for r in raws],
        "targets": targets,
        "parts": [float(v) for v in parts],
    }


def iou_losses():
    a = torch.rand(12, 2) * 50
    b = torch.rand(12, 2) * 50
    predicted = torch.cat([a, a + torch.rand(12, 2) * 40 + 1], 1).double()
    truth = torch.cat([b, b + torch.rand(12, 2) * 40 + 1], 1).double()
    truth[0] = predicted[0]  # identical boxes
    truth[1] = predicted[1] + 200  # disjoint
    return {
        "predicted": predicted.flatten().tolist(), "target": truth.flatten().tolist(),
        "generalized": torchvision.ops.generalized_box_iou_loss(predicted, truth).tolist(),
        "complete": torchvision.ops.complete_box_iou_loss(predicted, truth).tolist(),
    }


golden = {
    "imageSize": S, "classes": CLASSES, "anchors": [list(a) for a in ANCHORS],
    "heads": [{"mask": m, "ignore": i, "scaleXY": s} for (m, i, s, _) in HEADS],
    "cases": [
        case("squared-error, objectness 1", "SquaredError", "One"),
        case("squared-error, objectness IoU", "SquaredError", "Iou"),
        case("GIoU", "GIoU", "Iou"),
        case("CIoU", "CIoU", "One"),
        case("squared-error, anchors matched above IoU 0.2", "SquaredError", "Iou", match_threshold=0.2),
        case("CIoU, anchors matched above IoU 0.2", "CIoU", "Iou", match_threshold=0.2),
    ],
    "iouLosses": iou_losses(),
    "torch": torch.__version__, "torchvision": torchvision.__version__,
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "yolo_loss_golden.json"), "w") as f:
    json.dump(golden, f)
print("wrote yolo_loss_golden.json")
