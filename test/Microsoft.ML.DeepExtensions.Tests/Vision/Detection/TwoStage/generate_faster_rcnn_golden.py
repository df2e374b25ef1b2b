#!/usr/bin/python3
"""Golden values of torchvision 0.14's Faster R-CNN for the TwoStage parity tests (faster_rcnn_golden.json).

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14):

    /usr/bin/python3 generate_faster_rcnn_golden.py

Two torchvision FasterRCNN models on a ResNet-18 body are built:
  * "fpn":    BackboneWithFPN (layer1..layer4, LastLevelMaxPool), anchors 32..512 one size per level, 3 ratios;
  * "single": the layer4 map only (stride 32), the paper's nine anchors (128, 256, 512 x 0.5, 1, 2).
The FPN and box-head widths are smaller than torchvision's defaults (a constructor argument, not a change of the
network) to keep the test fast.

Weights are not stored: every parameter and buffer is filled from a counter-based generator (SplitMix64 of
seed << 32 | index, top 24 bits, scaled to [low, high)) that the C# test reproduces bit for bit; the file lists
each state-dict entry's name, shape, seed and range, so the test also checks that our names and shapes are
torchvision's. The input images come from the same generator. Stored: the resized batch shape and image sizes,
per-level feature statistics, the RPN proposals and final detections in evaluation mode, and the four loss parts
in training mode for given targets. torchvision samples anchors and proposals at random; for the loss the
samplers' batch sizes are set above the number of candidates, so every labelled anchor and proposal is taken and
the loss is deterministic (the issue's "take every proposal").
"""
import json
import os
from collections import OrderedDict

import numpy as np
import torch
import torchvision
from torch import nn
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops import MultiScaleRoIAlign

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
NUM_CLASSES = 4  # background + 3
MIN_SIZE, MAX_SIZE = 128, 213
IMAGES = [(100, 150, 900001), (120, 90, 900002)]  # height, width, seed
TARGETS = [
    {"boxes": [[10.0, 20.0, 60.0, 80.0], [70.0, 15.0, 140.0, 90.0]], "labels": [1, 2]},
    {"boxes": [[5.0, 5.0, 50.0, 60.0], [30.0, 40.0, 85.0, 115.0]], "labels": [3, 1]},
]


# Parameters whose gradient of the summed loss is compared: one per stage.
GRADIENT_PROBES = {"backbone.body.conv1.weight", "backbone.body.layer4.1.bn2.weight", "backbone.fpn.inner_blocks.0.0.weight",
                   "rpn.head.conv.0.0.weight", "rpn.head.cls_logits.bias", "rpn.head.bbox_pred.weight",
                   "roi_heads.box_head.fc6.weight", "roi_heads.box_predictor.cls_score.weight", "roi_heads.box_predictor.bbox_pred.bias"}


def matcher_cases():
    """torchvision's Matcher on random IoU matrices, with and without low-quality matches, ties included."""
    from torchvision.models.detection._utils import Matcher
    cases = []
    for seed, (g, p) in enumerate([(3, 12), (1, 5), (4, 9)]):
        q = torch.from_numpy(seeded_uniform(700 + seed, g * p, 0.0, 1.0)).view(g, p)
        q = (q * 10).floor() / 10  # coarse values: ties and values on the thresholds
        for high, low, allow in [(0.7, 0.3, True), (0.5, 0.5, False), (0.6, 0.2, False)]:
            cases.append({"quality": q.reshape(-1).tolist(), "shape": [g, p], "high": high, "low": low, "allow_low_quality": allow,
                          "matches": Matcher(high, low, allow)(q).tolist()})
    return cases


def seeded_uniform(seed, count, low, high):
    """SplitMix64 of (seed << 32) + i, top 24 bits as u in [0, 1), low + (high - low) * u in float64, then float32."""
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) << np.uint64(32)) + np.arange(count, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / 16777216.0
    return (low + (high - low) * u).astype(np.float32)


def weight_range(name, shape):
    """He-uniform for the convolutions and hidden layers, PyTorch's default range for the output layers."""
    leaf = name.rsplit(".", 1)[-1]
    is_norm = ".bn" in name or "downsample.1" in name or name.startswith("backbone.body.bn1")
    if is_norm:
        return {"weight": (0.5, 1.5), "bias": (-0.2, 0.2), "running_mean": (-0.2, 0.2), "running_var": (0.5, 1.5)}[leaf]
    fan_in = int(np.prod(shape[1:])) if leaf == "weight" else None
    if leaf == "bias":
        return (-0.1, 0.1)
    # Gains chosen so that activations stay of order one through the network and the regression outputs stay
    # small: the proposals and detections are then spread over the image instead of clipped to its border.
    gain = 0.1 if "bbox_pred" in name else 1.0 if ("cls_logits" in name or "cls_score" in name) else 3.0
    bound = (gain / fan_in) ** 0.5
    return (-bound, bound)


def fill(model, base_seed, ranges=weight_range):
    """Fills every parameter and buffer from the seeded generator (seed base_seed + its index in the state dict) in the range ranges(name, shape) gives."""
    entries = []
    state = model.state_dict()
    with torch.no_grad():
        for index, (name, tensor) in enumerate(state.items()):
            if name.endswith("num_batches_tracked"):
                continue
            low, high = ranges(name, list(tensor.shape))
            seed = base_seed + index
            tensor.copy_(torch.from_numpy(seeded_uniform(seed, tensor.numel(), low, high)).view(tensor.shape))
            entries.append({"name": name, "shape": list(tensor.shape), "seed": seed, "low": low, "high": high})
    return entries


class SingleMap(nn.Module):
    """A ResNet body whose layer4 map is the only feature map, under the name "0" (backbone.body.* as the FPN's)."""

    def __init__(self):
        super().__init__()
        self.body = IntermediateLayerGetter(torchvision.models.resnet18(), return_layers={"layer4": "0"})
        self.out_channels = 512

    def forward(self, x):
        return self.body(x)


def build(kind):
    if kind == "fpn":
        fpn_channels = 32
        backbone = BackboneWithFPN(torchvision.models.resnet18(), {f"layer{k}": str(k - 1) for k in range(1, 5)},
                                   [64, 128, 256, 512], fpn_channels)
        anchors = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
        pool = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
        channels = fpn_channels
    else:
        backbone = SingleMap()
        anchors = AnchorGenerator(((128, 256, 512),), ((0.5, 1.0, 2.0),))
        pool = MultiScaleRoIAlign(["0"], 7, 2)
        channels = 512
    representation = 128
    model = FasterRCNN(backbone, num_classes=None, min_size=MIN_SIZE, max_size=MAX_SIZE,
                       rpn_anchor_generator=anchors, box_roi_pool=pool,
                       box_head=TwoMLPHead(channels * 7 * 7, representation),
                       box_predictor=FastRCNNPredictor(representation, NUM_CLASSES))
    return model, {"fpn_channels": channels if kind == "fpn" else None, "representation": representation,
                   "anchor_sizes": [list(s) for s in anchors.sizes], "aspect_ratios": [list(r) for r in anchors.aspect_ratios]}


def rounded(t, digits=5):
    return [round(float(v), digits) for v in t.detach().reshape(-1).tolist()]


def run_in_stages(model, images):
    """Evaluation mode, one stage at a time (resized batch, features, proposals, RoI heads' raw detections), and
    model(images) itself, whose results the caller checks the stages against."""
    model.eval()
    with torch.no_grad():
        batch, _ = model.transform(images)
        features = model.backbone(batch.tensors)
        proposals, _ = model.rpn(batch, features)
        detections, _ = model.roi_heads(features, proposals, batch.image_sizes)
        return batch, features, proposals, detections, model(images)


def case(kind, base_seed):
    model, settings = build(kind)
    entries = fill(model, base_seed)
    images = [torch.from_numpy(seeded_uniform(seed, 3 * h * w, 0.0, 1.0)).view(3, h, w) for h, w, seed in IMAGES]
    targets = [{"boxes": torch.tensor(t["boxes"]), "labels": torch.tensor(t["labels"], dtype=torch.int64)} for t in TARGETS]

    batch, features, proposals, detections, final = run_in_stages(model, images)
    # The pieces above are what model(images) does; check that before storing them.
    for mine, theirs in zip(model.transform.postprocess(detections, batch.image_sizes, [(h, w) for h, w, _ in IMAGES]), final):
        assert torch.equal(mine["boxes"], theirs["boxes"]) and torch.equal(mine["labels"], theirs["labels"])

    model.train()
    model.rpn.fg_bg_sampler.batch_size_per_image = 10 ** 7
    model.roi_heads.fg_bg_sampler.batch_size_per_image = 10 ** 7
    losses = model(images, targets)
    sum(losses.values()).backward()
    gradients = {name: {"sum": float(p.grad.double().sum()), "abs_sum": float(p.grad.double().abs().sum())}
                 for name, p in model.named_parameters() if name in GRADIENT_PROBES}

    return {
        "settings": settings,
        "parameters": entries,
        "batch_shape": list(batch.tensors.shape),
        "image_sizes": [list(s) for s in batch.image_sizes],
        "features": {name: {"shape": list(f.shape), "sum": float(f.double().sum()), "abs_sum": float(f.double().abs().sum())}
                     for name, f in features.items()},
        "proposals": [rounded(p) for p in proposals],
        "proposal_scores_note": "proposals are xyxy in the resized image's pixels, best first",
        "detections": [{"boxes": rounded(d["boxes"]), "scores": rounded(d["scores"], 6), "labels": d["labels"].tolist()} for d in final],
        "losses": {k: float(v) for k, v in losses.items()},
        "gradients": gradients,
    }


def main():
    golden = {
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "num_classes": NUM_CLASSES, "min_size": MIN_SIZE, "max_size": MAX_SIZE,
        "images": [{"height": h, "width": w, "seed": s} for h, w, s in IMAGES],
        "targets": TARGETS,
        "cases": {"fpn": case("fpn", 1000), "single": case("single", 5000)},
        "matcher": matcher_cases(),
    }
    path = os.path.join(HERE, "faster_rcnn_golden.json")
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    for kind, c in golden["cases"].items():
        print(kind, c["gradients"])
        print(kind, c["batch_shape"], c["image_sizes"], [len(p) // 4 for p in c["proposals"]],
              [len(d["scores"]) for d in c["detections"]], c["losses"])
        for name, f in c["features"].items():
            print("  ", name, f)
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
