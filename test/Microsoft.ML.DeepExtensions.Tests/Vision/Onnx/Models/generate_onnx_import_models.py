"""Small ONNX graphs exported by PyTorch (Debian's python3-torch 1.13) that use every operator the
importer supports, with PyTorch's own outputs as golden values.

Run with Debian's Python:  /usr/bin/python3 generate_onnx_import_models.py
Writes ops_opset9.onnx, ops_opset11.onnx, ops_opset13.onnx and ops_golden.json next to this script.
The test (OnnxImportTests) imports each graph, runs it with TorchSharp and compares with these outputs
and with ONNX Runtime.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(12)


class OperatorZoo(nn.Module):
    """Conv (grouped, dilated, asymmetric padding through Pad), BatchNormalization, Relu, LeakyRelu,
    Sigmoid, Tanh, Add, Mul, Sub, Div, Concat, MaxPool (ceil mode), AveragePool (with and without counting
    padding), GlobalAveragePool, Upsample/Resize (nearest and bilinear), Flatten, Gemm, MatMul, Reshape,
    Dropout and Softmax."""

    def __init__(self, pad, bilinear):
        super().__init__()
        # Opset 9 has no bilinear resize that matches PyTorch's; from opset 11 PyTorch exports F.pad with computed pads.
        self.pad = pad
        self.bilinear = bilinear
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.conv3 = nn.Conv2d(16, 12, 1)
        self.fc1 = nn.Linear(12 * 4 * 4, 20)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(20, 5)
        self.proj = nn.Parameter(torch.randn(5, 5) * 0.5)
        for bn in (self.bn1, self.bn2):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.2, 0.2)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))                  # 8 x 8 x 8
        y = F.leaky_relu(self.bn2(self.conv2(x)), 0.2)       # 8 x 8 x 8
        x = torch.cat([x * torch.sigmoid(y), torch.tanh(y) - x / 2], 1)   # 16 x 8 x 8
        if self.pad:
            x = F.pad(x, (0, 1, 1, 0))                        # 16 x 9 x 9, uneven
        x = F.max_pool2d(x, 3, stride=2, ceil_mode=True)      # 16 x 4 x 4
        a = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        b = F.avg_pool2d(x, 3, stride=1, padding=1)
        x = self.conv3(a + b)                                 # 12 x 4 x 4
        up = F.interpolate(x, scale_factor=2, mode="nearest")
        if self.bilinear:
            up = up + F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = x + F.avg_pool2d(up, 2) + F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        x = self.drop(F.relu(self.fc1(x)))
        x = self.fc2(x)
        x = torch.matmul(x, self.proj).reshape(-1, 5)
        return F.softmax(x, 1)


def main():
    x = torch.rand(2, 3, 16, 16)
    golden = {"input_shape": list(x.shape), "input": x.flatten().tolist()}
    for opset in (9, 11, 13):
        torch.manual_seed(12)
        model = OperatorZoo(pad=opset < 11, bilinear=opset >= 11).eval()
        with torch.no_grad():
            expected = model(x)
        golden[f"opset{opset}"] = expected.flatten().tolist()
        golden["output_shape"] = list(expected.shape)
        torch.onnx.export(model, x, os.path.join(HERE, f"ops_opset{opset}.onnx"), opset_version=opset,
                          input_names=["image"], output_names=["probabilities"],
                          dynamic_axes={"image": {0: "N"}, "probabilities": {0: "N"}}, do_constant_folding=True)
    with open(os.path.join(HERE, "ops_golden.json"), "w") as f:
        json.dump(golden, f)


if __name__ == "__main__":
    main()
