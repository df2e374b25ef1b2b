#!/usr/bin/python3
"""Golden values of the RoI operators (Vision/Detection/Ops), from torchvision 0.14.

Writes roi_ops_golden.json beside this script; RoIOpsTests.cs reads it. Every tensor is written as
{"shape": [...], "values": [flat, row-major]} and the inputs are written too, so both sides use the same
float32 numbers. Feature values are distinct multiples of 1/256 (exact in float32, short in JSON, and no
ties in max pooling); box coordinates are multiples of 1/8. Each case holds the forward output and the
input gradient of sum(output * grad_weights) for random grad_weights. References:

  align        torchvision.ops.roi_align: scales 1, 1/4, 1/16; sampling ratio 2, 1, 0 and -1 (adaptive);
               aligned true/false; boxes inside, on and beyond the borders, tiny, huge, zero-size and
               inverted; three images per batch; no boxes at all
  align_list   torchvision.ops.roi_align with per-image box lists (one image without boxes)
  pool         torchvision.ops.roi_pool: scales 1, 1/4, 1/16, coordinates on .5 (rounding), bins outside
               the map (empty bins give 0)
  multiscale   torchvision.ops.MultiScaleRoIAlign with 4, 2 and 3 levels, mixed box sizes, default and
               custom canonical scale, an image without boxes; plus LevelMapper's level of each box

Deterministic (seeded). Rerun with Debian's PyTorch/torchvision:

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Detection/Ops/generate_roi_ops.py
"""

import json
import pathlib
from collections import OrderedDict

import torch
import torchvision
from torchvision.ops import MultiScaleRoIAlign, roi_align, roi_pool
from torchvision.ops.poolers import LevelMapper

torch.manual_seed(20261206)


def t(x):
    x = x.detach().float()
    return {"shape": list(x.shape), "values": [float("%.8g" % v) for v in x.reshape(-1).tolist()]}


def distinct_features(*shape):
    n = 1
    for s in shape:
        n *= s
    return ((torch.randperm(n).float() - n / 2) / 256).reshape(shape)


def eighth(x):
    return (x * 8).round() / 8


def random_boxes(n, width, height, min_size=1.0, max_size=None):
    max_size = max_size or max(width, height)
    xy = torch.rand(n, 2) * torch.tensor([width, height])
    wh = min_size + torch.rand(n, 2) * (max_size - min_size)
    return eighth(torch.cat([xy, xy + wh], 1))


def rois_of(boxes, images):
    return torch.cat([torch.tensor(images, dtype=torch.float32).unsqueeze(1), boxes], 1)


def backward_case(fn, inputs):
    """Runs fn on leaf copies of inputs; returns output, grad weights and input gradients."""
    leaves = [x.clone().requires_grad_(True) for x in inputs]
    out = fn(*leaves)
    weights = torch.randn(out.shape)
    (out * weights).sum().backward()
    grads = [x.grad if x.grad is not None else torch.zeros_like(x) for x in leaves]
    return out, weights, grads


out = OrderedDict()

# ---------------------------------------------------------------- roi_align
# Three images of a stride-16 map (image 160 x 208 pixels -> 10 x 13 cells); boxes are given in the pixels of
# the image that the scale maps onto the 10 x 13 grid.
features = distinct_features(3, 3, 10, 13)


def align_boxes(scale):
    s = 1.0 / scale
    h, w = 10 * s, 13 * s
    inside = random_boxes(5, w * 0.7, h * 0.7, 1 * s, 6 * s)
    border = eighth(torch.tensor([
        [0, 0, 3 * s, 2 * s],                      # at the top-left corner
        [w - 2.5 * s, h - 3 * s, w, h],            # ending exactly at the bottom-right border
        [-2 * s, -1.5 * s, 2 * s, 3 * s],          # starting before the map
        [w - 1 * s, h - 1 * s, w + 3 * s, h + 2 * s],  # reaching beyond the map (samples outside [-1, W] are 0)
        [w + 2 * s, 1 * s, w + 5 * s, 4 * s],      # entirely beyond the right border
        [2 * s, 2 * s, 2.25 * s, 2.125 * s],       # tiny: far below one cell
        [-5 * s, -4 * s, w + 6 * s, h + 5 * s],    # huge: much larger than the map
    ]))
    boxes = torch.cat([inside, border])
    images = [i % 3 for i in range(boxes.shape[0])]
    return rois_of(boxes, images)


align_cases = []
for name, scale, ratio, aligned, size in [
    ("scale1_ratio2", 1.0, 2, False, (2, 3)),
    ("scale1_adaptive", 1.0, -1, False, (3, 3)),
    ("quarter_ratio0_aligned", 0.25, 0, True, (2, 2)),
    ("sixteenth_ratio1_aligned", 1.0 / 16, 1, True, (3, 2)),
    ("sixteenth_adaptive", 1.0 / 16, -1, False, (2, 2)),
    ("quarter_ratio2", 0.25, 2, False, (4, 3)),
]:
    rois = align_boxes(scale)
    o, wts, (g, _) = backward_case(
        lambda f, r: roi_align(f, r, size, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned), [features, rois])
    align_cases.append(OrderedDict(name=name, spatial_scale=scale, sampling_ratio=ratio, aligned=aligned,
                                   output_size=list(size), rois=t(rois), grad_weights=t(wts), output=t(o), input_grad=t(g)))

# Degenerate boxes with aligned=True: zero and negative sizes give no samples (bins of 0).
degenerate = rois_of(eighth(torch.tensor([[3, 3, 3, 3], [5, 2, 4, 6], [1, 1, 6, 1], [2, 2, 7.5, 6.25]])), [0, 1, 2, 0])
for ratio in (-1, 2):
    o, wts, (g, _) = backward_case(
        lambda f, r: roi_align(f, r, (2, 2), spatial_scale=1.0, sampling_ratio=ratio, aligned=True), [features, degenerate])
    align_cases.append(OrderedDict(name=f"degenerate_aligned_ratio{ratio}", spatial_scale=1.0, sampling_ratio=ratio, aligned=True,
                                   output_size=[2, 2], rois=t(degenerate), grad_weights=t(wts), output=t(o), input_grad=t(g)))

empty = torch.zeros(0, 5)
o = roi_align(features, empty, (2, 3), spatial_scale=1.0, sampling_ratio=2)
align_cases.append(OrderedDict(name="no_boxes", spatial_scale=1.0, sampling_ratio=2, aligned=False, output_size=[2, 3],
                               rois=t(empty), grad_weights=t(torch.zeros(o.shape)), output=t(o), input_grad=t(torch.zeros_like(features))))
out["align"] = OrderedDict(input=t(features), cases=align_cases)

# Per-image lists: image 1 has no boxes.
lists = [random_boxes(3, 10, 8, 1, 5), torch.zeros(0, 4), random_boxes(2, 10, 8, 1, 5)]
leaf = features.clone().requires_grad_(True)
o = roi_align(leaf, lists, (2, 2), spatial_scale=1.0, sampling_ratio=-1, aligned=False)
wts = torch.randn(o.shape)
(o * wts).sum().backward()
out["align_list"] = OrderedDict(boxes=[t(b) for b in lists], output_size=[2, 2], sampling_ratio=-1, spatial_scale=1.0,
                                grad_weights=t(wts), output=t(o), input_grad=t(leaf.grad))

# ---------------------------------------------------------------- roi_pool
pool_cases = []
for name, scale, size in [("scale1", 1.0, (2, 3)), ("quarter", 0.25, (3, 3)), ("sixteenth", 1.0 / 16, (2, 2))]:
    rois = align_boxes(scale)
    # Coordinates whose scaled value ends in .5: round() must go away from zero (2.5 -> 3, -0.5 -> -1).
    halves = rois_of(torch.tensor([[2.5, 0.5, 6.5, 4.5], [-0.5, 1.5, 3.5, 7.5]]) / scale, [1, 2])
    rois = torch.cat([rois, halves])
    o, wts, (g, _) = backward_case(lambda f, r: roi_pool(f, r, size, spatial_scale=scale), [features, rois])
    pool_cases.append(OrderedDict(name=name, spatial_scale=scale, output_size=list(size), rois=t(rois),
                                  grad_weights=t(wts), output=t(o), input_grad=t(g)))
o = roi_pool(features, empty, (2, 2), spatial_scale=1.0)
pool_cases.append(OrderedDict(name="no_boxes", spatial_scale=1.0, output_size=[2, 2], rois=t(empty),
                              grad_weights=t(torch.zeros(o.shape)), output=t(o), input_grad=t(torch.zeros_like(features))))
out["pool"] = OrderedDict(input=t(features), cases=pool_cases)

# ---------------------------------------------------------------- MultiScaleRoIAlign
ms_cases = []


def multiscale_case(name, image_sizes, strides, channels, boxes, output_size, ratio, canonical_scale=224, canonical_level=4):
    names = [str(i) for i in range(len(strides))]
    batch = len(image_sizes)
    max_h = max(s[0] for s in image_sizes)
    max_w = max(s[1] for s in image_sizes)
    maps = OrderedDict((n, distinct_features(batch, channels, max_h // s, max_w // s)) for n, s in zip(names, strides))
    maps["pool"] = distinct_features(batch, channels, 1, 1)  # an extra map that is not pooled (as torchvision's FPN "pool")
    pooler = MultiScaleRoIAlign(names, output_size, ratio, canonical_scale=canonical_scale, canonical_level=canonical_level)
    leaves = OrderedDict((n, m.clone().requires_grad_(True)) for n, m in maps.items())
    o = pooler(leaves, boxes, image_sizes)
    wts = torch.randn(o.shape)
    (o * wts).sum().backward()
    k_min = int(torch.log2(torch.tensor(float(strides[0]))).item())
    k_max = int(torch.log2(torch.tensor(float(strides[-1]))).item())
    levels = LevelMapper(k_min, k_max, canonical_scale=canonical_scale, canonical_level=canonical_level)(boxes) \
        if sum(b.shape[0] for b in boxes) > 0 else torch.zeros(0, dtype=torch.int64)
    ms_cases.append(OrderedDict(
        name=name, featmap_names=names, image_sizes=[list(s) for s in image_sizes], output_size=list(output_size),
        sampling_ratio=ratio, canonical_scale=canonical_scale, canonical_level=canonical_level,
        maps=OrderedDict((n, t(m)) for n, m in maps.items()), boxes=[t(b) for b in boxes],
        grad_weights=t(wts), output=t(o), map_grads=OrderedDict((n, t(leaves[n].grad if leaves[n].grad is not None else torch.zeros_like(m))) for n, m in maps.items()),
        levels=levels.tolist(), min_level=k_min, max_level=k_max))


# Four levels (strides 8..64), torchvision's canonical 224 / level 4: boxes from 20 to 1000 pixels wide hit levels 3..6.
sizes4 = [(256, 320), (240, 300)]
boxes4 = [
    eighth(torch.tensor([[10, 12, 40, 30], [50, 60, 170, 150], [0, 0, 320, 256], [100, 20, 118, 44], [-100, -90, 450, 400], [-300, -300, 700, 600]])),
    eighth(torch.tensor([[30, 40, 110, 130], [5, 5, 25.5, 17], [60, 10, 300, 240], [200, 150, 300, 239]])),
]
multiscale_case("four_levels", sizes4, [8, 16, 32, 64], 1, boxes4, (3, 3), 2)
# Two levels (strides 4, 8) with a canonical scale of 32: boxes below 16 pixels go to the finer level. Adaptive sampling,
# and the second image has no boxes.
boxes2 = [random_boxes(6, 40, 30, 4, 40), torch.zeros(0, 4), random_boxes(3, 40, 30, 4, 30)]
multiscale_case("two_levels_adaptive", [(48, 56), (40, 56), (48, 50)], [4, 8], 3, boxes2, (2, 2), -1, canonical_scale=32)
# Three levels (strides 4, 8, 16), canonical 56 at level 4: sizes 14..28 -> level 2, 28..56 -> 3, above -> 4.
boxes3 = [eighth(torch.tensor([[2, 3, 14, 15], [10, 10, 50, 44], [0, 0, 64, 64], [30, 20, 36, 29]])),
          eighth(torch.tensor([[5, 5, 33, 30], [40, 40, 63, 63.5]]))]
multiscale_case("three_levels", [(64, 64), (64, 60)], [4, 8, 16], 2, boxes3, (2, 3), 2, canonical_scale=56)
# No boxes at all.
multiscale_case("no_boxes", [(32, 32)], [4, 8], 2, [torch.zeros(0, 4)], (2, 2), 2)
out["multiscale"] = OrderedDict(cases=ms_cases)

path = pathlib.Path(__file__).with_name("roi_ops_golden.json")
path.write_text(json.dumps(out, separators=(",", ":")))
print(f"wrote {path} ({path.stat().st_size} bytes) with torch {torch.__version__}, torchvision {torchvision.__version__}")
