#!/usr/bin/python3
"""Golden values of the Vision CNN layers and architectures, from PyTorch 1.13 and torchvision 0.14.

Writes vision_layers.json beside this script. The C# tests in Layers/ and Architectures/ read it:

  layers         per case: the input, the weights (if any) and PyTorch's output for a layer with the
                 given hyperparameters. Convolutions with "same" padding are checked against PyTorch's
                 own padding='same' (stride 1) and, for strides above 1 where PyTorch has none,
                 against explicit zero padding of ceil(n/s)-sized outputs (TensorFlow's definition,
                 the odd pixel after) followed by PyTorch's convolution.
  architectures  per torchvision model: every parameter's name and shape and the total parameter
                 count, for a 3x224x224 input and 1,000 classes, so the C# modules can be compared
                 name by name.

Deterministic (inputs and weights from closed formulas, no random numbers). Rerun after changing a
case, with Debian's PyTorch:

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Golden/generate_vision_layers.py
"""

import json
import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

torch.use_deterministic_algorithms(True)


def values(shape, scale, phase):
    """A fixed float32 tensor: scale * cos(0.37 * i + phase) over the flattened index i."""
    n = int(np.prod(shape))
    return (scale * torch.cos(0.37 * torch.arange(n, dtype=torch.float64) + phase)).to(torch.float32).reshape(shape)


def floats(tensor):
    return np.asarray(tensor.detach(), dtype=np.float32).tolist()


def same_padding(n, f, s, d):
    out = -(-n // s)
    total = max((out - 1) * s + d * (f - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def convolution_case(name, shape, filters, kernel, stride, dilation, padding):
    x = values(shape, 2.0, 0.0)
    w = values((filters, shape[0], kernel, kernel), 0.5, 1.0)
    b = values((filters,), 0.3, 2.0)
    if padding == "same" and stride == 1:
        y = F.conv2d(x.unsqueeze(0), w, b, stride=1, padding="same", dilation=dilation)[0]
        reference = "torch.nn.functional.conv2d(padding='same')"
    elif padding == "same":
        top, bottom = same_padding(shape[1], kernel, stride, dilation)
        left, right = same_padding(shape[2], kernel, stride, dilation)
        padded = F.pad(x.unsqueeze(0), (left, right, top, bottom))
        y = F.conv2d(padded, w, b, stride=stride, dilation=dilation)[0]
        reference = "torch.nn.functional.pad (TensorFlow 'same' amounts) + conv2d"
    else:
        y = F.conv2d(x.unsqueeze(0), w, b, stride=stride, padding=padding, dilation=dilation)[0]
        reference = "torch.nn.functional.conv2d"
    return {
        "name": name, "layer": "convolution", "reference": reference,
        "filters": filters, "kernel": kernel, "stride": stride, "dilation": dilation, "padding": padding,
        "input": floats(x), "weight": floats(w), "bias": floats(b), "output": floats(y),
    }


def layer_cases():
    cases = [
        convolution_case("conv-same-stride2-dilation2", (2, 7, 8), 3, 3, 2, 2, "same"),
        convolution_case("conv-same-stride1-even-kernel", (2, 6, 5), 2, 4, 1, 1, "same"),
        convolution_case("conv-same-stride1-dilation2", (1, 6, 6), 2, 3, 1, 2, "same"),
        convolution_case("conv-explicit-stride2", (2, 7, 7), 2, 3, 2, 1, 1),
        convolution_case("conv-valid", (3, 6, 5), 2, 3, 1, 1, 0),
    ]
    for name, size, alpha, beta, k in [("lrn-alexnet", 5, 1e-4, 0.75, 2.0), ("lrn-strong", 3, 0.5, 0.75, 1.0)]:
        x = values((7, 3, 4), 3.0, 0.5)
        y = torch.nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)(x.unsqueeze(0))[0]
        cases.append({"name": name, "layer": "lrn", "reference": "torch.nn.LocalResponseNorm",
                      "size": size, "alpha": alpha, "beta": beta, "k": k, "input": floats(x), "output": floats(y)})
    x = values((2, 8, 7), 1.5, 0.25)
    cases.append({"name": "maxpool-ceil", "layer": "maxpool", "reference": "torch.nn.MaxPool2d(3, 2, ceil_mode=True)",
                  "kernel": 3, "stride": 2, "padding": 0, "ceil": True,
                  "input": floats(x), "output": floats(torch.nn.MaxPool2d(3, 2, ceil_mode=True)(x.unsqueeze(0))[0])})
    cases.append({"name": "avgpool-padded", "layer": "avgpool", "reference": "torch.nn.AvgPool2d(3, 2, padding=1)",
                  "kernel": 3, "stride": 2, "padding": 1, "ceil": False,
                  "input": floats(x), "output": floats(torch.nn.AvgPool2d(3, 2, padding=1)(x.unsqueeze(0))[0])})
    cases.append({"name": "adaptive-avgpool", "layer": "adaptive-avgpool", "reference": "torch.nn.AdaptiveAvgPool2d((3, 2))",
                  "height": 3, "width": 2,
                  "input": floats(x), "output": floats(torch.nn.AdaptiveAvgPool2d((3, 2))(x.unsqueeze(0))[0])})
    return cases


def architecture(name, model):
    parameters = [{"name": n, "shape": list(p.shape)} for n, p in model.named_parameters()]
    return {"name": name, "reference": f"torchvision.models.{model.__class__.__name__}",
            "total": sum(p.numel() for p in model.parameters()), "parameters": parameters}


def architectures():
    models = torchvision.models
    return [
        architecture("resnet18", models.resnet18()),
        architecture("resnet50", models.resnet50()),
        architecture("googlenet", models.googlenet(aux_logits=False, init_weights=False)),
        # Totals only for the rest (their module names inside features/classifier are descriptive here).
        {"name": "alexnet", "total": sum(p.numel() for p in models.alexnet().parameters())},
        {"name": "vgg16", "total": sum(p.numel() for p in models.vgg16().parameters())},
        {"name": "vgg16-bn", "total": sum(p.numel() for p in models.vgg16_bn().parameters())},
        {"name": "resnet34", "total": sum(p.numel() for p in models.resnet34().parameters())},
    ]


def main():
    result = {
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "layers": layer_cases(), "architectures": architectures(),
    }
    path = pathlib.Path(__file__).with_name("vision_layers.json")
    path.write_text(json.dumps(result, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
