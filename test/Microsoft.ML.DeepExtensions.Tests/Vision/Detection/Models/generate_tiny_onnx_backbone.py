"""Writes tiny_onnx_backbone.onnx, a small pretrained-style CNN exported by PyTorch (Debian's python3-torch 1.13), which
OnnxBackboneRcnnTests uses as the ONNX backbone of Faster R-CNN and Mask R-CNN.

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Detection/Models/generate_tiny_onnx_backbone.py

The network: a stride-2 stem, then four stride-2 stages (8, 16, 24 and 32 channels; strides 4, 8, 16 and 32), each
convolution, batch normalization (running statistics exported as such) and ReLU, then global average pooling and a
10-class linear classifier. Its outputs are the logits (`logits`, [N, 10]: not a feature map) and the four stage maps
(`stage1` ... `stage4`), so ONNX Runtime gives the reference value of every map the detector reads. Seeded weights;
the batch, height and width are free dimensions.
"""
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class TinyBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = block(3, 8)
        self.stage1 = block(8, 8)
        self.stage2 = block(8, 16)
        self.stage3 = block(16, 24)
        self.stage4 = block(24, 32)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        s1 = self.stage1(self.stem(x))
        s2 = self.stage2(s1)
        s3 = self.stage3(s2)
        s4 = self.stage4(s3)
        logits = self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(s4, 1), 1))
        return logits, s1, s2, s3, s4


def main():
    torch.manual_seed(12)
    model = TinyBackbone()
    with torch.no_grad():
        # Running statistics away from 0 and 1, so a backbone that ignored them would differ.
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.8, 1.2)
                m.bias.uniform_(-0.1, 0.1)
    model.eval()
    names = ["logits", "stage1", "stage2", "stage3", "stage4"]
    axes = {"image": {0: "N", 2: "H", 3: "W"}}
    axes.update({n: {0: "N"} if n == "logits" else {0: "N", 2: f"h{n[-1]}", 3: f"w{n[-1]}"} for n in names})
    torch.onnx.export(model, torch.rand(1, 3, 64, 64), os.path.join(HERE, "tiny_onnx_backbone.onnx"), opset_version=13,
                      input_names=["image"], output_names=names, dynamic_axes=axes,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)


if __name__ == "__main__":
    main()
