#!/usr/bin/python3
"""A YOLOv8n-shaped ONNX model for 'deepext bench detection' (random weights, real layout and size).

Writes OUT (default: yolov8n_like.onnx): input 'images' [B,3,640,640] (dynamic batch), output 'output0'
[B, 84, 8400] (cx cy w h in input pixels + 80 class probabilities, as Ultralytics exports YOLOv8n), with
Ultralytics-style metadata (names, imgsz, stride). The network follows YOLOv8n's shape: a stride-2 conv stem,
CSP-style stages with 16-32-64-128-256 channels, an FPN/PAN neck and decoupled detect heads at strides 8, 16
and 32 (80x80 + 40x40 + 20x20 = 8400 candidates) with DFL box decoding, about 3 M parameters and 8 GFLOPs:
what matters for the benchmark is that inference and post-processing cost what a real YOLOv8n costs.
The class-logit bias is set so that 0.5 % of candidates (about 40) pass a 0.25 confidence on a photo, as with a
trained model on a busy scene (post-processing time depends on it). Needs Debian's python3-torch and python3-onnx:

    /usr/bin/python3 samples/DeepExtensions.Cli/Bench/Detection/generate_yolov8n_like.py OUT.onnx
"""
import sys

import onnx
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_grad_enabled(False)


def conv(c1, c2, k=3, s=1):
    return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, bias=False), nn.BatchNorm2d(c2), nn.SiLU())


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1, self.cv2, self.add = conv(c, c), conv(c, c), shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = conv(c1, 2 * self.c, 1)
        self.cv2 = conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2):
        super().__init__()
        self.cv1, self.cv2 = conv(c1, c1 // 2, 1), conv(c1 * 2, c2, 1)
        self.m = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat([x, y1, y2, self.m(y2)], 1))


class Detect(nn.Module):
    def __init__(self, nc, chs, strides, reg_max=16):
        super().__init__()
        self.nc, self.reg_max, self.strides = nc, reg_max, strides
        c2, c3 = max(16, chs[0] // 4, reg_max * 4), max(chs[0], min(nc, 100))
        self.cv2 = nn.ModuleList(nn.Sequential(conv(c, c2), conv(c2, c2), nn.Conv2d(c2, 4 * reg_max, 1)) for c in chs)
        self.cv3 = nn.ModuleList(nn.Sequential(conv(c, c3), conv(c3, c3), nn.Conv2d(c3, nc, 1)) for c in chs)
        for seq in self.cv3:
            seq[-1].bias.zero_()  # set by main() from a photo's logits
        self.register_buffer("proj", torch.arange(reg_max, dtype=torch.float32))

    def forward(self, xs):
        boxes, scores, anchors, strides = [], [], [], []
        for x, b, c, s in zip(xs, self.cv2, self.cv3, self.strides):
            n, _, h, w = x.shape
            boxes.append(b(x).view(n, 4 * self.reg_max, -1))
            scores.append(c(x).view(n, self.nc, -1))
            ys, xs_ = torch.meshgrid(torch.arange(h, dtype=torch.float32) + 0.5, torch.arange(w, dtype=torch.float32) + 0.5, indexing="ij")
            anchors.append(torch.stack([xs_.flatten(), ys.flatten()], 0))
            strides.append(torch.full((1, h * w), float(s)))
        box, score = torch.cat(boxes, 2), torch.cat(scores, 2)
        anchor, stride = torch.cat(anchors, 1), torch.cat(strides, 1)
        n = box.shape[0]
        # DFL: softmax over reg_max bins, expectation = distance in cells.
        dist = (box.view(n, 4, self.reg_max, -1).softmax(2) * self.proj.view(1, 1, -1, 1)).sum(2)
        lt, rb = dist[:, :2], dist[:, 2:]
        x1y1, x2y2 = anchor - lt, anchor + rb
        xywh = torch.cat([(x1y1 + x2y2) / 2, x2y2 - x1y1], 1) * stride
        return torch.cat([xywh, score.sigmoid()], 1)


class YoloV8nLike(nn.Module):
    def __init__(self, nc=80):
        super().__init__()
        self.b0, self.b1, self.b2 = conv(3, 16, 3, 2), conv(16, 32, 3, 2), C2f(32, 32, 1)
        self.b3, self.b4 = conv(32, 64, 3, 2), C2f(64, 64, 2)
        self.b5, self.b6 = conv(64, 128, 3, 2), C2f(128, 128, 2)
        self.b7, self.b8, self.b9 = conv(128, 256, 3, 2), C2f(256, 256, 1), SPPF(256, 256)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.h12, self.h15 = C2f(384, 128, 1, False), C2f(192, 64, 1, False)
        self.h16, self.h18 = conv(64, 64, 3, 2), C2f(192, 128, 1, False)
        self.h19, self.h21 = conv(128, 128, 3, 2), C2f(384, 256, 1, False)
        self.detect = Detect(nc, (64, 128, 256), (8, 16, 32))

    def forward(self, x):
        x = self.b2(self.b1(self.b0(x)))
        p3 = self.b4(self.b3(x))
        p4 = self.b6(self.b5(p3))
        p5 = self.b9(self.b8(self.b7(p4)))
        h12 = self.h12(torch.cat([self.up(p5), p4], 1))
        h15 = self.h15(torch.cat([self.up(h12), p3], 1))
        h18 = self.h18(torch.cat([self.h16(h15), h12], 1))
        h21 = self.h21(torch.cat([self.h19(h18), p5], 1))
        return self.detect([h15, h18, h21])


def sample_image():
    """skimage's astronaut (python3-skimage), stretched to 640x640, RGB / 255; noise when it is not installed."""
    try:
        import cv2
        rgb = cv2.cvtColor(cv2.imread("/usr/lib/python3/dist-packages/skimage/data/astronaut.png"), cv2.COLOR_BGR2RGB)
        return torch.from_numpy(cv2.resize(rgb, (640, 640))).permute(2, 0, 1).float().div(255).unsqueeze(0)
    except Exception:  # noqa: BLE001 - any failure: fall back to noise
        return torch.rand(1, 3, 640, 640)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "yolov8n_like.onnx"
    model = YoloV8nLike().eval()
    x = sample_image()
    y = model(x)
    assert tuple(y.shape) == (1, 84, 8400), y.shape
    # Shift the class logits so that 0.5 % of the candidates pass 0.25 on the sample photo.
    best = torch.logit(y[0, 4:].max(0).values.clamp(1e-7, 1 - 1e-7))
    shift = float(torch.logit(torch.tensor(0.25)) - torch.quantile(best, 0.995))
    for seq in model.detect.cv3:
        seq[-1].bias += shift
    y = model(x)
    passing = float((y[0, 4:].max(0).values > 0.25).float().mean())
    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}; candidates passing 0.25 on the sample: {passing:.2%}")
    torch.onnx.export(model, x, out, opset_version=12, input_names=["images"], output_names=["output0"],
                      dynamic_axes={"images": {0: "batch"}, "output0": {0: "batch"}}, do_constant_folding=True)
    m = onnx.load(out)
    # As Ultralytics' dynamic export: only the batch axis is dynamic (torch leaves the Concat's axes symbolic).
    dims = m.graph.output[0].type.tensor_type.shape.dim
    for axis, size in ((1, 84), (2, 8400)):
        dims[axis].Clear()
        dims[axis].dim_value = size
    coco = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
            "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
            "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
            "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
            "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
            "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
            "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
            "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase",
            "scissors", "teddy bear", "hair drier", "toothbrush"]
    for key, value in {"names": str(dict(enumerate(coco))), "imgsz": "[640, 640]", "stride": "32", "task": "detect"}.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(m, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
