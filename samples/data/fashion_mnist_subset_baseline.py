#!/usr/bin/python3
"""Reference accuracies on samples/data/fashion-mnist-subset, from Python libraries, to compare
DeepExtensions' results against (same files, same pixel scaling to [0, 1]).

    /usr/bin/python3 samples/data/fashion_mnist_subset_baseline.py

- scikit-learn MLPClassifier, one hidden layer of 64 ReLU units, Adam 0.001, batches of 200:
  test accuracy after 10 and after 200 epochs.
- PyTorch (Debian's python3-torch) LeNet-5 style CNN: conv 6@5x5 pad 2, ReLU, max-pool 2,
  conv 16@5x5, ReLU, max-pool 2, dense 120, 84, 10; Adam 0.001, batches of 64, 10 epochs.
Seeds are fixed; PyTorch's CPU kernels may still vary in the last digits between machines.
"""
import gzip
import os

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist-subset")


def load(split):
    def read(name, offset):
        with gzip.open(os.path.join(HERE, name), "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    images = read(f"{split}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28).astype(np.float32) / 255
    labels = read(f"{split}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return images, labels


def sklearn_mlp(train, test):
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    for epochs in (10, 200):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = MLPClassifier(hidden_layer_sizes=(64,), max_iter=epochs, random_state=1)
            model.fit(train[0].reshape(len(train[0]), -1), train[1])
        accuracy = model.score(test[0].reshape(len(test[0]), -1), test[1])
        print(f"scikit-learn MLP 64, {epochs} epochs: test accuracy {accuracy:.4f}")


def torch_lenet(train, test, epochs=10):
    import torch
    from torch import nn
    torch.manual_seed(1)
    # One thread: on a shared 2-core machine OpenMP workers spinning for a second core cost more than they give.
    torch.set_num_threads(1)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.from_numpy(train[0]).unsqueeze(1), torch.from_numpy(train[1])
    generator = torch.Generator().manual_seed(1)
    for epoch in range(epochs):
        model.train()
        for batch in torch.randperm(len(x), generator=generator).split(64):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(test[0]).unsqueeze(1)).argmax(1)
    accuracy = (predicted == torch.from_numpy(test[1])).float().mean().item()
    print(f"PyTorch {torch.__version__} LeNet-5, {epochs} epochs: test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    train, test = load("train"), load("t10k")
    print(f"{len(train[1])} training and {len(test[1])} test images")
    sklearn_mlp(train, test)
    torch_lenet(train, test)
