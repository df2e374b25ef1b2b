#!/usr/bin/env python3
"""PyTorch counterpart of `deepext train --task image-classification` on Fashion-MNIST, for
build/gpu-image-bench.sh: the same architectures (small-cnn as DeepExtensions defines it; ResNet-18
as torchvision's with a 1-channel first convolution), Adam at 0.001 with a cosine schedule over the
epochs, the same batch size, pixels scaled to [0, 1]. Prints images/s per epoch and the test accuracy.

    python3 build/pytorch_fashion_mnist.py --data DIR --arch small-cnn|resnet18 --epochs 5 [--device cuda]
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise FileNotFoundError(f"{stem}[.gz] not in {directory}")


def small_cnn(classes):
    def stage(cin, cout, pool):
        layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        return layers + ([nn.MaxPool2d(2)] if pool else [])
    return nn.Sequential(*stage(1, 32, True), *stage(32, 64, True), *stage(64, 128, False),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(128, classes))


def resnet18(classes):
    import torchvision
    model = torchvision.models.resnet18(num_classes=classes)
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--arch", default="small-cnn", choices=["small-cnn", "resnet18"])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    x = torch.from_numpy(read_idx(find(args.data, "train-images-idx3-ubyte")).astype(np.float32) / 255).unsqueeze(1).to(device)
    y = torch.from_numpy(read_idx(find(args.data, "train-labels-idx1-ubyte")).astype(np.int64)).to(device)
    tx = torch.from_numpy(read_idx(find(args.data, "t10k-images-idx3-ubyte")).astype(np.float32) / 255).unsqueeze(1).to(device)
    ty = torch.from_numpy(read_idx(find(args.data, "t10k-labels-idx1-ubyte")).astype(np.int64)).to(device)
    model = (small_cnn if args.arch == "small-cnn" else resnet18)(10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    rows = x.shape[0]
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        epoch_start = time.perf_counter()
        order = torch.randperm(rows, device=device)
        total = torch.zeros((), device=device)
        for i in range(0, rows, args.batch_size):
            index = order[i:i + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
            total += loss.detach() * index.numel()
        schedule.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - epoch_start
        print(f"epoch {epoch + 1}/{args.epochs}  loss {total.item() / rows:.4g}  {rows / seconds:,.0f} images/s")
    train_seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, tx.shape[0], 1000):
            correct += (model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item()
    print(f"pytorch {args.arch}: test accuracy {correct / tx.shape[0]:.4f}, "
          f"{rows * args.epochs / train_seconds:,.0f} images/s over {train_seconds:.1f} s ({torch.__version__}, {device})")


if __name__ == "__main__":
    main()
