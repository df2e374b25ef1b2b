"""Writes the Fashion-MNIST subset shipped in samples/data/fashion-mnist-subset (IDX .gz files) as image folders,
OUT/train/CLASS/NNNNN.png and OUT/test/CLASS/NNNNN.png, the layout `deepext train --data OUT` reads as a folder
data set with its own test split: the same images, for networks that read RGB images of their own size (e.g. the
ResNet18 package's ImageNet network at 224 x 224), which the CLI resizes folder images to.

    /usr/bin/python3 build/fashion_mnist_to_folders.py OUT [--per-class N]

--per-class N keeps the first N images of each class in each split (a quick smoke run); default: all of them.
Needs numpy and OpenCV (Debian: python3-numpy, python3-opencv).
"""
import argparse
import gzip
import os

import cv2
import numpy as np

CLASSES = ["T-shirt-top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
HERE = os.path.dirname(os.path.abspath(__file__))
SUBSET = os.path.join(HERE, "..", "samples", "data", "fashion-mnist-subset")


def read_idx(name):
    with gzip.open(os.path.join(SUBSET, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--per-class", type=int, default=None)
    args = parser.parse_args()
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(f"{prefix}-labels-idx1-ubyte.gz")
        counts = [0] * len(CLASSES)
        for i, (image, label) in enumerate(zip(images, labels)):
            if args.per_class is not None and counts[label] >= args.per_class:
                continue
            counts[label] += 1
            folder = os.path.join(args.out, split, CLASSES[label])
            os.makedirs(folder, exist_ok=True)
            cv2.imwrite(os.path.join(folder, f"{i:05d}.png"), image)
        print(f"{split}: {sum(counts)} images, {min(counts)}-{max(counts)} per class")


if __name__ == "__main__":
    main()
