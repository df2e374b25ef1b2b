#!/usr/bin/python3
"""Golden values of the building blocks (activations, losses, optimizers, schedules), from PyTorch.

Writes building_blocks.json beside this script. The C# tests in BuildingBlocks/ read it, run the
same spec (for example "leaky-relu:slope=0.2") through the DeepExtensions registries and compare
with a tolerance of 1e-5 (absolute plus relative). The inputs are written into the JSON as well, so
both sides use exactly the same float32 numbers. Every case names its PyTorch reference below.

  activations  input x; per spec: f(x) and d sum(f(x)) / dx.
  losses       named input sets (output, target) per task; per spec and set: the mean loss and
               d loss / d output.
  optimizers   starting parameters and five fixed gradient vectors; per spec: the parameters after
               each of the five steps.
  schedules    base learning rate, epochs and a monitored-loss sequence; per spec: the learning
               rate used in each epoch.

Deterministic (fixed inputs, no random numbers). Rerun after changing a case, with Debian's PyTorch:

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Golden/generate_building_blocks.py
"""

import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)


def f32(values):
    return torch.tensor(values, dtype=torch.float32)


def floats(tensor):
    """float32 values as their shortest round-trip text (kept as numbers in the JSON)."""
    return np.asarray(tensor.detach(), dtype=np.float32).tolist() if tensor.dim() else float(tensor)


# ---------------------------------------------------------------- activations

ACTIVATION_INPUT = f32([-25, -5, -2.5, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2.5, 5, 12, 25])

ACTIVATIONS = {
    "sigmoid": torch.nn.Sigmoid(),
    "tanh": torch.nn.Tanh(),
    "relu": torch.nn.ReLU(),
    "leaky-relu": torch.nn.LeakyReLU(),
    "leaky-relu:slope=0.2": torch.nn.LeakyReLU(negative_slope=0.2),
    "elu": torch.nn.ELU(),
    "elu:alpha=0.5": torch.nn.ELU(alpha=0.5),
    "softplus": torch.nn.Softplus(),
    "softplus:beta=2,threshold=5": torch.nn.Softplus(beta=2, threshold=5),  # 2 * 2.5 = 5 sits on the threshold
}


def activation_cases():
    cases = []
    for spec, module in ACTIVATIONS.items():
        x = ACTIVATION_INPUT.clone().requires_grad_(True)
        y = module(x)
        y.sum().backward()
        cases.append({"spec": spec, "output": floats(y), "grad": floats(x.grad)})
    return {"input": floats(ACTIVATION_INPUT), "cases": cases}


# ---------------------------------------------------------------- losses

BINARY, MULTICLASS, REGRESSION = "BinaryClassification", "MulticlassClassification", "Regression"

LOSS_INPUTS = {
    # errors 0.5, -0.2, 2.5, 0.2, -1.8, 3.5: inside and beyond Huber's delta 1 and 2
    "regression": (REGRESSION, f32([0.5, -1.2, 3.0, 2.2, -0.3, 4.5]), f32([0.0, -1.0, 0.5, 2.0, 1.5, 1.0])),
    "binary": (BINARY, f32([2.0, -1.0, 0.3, -0.7, 1.5, 0.0]), f32([1, 0, 0, 1, 1, 0])),
    # sigmoid saturates to exactly 0 or 1 in float32: the log clamp at -100 decides
    "binary-extreme": (BINARY, f32([50, -50, 30, -30, 120, -120, 50, -120]), f32([0, 1, 1, 0, 0, 1, 1, 0])),
    "multiclass": (MULTICLASS,
                   f32([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [-0.3, 0.2, 0.8], [1.2, -0.4, 0.6], [0.0, 0.0, 0.0]]),
                   torch.tensor([0, 1, 2, 2, 1])),
    "multiclass-extreme": (MULTICLASS,
                           f32([[100, -100, 0], [-100, 100, 0], [50, 0, -50], [0, 200, -200]]),
                           torch.tensor([1, 1, 0, 2])),
}


def binary_hinge(s, y):
    return torch.clamp(1 - (2 * y - 1) * s, min=0).mean()


def binary_log_loss(s, y):
    return F.binary_cross_entropy(torch.sigmoid(s), y)  # BCELoss clamps log p at -100


def multiclass_log_loss(s, y):
    # -log softmax(s)_y with the log clamped at -100 as BCELoss does; log_softmax rather than
    # log(softmax) so a probability that underflows to 0 gives a zero gradient, not NaN
    return F.nll_loss(torch.clamp(F.log_softmax(s, dim=1), min=-100), y)


LOSSES = [
    ("l1", ["regression"], lambda s, y: F.l1_loss(s, y)),
    ("l2", ["regression"], lambda s, y: F.mse_loss(s, y)),
    ("huber", ["regression"], lambda s, y: F.huber_loss(s, y, delta=1.0)),
    ("huber:delta=2", ["regression"], lambda s, y: F.huber_loss(s, y, delta=2.0)),
    ("hinge", ["binary"], binary_hinge),
    ("hinge", ["multiclass", "multiclass-extreme"], lambda s, y: F.multi_margin_loss(s, y, p=1, margin=1.0)),
    ("cross-entropy", ["binary", "binary-extreme"], binary_log_loss),
    ("cross-entropy", ["multiclass", "multiclass-extreme"], multiclass_log_loss),
    ("sigmoid-cross-entropy", ["binary", "binary-extreme"], F.binary_cross_entropy_with_logits),
    ("softmax-cross-entropy", ["multiclass", "multiclass-extreme"], F.cross_entropy),
    ("softmax-cross-entropy:label-smoothing=0.1", ["multiclass", "multiclass-extreme"],
     lambda s, y: F.cross_entropy(s, y, label_smoothing=0.1)),
]


def loss_cases():
    inputs = {name: {"task": task, "output": floats(s), "target": y.tolist() if y.dtype == torch.int64 else floats(y)}
              for name, (task, s, y) in LOSS_INPUTS.items()}
    cases = []
    for spec, input_names, loss in LOSSES:
        for name in input_names:
            task, s, y = LOSS_INPUTS[name]
            s = s.clone().requires_grad_(True)
            value = loss(s, y)
            value.backward()
            assert torch.isfinite(value) and torch.isfinite(s.grad).all(), (spec, name)
            cases.append({"spec": spec, "inputs": name, "task": task, "loss": floats(value), "grad": floats(s.grad)})
    return {"inputs": inputs, "cases": cases}


# ---------------------------------------------------------------- optimizers

START = f32([0.5, -1.0, 2.0, -0.3, 0.0, 1.5])
GRADIENTS = f32([
    [0.1, -0.2, 0.3, 0.0, 1.0, -0.5],
    [0.2, -0.1, -0.3, 0.05, 0.5, -0.5],
    [-0.1, 0.4, 0.2, -0.05, 0.25, 0.0],
    [0.3, 0.0, -0.2, 0.1, -0.5, 0.5],
    [0.05, -0.3, 0.1, 0.0, 0.1, 1.0],
])

O = torch.optim
OPTIMIZERS = {
    "sgd": lambda p: O.SGD(p, lr=0.01),
    "sgd:learning-rate=0.1,weight-decay=0.1": lambda p: O.SGD(p, lr=0.1, weight_decay=0.1),
    "momentum": lambda p: O.SGD(p, lr=0.01, momentum=0.9),
    "momentum:nesterov=true": lambda p: O.SGD(p, lr=0.01, momentum=0.9, nesterov=True),
    "momentum:momentum=0.5,dampening=0.3,weight-decay=0.01": lambda p: O.SGD(p, lr=0.01, momentum=0.5, dampening=0.3, weight_decay=0.01),
    "momentum:learning-rate=0.05,momentum=0.95,nesterov=true": lambda p: O.SGD(p, lr=0.05, momentum=0.95, nesterov=True),
    "adagrad": lambda p: O.Adagrad(p),
    "adagrad:learning-rate=0.1,learning-rate-decay=0.05,initial-accumulator=0.1,weight-decay=0.01":
        lambda p: O.Adagrad(p, lr=0.1, lr_decay=0.05, initial_accumulator_value=0.1, weight_decay=0.01),
    "adadelta": lambda p: O.Adadelta(p),
    "adadelta:learning-rate=0.5,rho=0.5,epsilon=1e-4,weight-decay=0.1": lambda p: O.Adadelta(p, lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1),
    "rmsprop": lambda p: O.RMSprop(p),
    "rmsprop:centered=true": lambda p: O.RMSprop(p, centered=True),
    "rmsprop:alpha=0.9,momentum=0.9,centered=true,weight-decay=0.01": lambda p: O.RMSprop(p, alpha=0.9, momentum=0.9, centered=True, weight_decay=0.01),
    "adam": lambda p: O.Adam(p),
    "adam:amsgrad=true": lambda p: O.Adam(p, amsgrad=True),
    "adam:weight-decay=0.1": lambda p: O.Adam(p, weight_decay=0.1),
    "adam:learning-rate=0.01,beta1=0.5,beta2=0.9,epsilon=1e-6": lambda p: O.Adam(p, lr=0.01, betas=(0.5, 0.9), eps=1e-6),
    "adamw": lambda p: O.AdamW(p),  # PyTorch's default weight decay 0.01
    "adamw:ams-grad=true,weight-decay=0.1": lambda p: O.AdamW(p, amsgrad=True, weight_decay=0.1),
    "adamw:learning-rate=0.01,weight-decay=0": lambda p: O.AdamW(p, lr=0.01, weight_decay=0),
}


def optimizer_cases():
    cases = []
    for spec, create in OPTIMIZERS.items():
        parameter = torch.nn.Parameter(START.clone())
        optimizer = create([parameter])
        steps = []
        for gradient in GRADIENTS:
            optimizer.zero_grad()
            parameter.grad = gradient.clone()
            optimizer.step()
            steps.append(floats(parameter))
        cases.append({"spec": spec, "steps": steps})
    return {"start": floats(START), "gradients": floats(GRADIENTS), "cases": cases}


# ---------------------------------------------------------------- schedules

BASE_LR, EPOCHS = 0.1, 25
MONITORED = [1.0, 0.8, 0.7, 0.69, 0.69995, 0.70, 0.71, 0.68, 0.65, 0.65, 0.6499, 0.66, 0.67,
             0.64, 0.6399, 0.64, 0.65, 0.66, 0.63, 0.63, 0.63, 0.63, 0.62, 0.62, 0.62]

S = O.lr_scheduler
SCHEDULES = {
    "constant": lambda o: S.LambdaLR(o, lambda epoch: 1.0),
    "step": lambda o: S.StepLR(o, step_size=10, gamma=0.1),
    "step:step-size=5,gamma=0.5": lambda o: S.StepLR(o, step_size=5, gamma=0.5),
    "cosine": lambda o: S.CosineAnnealingLR(o, T_max=EPOCHS),
    "cosine:max-epochs=10,min-learning-rate=0.01": lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01),  # rises again after 10
    "reduce-on-plateau": lambda o: S.ReduceLROnPlateau(o),
    "reduce-on-plateau:patience=2": lambda o: S.ReduceLROnPlateau(o, patience=2),
    "reduce-on-plateau:factor=0.5,patience=1,cooldown=2,min-learning-rate=0.02":
        lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=2, min_lr=0.02),
    "reduce-on-plateau:patience=1,threshold=0.05": lambda o: S.ReduceLROnPlateau(o, patience=1, threshold=0.05),
}


def schedule_cases():
    cases = []
    for spec, create in SCHEDULES.items():
        optimizer = O.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE_LR)
        scheduler = create(optimizer)
        rates = []
        for epoch in range(EPOCHS):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if isinstance(scheduler, S.ReduceLROnPlateau):
                scheduler.step(MONITORED[epoch])
            else:
                scheduler.step()
        cases.append({"spec": spec, "learning_rates": rates})
    return {"base_learning_rate": BASE_LR, "total_epochs": EPOCHS, "monitored_losses": MONITORED, "cases": cases}


# ---------------------------------------------------------------- output

def dump(value, indent=0):
    """JSON with every list of numbers on one line."""
    pad = "  " * indent
    if isinstance(value, dict):
        items = [f'{pad}  {json.dumps(k)}: {dump(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        flat = all(isinstance(v, list) and not any(isinstance(w, (dict, list)) for w in v) for v in value)
        if flat:
            return "[" + ", ".join(dump(v) for v in value) + "]"
        return "[\n" + ",\n".join(f"{pad}  {dump(v, indent + 1)}" for v in value) + f"\n{pad}]"
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    if isinstance(value, float) and value == int(value) and abs(value) < 1e15:
        return f"{value:.1f}"
    if isinstance(value, float):
        return str(np.float32(value)) if float(np.float32(value)) == value else repr(value)
    return json.dumps(value)


def main():
    golden = {
        "generator": "generate_building_blocks.py",
        "torch_version": torch.__version__,
        "activations": activation_cases(),
        "losses": loss_cases(),
        "optimizers": optimizer_cases(),
        "schedules": schedule_cases(),
    }
    path = pathlib.Path(__file__).with_name("building_blocks.json")
    path.write_text(dump(golden) + "\n")
    json.loads(path.read_text())  # check the hand-made layout
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
