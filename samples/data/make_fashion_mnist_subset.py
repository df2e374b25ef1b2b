#!/usr/bin/python3
"""Writes a small, class-balanced, seeded subset of Fashion-MNIST in the original IDX .gz layout.

Source: Debian's `dataset-fashion-mnist` package (/usr/share/datasets/fashion-mnist), the full
Fashion-MNIST (60,000 training and 10,000 test images of 28x28 grey pixels, 10 classes).
Output: samples/data/fashion-mnist-subset/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz with
TRAIN_PER_CLASS training images per class (drawn from the training file) and TEST_PER_CLASS test
images per class (drawn from the test file). Within each file the chosen images keep their
original relative order, so classes stay interleaved as in the source.

The gzip streams carry no file name and mtime 0: running the script again writes identical bytes.
Usage: /usr/bin/python3 samples/data/make_fashion_mnist_subset.py [--source DIR] [--output DIR]
"""
import argparse
import gzip
import hashlib
import os
import struct

import numpy as np

SEED = 20251126
TRAIN_PER_CLASS = 250
TEST_PER_CLASS = 80
CLASSES = 10


def read_idx(path, dimensions):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != 0x0800 | dimensions:
        raise SystemExit(f"{path}: magic number 0x{magic:08x}, expected 0x{0x0800 | dimensions:08x}")
    shape = struct.unpack(">" + "I" * dimensions, data[4:4 + 4 * dimensions])
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions)
    if array.size != int(np.prod(shape)):
        raise SystemExit(f"{path}: {array.size} bytes of data, header says {shape}")
    return array.reshape(shape)


def write_idx(path, array):
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
        f.write(header)
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def balanced_indices(labels, per_class, rng):
    chosen = []
    for c in range(CLASSES):
        candidates = np.flatnonzero(labels == c)
        if candidates.size < per_class:
            raise SystemExit(f"class {c} has only {candidates.size} images, {per_class} wanted")
        chosen.append(rng.choice(candidates, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--output", default=os.path.join(here, "fashion-mnist-subset"))
    args = parser.parse_args()
    os.makedirs(args.output, exist_ok=True)

    rng = np.random.RandomState(SEED)
    for split, per_class in (("train", TRAIN_PER_CLASS), ("t10k", TEST_PER_CLASS)):
        images = read_idx(os.path.join(args.source, f"{split}-images-idx3-ubyte.gz"), 3)
        labels = read_idx(os.path.join(args.source, f"{split}-labels-idx1-ubyte.gz"), 1)
        if images.shape[0] != labels.shape[0]:
            raise SystemExit(f"{split}: {images.shape[0]} images but {labels.shape[0]} labels")
        index = balanced_indices(labels, per_class, rng)
        for name, array in ((f"{split}-images-idx3-ubyte.gz", images[index]), (f"{split}-labels-idx1-ubyte.gz", labels[index])):
            path = os.path.join(args.output, name)
            write_idx(path, array)
            digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
            print(f"{name}: shape {array.shape}, {os.path.getsize(path):,} bytes, sha256 {digest}")
        print(f"{split}: source rows {index[:5].tolist()}... ({index.size} of {labels.shape[0]}), per class {np.bincount(labels[index]).tolist()}")


if __name__ == "__main__":
    main()
