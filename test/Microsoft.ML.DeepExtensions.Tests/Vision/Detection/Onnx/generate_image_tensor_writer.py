#!/usr/bin/python3
"""Golden network inputs for ImageTensorWriter (image_tensor_writer_golden.json), from PyTorch 1.13.

Each case is a small random 8-bit BGRA image (seeded), the network input size, letterbox or stretch, the padding grey
level and the per-channel normalization (scale, offset). Stored: the grey levels PyTorch computes on the float pixels,
the RGB planes resized to the content size with F.interpolate(mode="bilinear", align_corners=False) (half-pixel
centres, clamped edges, no antialiasing) and placed at the letterbox offset, the rest the padding level, before any
rounding. The test rounds them to whole levels as an 8-bit resize stores them (halves up; either way where a level lies
within 1e-3 of a half but not on it, where float rounding decides) and normalizes them (level · scale + offset). Letterbox sizes follow Ultralytics: s = min(W/w, H/h), content round(w·s) × round(h·s)
(half away from zero), pad (W - content) // 2 left and top.

Rerun with Debian's PyTorch:

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Detection/Onnx/generate_image_tensor_writer.py
"""

import json
import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
UNIT = ([1 / 255] * 3, [0.0] * 3)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
IMAGENET = ([1 / (255 * s) for s in STD], [-m / s for m, s in zip(MEAN, STD)])

# name, source (w, h), target (w, h), mode, padding, (scale, offset)
CASES = [
    ("letterbox down along x", (9, 5), (8, 8), "letterbox", 114, UNIT),
    ("letterbox up", (5, 3), (12, 12), "letterbox", 114, UNIT),
    ("letterbox copy, padded rows", (6, 4), (6, 6), "letterbox", 128, UNIT),
    ("letterbox down, tall", (7, 13), (10, 10), "letterbox", 114, UNIT),
    ("stretch down x up y, imagenet", (7, 6), (4, 9), "stretch", 0, IMAGENET),
    ("stretch copy x, imagenet", (8, 4), (8, 7), "stretch", 0, IMAGENET),
    ("stretch identity, imagenet", (5, 5), (5, 5), "stretch", 0, IMAGENET),
    ("stretch down by 3", (31, 17), (10, 6), "stretch", 0, UNIT),
]


def content_size(w, h, tw, th, mode):
    if mode == "stretch":
        return tw, th
    s = min(tw / w, th / h)
    round_half_away = lambda v: int(math.floor(v + 0.5))
    return min(max(round_half_away(w * s), 1), tw), min(max(round_half_away(h * s), 1), th)


def main():
    rng = np.random.default_rng(20261206)
    cases = []
    for name, (w, h), (tw, th), mode, padding, (scale, offset) in CASES:
        bgra = rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8)
        rgb = torch.from_numpy(bgra[:, :, [2, 1, 0]].astype(np.float32)).permute(2, 0, 1).unsqueeze(0)
        cw, ch = content_size(w, h, tw, th, mode)
        left, top = (tw - cw) // 2, (th - ch) // 2
        content = F.interpolate(rgb, size=(ch, cw), mode="bilinear", align_corners=False)[0]
        out = torch.full((3, th, tw), float(padding))
        out[:, top:top + ch, left:left + cw] = content
        cases.append({
            "name": name, "width": w, "height": h, "bgra": bgra.reshape(-1).tolist(),
            "targetWidth": tw, "targetHeight": th, "mode": mode, "padding": padding,
            "scale": scale, "offset": offset,
            "contentWidth": cw, "contentHeight": ch, "padLeft": left, "padTop": top,
            "grey": [round(float(v), 5) for v in out.reshape(-1)],
        })
    path = HERE / "image_tensor_writer_golden.json"
    path.write_text(json.dumps({"generator": "generate_image_tensor_writer.py, torch " + torch.__version__, "cases": cases}))
    print(f"wrote {path} ({path.stat().st_size:,} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
