#!/usr/bin/python3
"""Small semantic segmentation ONNX models built from torchvision 0.14's own FCN, DeepLabV3 and LRASPP classes, and
the class maps torchvision's post-processing gives on real photos.

No pretrained weights can be downloaded, so each model is torchvision's segmentation class (torchvision.models.
segmentation.FCN / DeepLabV3 / LRASPP with their heads FCNHead / ASPP / LRASPPHead) on a tiny random backbone, exported
as torchvision's models export (input "input" [B,3,H,W] normalized with ImageNet's mean and std; output "out"
[B, C, H, W], the logits upsampled to the input size by the model's own bilinear interpolation):

  fcn_tiny.onnx        FCN(backbone, FCNHead(16, C) with 16 instead of 4 inner channels); dynamic batch, height and width.
  deeplabv3_tiny.onnx  DeepLabV3(backbone, DeepLabHead's layers: ASPP(16, [12, 24, 36]) then 3x3 conv, BN, ReLU, 1x1
                       conv), with 32 instead of 256 channels to keep the file small; dynamic batch, height and width.
  lraspp_tiny.onnx     LRASPP(backbone, low_channels=8, high_channels=16, C, inter_channels=16); a fixed 1x3x256x256
                       input, so images are resized to it and the logits resized back.

Backbone: a 4x4 average pool of the image (so that the maps are smooth regions, not pixel noise, and robust to how an
image library resamples), then 3x3 convolutions with batch norm and ReLU at strides 4 ("low", 8 channels) and 8
("high"/"out", 16 channels). Batch-norm statistics are randomized so that eval mode does real work, and the class biases are
shifted by each class's mean logit over the photos so that every class wins somewhere.

Reference class maps (expected_class_maps.json): the photo as RGB / 255, normalized with mean (0.485, 0.456, 0.406)
and std (0.229, 0.224, 0.225) (torchvision's SemanticSegmentation preset without its resize); for the fixed-size
model first resized with cv2.resize (INTER_LINEAR) to 256x256; the PyTorch forward's "out"; logits resized to the
photo's size with F.interpolate(mode="bilinear", align_corners=False) when they are not already at that size; then
argmax over the classes (torchvision's way to a class map, out.argmax(1)). Stored as row-major run lengths
[class, length, class, length, ...], with the mean softmax probability of each class and the share of pixels whose
two best logits are within 1e-3 (where float rounding could flip a pixel).

Metrics (same file): pixel accuracy, per-class and mean IoU, mean class accuracy as torchvision's segmentation references
compute them (confusion_metrics), for small random cases with ignore pixels and for the FCN's maps against the DeepLabV3
maps taken as labels.

Rerun with Debian's PyTorch 1.13 / torchvision 0.14 / python3-onnx:

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Segmentation/Models/generate_semantic_models.py
"""

import collections
import json
import pathlib

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.segmentation import FCN, DeepLabV3, LRASPP
from torchvision.models.segmentation.deeplabv3 import ASPP
from torchvision.models.segmentation.fcn import FCNHead

HERE = pathlib.Path(__file__).resolve().parent
OPENCV_DATA = "/usr/share/doc/opencv-doc/examples/data/"
SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data/"
IMAGES = [
    SKIMAGE_DATA + "astronaut.png",    # 512 x 512
    OPENCV_DATA + "smarties.png",      # 413 x 356
    OPENCV_DATA + "ml.png",            # 308 x 380
]
CLASSES = ["background", "person", "car", "dog", "plant"]
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
FIXED = 256

torch.set_grad_enabled(False)


def conv(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class TinyBackbone(nn.Module):
    """Features at strides 4 ("low", 8 channels) and 8 ("out" and "high", 16 channels), as IntermediateLayerGetter returns them."""

    def __init__(self):
        super().__init__()
        self.low = nn.Sequential(conv(3, 8, 1), conv(8, 8, 1))
        self.high = nn.Sequential(conv(8, 16, 2), conv(16, 16, 1))

    def forward(self, x):
        low = self.low(F.avg_pool2d(x, 4))
        high = self.high(low)
        return collections.OrderedDict([("low", low), ("high", high), ("out", high)])


def randomize_batch_norm(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def build(kind):
    torch.manual_seed({"fcn": 11, "deeplabv3": 12, "lraspp": 13}[kind])
    c = len(CLASSES)
    if kind == "fcn":
        model = FCN(TinyBackbone(), FCNHead(16, c))
        model.classifier[0] = nn.Conv2d(16, 16, 3, padding=1, bias=False)   # FCNHead's in/4 channels, here 16 (4 would be mostly zero)
        model.classifier[1] = nn.BatchNorm2d(16)
        model.classifier[4] = nn.Conv2d(16, c, 1)
    elif kind == "deeplabv3":
        model = DeepLabV3(TinyBackbone(), nn.Sequential(ASPP(16, [12, 24, 36], out_channels=32), nn.Conv2d(32, 32, 3, padding=1, bias=False),
                                                        nn.BatchNorm2d(32), nn.ReLU(), nn.Conv2d(32, c, 1)))
    else:
        model = LRASPP(TinyBackbone(), low_channels=8, high_channels=16, num_classes=c, inter_channels=16)
    randomize_batch_norm(model)
    # Larger logits: clear winners over most of the picture.
    last = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.out_channels == c]
    for m in last:
        m.weight.data.mul_(25.0)
    model.eval()
    # Balance the classes: shift the class biases by each class's mean logit over the photos, so that every class
    # wins somewhere instead of one class everywhere.
    logits = torch.cat([model(normalize(cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB)))["out"].mean(dim=(2, 3)) for p in IMAGES]).mean(0)
    last[-1].bias.data -= logits
    return model


class OutOnly(nn.Module):
    """Exports only "out" (torchvision's models also return "aux" when built with an auxiliary head; these have none)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def export(kind, model, path):
    size = (1, 3, FIXED, FIXED) if kind == "lraspp" else (1, 3, 200, 240)
    axes = None if kind == "lraspp" else {"input": {0: "batch", 2: "height", 3: "width"}, "out": {0: "batch", 2: "height", 3: "width"}}
    torch.onnx.export(OutOnly(model).eval(), torch.zeros(size), str(path), opset_version=11, input_names=["input"], output_names=["out"],
                      dynamic_axes=axes, do_constant_folding=True)


def normalize(rgb):
    x = torch.from_numpy(rgb).permute(2, 0, 1).float().div(255.0)
    return ((x - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)).unsqueeze(0)


def reference(kind, model, path):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    net_input = cv2.resize(rgb, (FIXED, FIXED), interpolation=cv2.INTER_LINEAR) if kind == "lraspp" else rgb
    out = model(normalize(net_input))["out"]
    if out.shape[2:] != (h, w):
        out = F.interpolate(out, size=(h, w), mode="bilinear", align_corners=False)
    logits = out[0]
    classes = logits.argmax(0).flatten().numpy()
    top2 = logits.topk(2, dim=0).values
    fragile = float(((top2[0] - top2[1]) < 1e-3).float().mean())
    change = np.flatnonzero(np.diff(classes)) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [len(classes)]]))
    runs = [int(v) for pair in zip(classes[starts], lengths) for v in pair]
    probabilities = logits.softmax(0).mean(dim=(1, 2))
    counts = np.bincount(classes, minlength=len(CLASSES))
    return {"image": path, "width": w, "height": h, "runs": runs, "meanProbabilities": [float(p) for p in probabilities],
            "fragilePixels": fragile, "classPixels": [int(n) for n in counts]}


def confusion_metrics(labels, predictions, n, ignore=255):
    """torchvision's references/segmentation/utils.py ConfusionMatrix: pixels with a label in [0, n) (so the ignore label
    drops out), bincount of n * label + prediction; IoU = diag / (row + column - diag). Classes in neither the labels nor
    the predictions have no IoU (NaN here, -1 in DeepExtensions) and the mean IoU skips them (numpy nanmean)."""
    a, b = labels.flatten().astype(np.int64), predictions.flatten().astype(np.int64)
    k = (a >= 0) & (a < n)
    h = np.bincount(n * a[k] + b[k], minlength=n * n).reshape(n, n).astype(np.float64)
    diag = np.diag(h)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = diag / (h.sum(1) + h.sum(0) - diag)
        accuracy = diag / h.sum(1)
    return {"pixelAccuracy": float(diag.sum() / h.sum()), "meanIoU": float(np.nanmean(iou)), "meanAccuracy": float(np.nanmean(accuracy)),
            "perClassIoU": [(-1.0 if np.isnan(v) else float(v)) for v in iou], "pixels": int(h.sum())}


def metrics_cases(rng):
    """Small random label / prediction maps with ignore pixels (255), one case with a class in neither."""
    cases = []
    for i in range(4):
        n = 5
        labels = rng.integers(0, n, size=(3, 15, 20))
        predictions = np.where(rng.random(labels.shape) < 0.6, labels, rng.integers(0, n, size=labels.shape))
        labels[rng.random(labels.shape) < 0.1] = 255
        if i == 3:
            labels[labels == 4] = 0
            predictions[predictions == 4] = 1
        cases.append({"classes": n, "labels": labels.reshape(3, -1).tolist(), "predictions": predictions.reshape(3, -1).tolist(),
                      **confusion_metrics(labels, predictions, n)})
    return cases


def maps_of(entry):
    runs = entry["runs"]
    return np.repeat(np.array(runs[0::2]), np.array(runs[1::2])).reshape(entry["height"], entry["width"])


def main():
    expected = {"classes": CLASSES, "mean": MEAN, "std": STD, "models": {}}
    (HERE / "semantic_classes.txt").write_text("\n".join(CLASSES) + "\n")
    for kind in ("fcn", "deeplabv3", "lraspp"):
        model = build(kind)
        path = HERE / f"{kind}_tiny.onnx"
        export(kind, model, path)
        images = [reference(kind, model, p) for p in IMAGES]
        expected["models"][kind] = {"file": path.name, "fixedInput": FIXED if kind == "lraspp" else None, "images": images}
        print(kind, path.stat().st_size, "bytes;", [(i["classPixels"], round(i["fragilePixels"], 6)) for i in images])
    # End to end: the FCN's maps scored against the DeepLabV3 reference maps taken as labels, a 5-pixel border ignored (255).
    pairs = []
    for fcn, deeplab in zip(expected["models"]["fcn"]["images"], expected["models"]["deeplabv3"]["images"]):
        labels = maps_of(deeplab).copy()
        labels[:5, :], labels[-5:, :], labels[:, :5], labels[:, -5:] = 255, 255, 255, 255
        pairs.append((labels, maps_of(fcn)))
    expected["pipelineMetrics"] = {"labels": "deeplabv3 maps, 5-pixel border = 255", "predictions": "fcn",
                                   **confusion_metrics(np.concatenate([l.flatten() for l, _ in pairs]), np.concatenate([p.flatten() for _, p in pairs]), len(CLASSES))}
    expected["metricsCases"] = metrics_cases(np.random.default_rng(5))
    out = HERE / "expected_class_maps.json"
    out.write_text(json.dumps(expected, separators=(",", ":")) + "\n")
    print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
