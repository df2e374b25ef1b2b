#!/usr/bin/python3
"""The scikit-learn MLP baseline for the deepext CLI.

Trains scikit-learn's MLPClassifier / MLPRegressor with their default settings on the same CSV
files as `deepext train`, with the same preparation (numeric columns: mean imputation then
StandardScaler; text columns: one-hot), and prints one JSON line per data set with ML.NET's
metric names and definitions (binary LogLoss in bits, multiclass LogLoss in nats, LogLossReduction
against the test set's class prior), so the two can be compared number for number.

    samples/data/sklearn_baseline.py                       # the three sample data sets
    samples/data/sklearn_baseline.py --task binary --data train.csv --test test.csv --label diagnosis

Binary labels use deepext's rule for the positive class: true/yes, else the larger of two numbers,
else the value that sorts later alphabetically (benign/malignant -> malignant).
"""
import argparse
import csv
import json
import math
import os
import sys
import warnings

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score,
                             f1_score, mean_absolute_error, mean_squared_error, precision_score,
                             r2_score, recall_score, roc_auc_score)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = [
    ("binary", "breast-cancer", "diagnosis"),
    ("multiclass", "wine", "cultivar"),
    ("regression", "diabetes", "progression"),
]


def read_csv(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f, skipinitialspace=True) if r]
    return [h.strip() for h in rows[0]], rows[1:]


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def is_missing(text):
    return text == "" or text == "?"


def positive_class(values):
    a, b = sorted(values)
    for negative, positive in (("false", "true"), ("no", "yes")):
        if {a.lower(), b.lower()} == {negative, positive}:
            return a if a.lower() == positive else b
    if is_number(a) and is_number(b) and float(a) != float(b):
        return a if float(a) > float(b) else b
    return max(values, key=lambda v: (v.lower(), v))


def features(header, rows, label, numeric):
    columns = [i for i, h in enumerate(header) if h != label]
    x = np.empty((len(rows), len(columns)), dtype=object)
    for j, i in enumerate(columns):
        for r, row in enumerate(rows):
            value = row[i]
            x[r, j] = (np.nan if is_missing(value) else float(value)) if numeric[header[i]] else value
    return x, [header[i] for i in columns]


def run(task, train_path, test_path, label, seed):
    header, train_rows = read_csv(train_path)
    test_header, test_rows = read_csv(test_path)
    test_rows = [[row[test_header.index(h)] for h in header] for row in test_rows]
    li = header.index(label)
    numeric = {h: all(is_missing(r[i]) or is_number(r[i]) for r in train_rows) for i, h in enumerate(header)}
    x_train, names = features(header, train_rows, label, numeric)
    x_test, _ = features(header, test_rows, label, numeric)
    num = [j for j, n in enumerate(names) if numeric[n]]
    text = [j for j, n in enumerate(names) if not numeric[n]]
    prepare = ColumnTransformer(
        [("numeric", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), num)]
        + ([("text", OneHotEncoder(handle_unknown="ignore"), text)] if text else []))

    y_train = [r[li] for r in train_rows]
    y_test = [r[li] for r in test_rows]
    if task == "regression":
        model = MLPRegressor(random_state=seed)
        y_train, y_test = np.array(y_train, dtype=float), np.array(y_test, dtype=float)
    else:
        model = MLPClassifier(random_state=seed)
    pipeline = make_pipeline(prepare, model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        pipeline.fit(x_train.astype(object), y_train)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    print(f"sklearn: {os.path.basename(train_path)}: {model.n_iter_} epochs"
          f"{'' if converged else ' (max_iter reached, not converged)'}", file=sys.stderr)

    metrics = {"Task": task, "Rows": len(test_rows)}
    if task == "binary":
        positive = positive_class(set(y_train))
        column = list(model.classes_).index(positive)
        p = pipeline.predict_proba(x_test)[:, column]
        y = np.array([v == positive for v in y_test])
        predicted = p > 0.5
        prior = y.mean()
        entropy = -(prior * math.log2(prior) + (1 - prior) * math.log2(1 - prior))
        log_loss = float(np.mean(-np.log2(np.clip(np.where(y, p, 1 - p), 1e-15, 1))))
        metrics.update({
            "Accuracy": accuracy_score(y, predicted),
            "AreaUnderRocCurve": roc_auc_score(y, p),
            "AreaUnderPrecisionRecallCurve": average_precision_score(y, p),
            "F1Score": f1_score(y, predicted),
            "LogLoss": log_loss,
            "LogLossReduction": (entropy - log_loss) / entropy,
            "PositivePrecision": precision_score(y, predicted, zero_division=0),
            "PositiveRecall": recall_score(y, predicted),
            "NegativePrecision": precision_score(~y, ~predicted, zero_division=0),
            "NegativeRecall": recall_score(~y, ~predicted),
            "Entropy": entropy,
        })
    elif task == "multiclass":
        proba = pipeline.predict_proba(x_test)
        index = {c: i for i, c in enumerate(model.classes_)}
        p_true = proba[np.arange(len(y_test)), [index[v] for v in y_test]]
        log_loss = float(np.mean(-np.log(np.clip(p_true, 1e-15, 1))))
        _, counts = np.unique(y_test, return_counts=True)
        frequencies = counts / counts.sum()
        prior = float(-(frequencies * np.log(frequencies)).sum())
        predicted = model.classes_[proba.argmax(axis=1)]
        metrics.update({
            "MicroAccuracy": accuracy_score(y_test, predicted),
            "MacroAccuracy": balanced_accuracy_score(y_test, predicted),
            "LogLoss": log_loss,
            "LogLossReduction": 1 - log_loss / prior,
        })
    else:
        predicted = pipeline.predict(x_test)
        mse = mean_squared_error(y_test, predicted)
        metrics.update({
            "RSquared": r2_score(y_test, predicted),
            "MeanAbsoluteError": mean_absolute_error(y_test, predicted),
            "RootMeanSquaredError": math.sqrt(mse),
            "MeanSquaredError": mse,
            "LossFunction": mse,
        })
    return {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in metrics.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=["binary", "multiclass", "regression"])
    parser.add_argument("--data", help="training CSV")
    parser.add_argument("--test", help="test CSV")
    parser.add_argument("--label", help="label column")
    parser.add_argument("--seed", type=int, default=1, help="random_state (default 1)")
    args = parser.parse_args()
    if args.task:
        if not (args.data and args.test and args.label):
            parser.error("--task needs --data, --test and --label")
        runs = [(args.task, args.data, args.test, args.label)]
    else:
        runs = [(task, os.path.join(HERE, f"{stem}-train.csv"), os.path.join(HERE, f"{stem}-test.csv"), label)
                for task, stem, label in SAMPLES]
    for task, train, test, label in runs:
        print(json.dumps(run(task, train, test, label, args.seed)))


if __name__ == "__main__":
    main()
