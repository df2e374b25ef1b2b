#!/usr/bin/python3
"""Golden files for loading torchvision weights, from PyTorch 1.13 and torchvision 0.14 (Debian).

Writes into Golden/ beside this script; the C# tests in this folder read them:

  photos/*.png             real photos (opencv-doc, skimage), center-cropped and resized to 64x64 with OpenCV
                           (PNG: the pixels the tests decode are exactly the ones scored here).
  ARCH.pt                  torch.save(state_dict) of torchvision.models.ARCH(num_classes=3) with seeded random
                           weights (see below), for resnet18, resnet34, resnet50, alexnet, vgg16, vgg16_bn, googlenet.
  torchvision_weights.json per architecture: every state-dict tensor's name and shape, and the logits of the model
                           (eval mode) on each photo as pixels/255 normalized with ImageNet's mean and std.
  block.pt, block.safetensors  the state dict of a small torchvision BasicBlock (float32 weights, int64
                           num_batches_tracked, a float16 and a bfloat16 copy of one weight) through torch.save
                           and through the safetensors writer below, to check the two readers against each other.

Full-size random weights of these networks take 45 MB (ResNet-18) to 528 MB (VGG-16), so every large weight is a
strided view (torch.as_strided) of one shared pool of seeded normal numbers: torch.save keeps a storage once,
however many tensors view it, so each file stays a few hundred KB while every tensor still has torchvision's name,
shape and a distinct, irregular value pattern. Pool segments are scaled by 1/sqrt(fan-in) so activations stay of
order one through the whole network. (That torch.save files may share storages is also what the C# reader must
handle; TorchSharp.PyBridge 1.4.4 does not.)

Debian ships no Python safetensors package, so block.safetensors is written by the 20-line writer below, from the
format's specification (8-byte little-endian header size, JSON header, raw little-endian data).

Rerun with Debian's PyTorch (about a minute on 2 cores):

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Weights/generate_torchvision_weights.py
"""

import json
import math
import pathlib
import struct

import cv2
import numpy as np
import torch
import torchvision

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "Golden"
SIZE = 64
CLASSES = 3
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
PHOTOS = {
    "fruits": "/usr/share/doc/opencv-doc/examples/data/fruits.jpg",
    "baboon": "/usr/share/doc/opencv-doc/examples/data/baboon.jpg",
    "astronaut": "/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
}
ARCHITECTURES = {
    "resnet18": lambda: torchvision.models.resnet18(num_classes=CLASSES),
    "resnet34": lambda: torchvision.models.resnet34(num_classes=CLASSES),
    "resnet50": lambda: torchvision.models.resnet50(num_classes=CLASSES),
    "alexnet": lambda: torchvision.models.alexnet(num_classes=CLASSES),
    "vgg16": lambda: torchvision.models.vgg16(num_classes=CLASSES),
    "vgg16-bn": lambda: torchvision.models.vgg16_bn(num_classes=CLASSES),
    "googlenet": lambda: torchvision.models.googlenet(num_classes=CLASSES, aux_logits=False, init_weights=False),
}
# Weights with more elements than this are views of the pool; smaller tensors are stored as they are.
VIEW_ABOVE = 2048


def photo(path):
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    image = cv2.resize(image[top:top + side, left:left + side], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    return image  # BGR uint8


def pool_views(model, generator):
    """The model's state dict with every large weight replaced by a strided view of one scaled pool."""
    state = model.state_dict()
    plans, segments, need = {}, {}, {}
    for name, tensor in state.items():
        if tensor.dtype == torch.float32 and name.endswith("weight") and tensor.dim() >= 2 and tensor.numel() > VIEW_ABOVE:
            shape = list(tensor.shape)
            # Overlapping rows: output channel i starts 5 (linear: 3) elements after channel i-1.
            strides = [5, 2] + [int(np.prod(shape[3:]))] * (len(shape) - 3) + [1] if len(shape) == 4 else [3, 1]
            strides = strides[:len(shape)]
            extent = 1 + sum((n - 1) * s for n, s in zip(shape, strides))
            fan_in = int(np.prod(shape[1:]))
            level = round(math.log2(fan_in) / 2)  # scale 2**-level ~ 1/sqrt(fan_in)
            plans[name] = (shape, strides, level)
            need[level] = max(need.get(level, 0), extent)
    offset = 0
    for level in sorted(need):
        segments[level] = offset
        offset += need[level]
    pool = torch.empty(offset)
    for level in sorted(need):
        pool[segments[level]:segments[level] + need[level]] = torch.randn(need[level], generator=generator) * 2.0 ** -level
    result = {}
    for name, tensor in state.items():
        if name in plans:
            shape, strides, level = plans[name]
            result[name] = pool.as_strided(shape, strides, segments[level])
        elif name.endswith("running_var"):
            result[name] = 0.5 + torch.rand(tensor.shape, generator=generator)
        elif name.endswith("num_batches_tracked"):
            result[name] = torch.tensor(7)
        elif name.endswith("weight") and tensor.dim() == 1:  # batch-norm scale
            result[name] = 1.0 + 0.2 * torch.randn(tensor.shape, generator=generator)
        elif tensor.dim() >= 2:  # small convolution or linear weight
            result[name] = torch.randn(tensor.shape, generator=generator) / math.sqrt(np.prod(tensor.shape[1:]))
        else:  # biases and running means
            result[name] = 0.1 * torch.randn(tensor.shape, generator=generator)
    return result, pool.numel()


SAFETENSORS_TYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64", torch.float64: "F64", torch.int32: "I32"}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors format: u64 little-endian header size, JSON header, then each tensor's raw bytes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        data = tensor.contiguous().view(torch.uint8).numpy().tobytes() if tensor.dim() > 0 else tensor.reshape(1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_TYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


def main():
    torch.set_num_threads(2)
    OUT.mkdir(exist_ok=True)
    (OUT / "photos").mkdir(exist_ok=True)
    images = {}
    for name, path in PHOTOS.items():
        bgr = photo(path)
        cv2.imwrite(str(OUT / "photos" / f"{name}.png"), bgr)
        rgb = cv2.cvtColor(cv2.imread(str(OUT / "photos" / f"{name}.png"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        images[name] = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255.0
    batch = torchvision.transforms.functional.normalize(torch.stack(list(images.values())), MEAN, STD)

    result = {"torch": torch.__version__, "torchvision": torchvision.__version__, "input": [3, SIZE, SIZE],
              "classes": CLASSES, "mean": MEAN, "std": STD, "photos": list(images), "architectures": []}
    for index, (arch, create) in enumerate(ARCHITECTURES.items()):
        torch.manual_seed(index)
        model = create().eval()
        state, pool = pool_views(model, torch.Generator().manual_seed(1000 + index))
        torch.save(state, OUT / f"{arch}.pt")
        model.load_state_dict(torch.load(OUT / f"{arch}.pt"))
        with torch.no_grad():
            logits = model(batch)
        result["architectures"].append({
            "name": arch, "reference": f"torchvision.models.{arch.replace('-', '_')}(num_classes={CLASSES})", "pool": pool,
            "tensors": [{"name": n, "shape": list(t.shape)} for n, t in model.state_dict().items()],
            "logits": logits.tolist(),
        })
        print(f"{arch}: {(OUT / f'{arch}.pt').stat().st_size:,} bytes, logits {logits.abs().max():.3g} max")

    torch.manual_seed(42)
    block = torchvision.models.resnet.BasicBlock(4, 4)
    for m in block.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(12345678901)
    state = dict(block.state_dict())
    state["half_copy"] = state["conv1.weight"].half()
    state["bfloat16_copy"] = state["conv1.weight"].bfloat16()
    torch.save(state, OUT / "block.pt")
    write_safetensors(OUT / "block.safetensors", state, {"format": "pt"})
    (OUT / "torchvision_weights.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
