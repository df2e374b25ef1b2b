#!/usr/bin/python3
"""Times Mask R-CNN's mask head alone in Debian's PyTorch (issue 10's training-speed comparison).

torchvision's mask head is four 3x3 convolutions of 256 channels on each RoI's 14x14 pooled features, a 2x2
stride-2 transposed convolution to 28x28 and a 1x1 predictor: with up to 128 positive RoIs per image it is most of a
Mask R-CNN training step on a CPU. This prints the median of 3 forward and forward + backward passes over N RoIs,
with --part conv (the four convolutions), deconv (the transposed convolution and the predictor) or all.

The project's side is `deepext bench mask-head [--rois 64] [--part all|conv|deconv]` (its MaskRcnnHeads and
MaskRcnnPredictor through TorchSharp's LibTorch 2.10, whose oneDNN is capped at SSE4.1 on the AMD EPYC machines where
its AVX kernels compute wrong convolutions: README, "Wrong convolutions on AVX machines").

Usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 samples/data/detection/mask_head_speed.py [--rois 64] [--threads 1] [--part all]
"""
import argparse
import time

import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rois", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--part", choices=("all", "conv", "deconv"), default="all")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    layers = []
    if args.part != "deconv":
        for _ in range(4):
            layers += [torch.nn.Conv2d(256, 256, 3, padding=1), torch.nn.ReLU()]
    if args.part != "conv":
        layers += [torch.nn.ConvTranspose2d(256, 256, 2, stride=2), torch.nn.ReLU(), torch.nn.Conv2d(256, 11, 1)]
    head = torch.nn.Sequential(*layers)
    features = torch.randn(args.rois, 256, 14, 14)

    def step(backward):
        if backward:
            head(features.detach().requires_grad_(True)).square().mean().backward()
            head.zero_grad()
        else:
            with torch.no_grad():
                head(features)

    for backward in (False, True):
        step(backward)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            step(backward)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"PyTorch {torch.__version__} mask head ({args.part}) {'forward+backward' if backward else 'forward'} "
              f"{args.rois} RoIs, {args.threads} thread(s): {times[1]:.0f} ms (median of 3)")


if __name__ == "__main__":
    main()
