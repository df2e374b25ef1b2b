#!/usr/bin/python3
"""The model of `deepext bench segmentation`: torchvision 0.14's lraspp_mobilenet_v3_large (random weights, PASCAL VOC's
21 classes), exported to ONNX as torchvision's models export (input "input" [B, 3, 520, 520], dynamic batch; output "out"
[B, 21, 520, 520]). Real size and cost (13 MB), too big to commit: the bench generates it into a cache folder.

    /usr/bin/python3 generate_lraspp_bench_model.py OUT.onnx
"""

import sys

import onnx
import torch
from torchvision.models.segmentation import lraspp_mobilenet_v3_large


class OutOnly(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def main():
    torch.manual_seed(0)
    model = OutOnly(lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21)).eval()
    torch.onnx.export(model, torch.zeros(1, 3, 520, 520), sys.argv[1], opset_version=11, input_names=["input"], output_names=["out"],
                      dynamic_axes={"input": {0: "batch"}, "out": {0: "batch"}}, do_constant_folding=True)
    # The exporter leaves the output's class and size axes symbolic after the final Resize; they are fixed (21 classes,
    # 520 x 520), and saying so lets readers know the class count before running it.
    m = onnx.load(sys.argv[1])
    dims = m.graph.output[0].type.tensor_type.shape.dim
    for axis, value in ((1, 21), (2, 520), (3, 520)):
        dims[axis].Clear()
        dims[axis].dim_value = value
    onnx.save(m, sys.argv[1])
    print(f"wrote {sys.argv[1]}")


if __name__ == "__main__":
    main()
