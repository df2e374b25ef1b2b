#!/usr/bin/python3
"""Writes the deepext CLI's sample data sets from the copies that scikit-learn ships.

    /usr/bin/python3 samples/data/make_samples.py

Each data set is split 80/20 into NAME-train.csv and NAME-test.csv with a fixed seed
(stratified by class for the two classification sets), with a header row of readable
column names and the label as one ordinary column:

    breast-cancer  binary      label 'diagnosis' (malignant/benign), 30 numeric features, 569 rows
    wine           multiclass  label 'cultivar' (cultivar_1..cultivar_3), 13 numeric features, 178 rows
    diabetes       regression  label 'progression' (disease progression after one year),
                               10 features in their original units (age in years, sex 1/2, ...), 442 rows

Running it again rewrites the same files byte for byte.
"""
import csv
import os
import re

from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.model_selection import train_test_split

SEED = 42
HERE = os.path.dirname(os.path.abspath(__file__))


def column_name(name):
    """'mean radius' -> 'mean_radius', 'od280/od315_of_diluted_wines' -> 'od280_od315_of_diluted_wines'."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()


def number(value):
    """Shortest text that reads back as the same float; whole numbers without '.0'."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def write(name, header, rows):
    path = os.path.join(HERE, name)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {path} ({len(rows)} rows)")


def split(stem, features, names, labels, label_name, stratify):
    rows = [[number(v) for v in x] + [y] for x, y in zip(features, labels)]
    train, test = train_test_split(
        rows, test_size=0.2, random_state=SEED, stratify=labels if stratify else None)
    header = [column_name(n) for n in names] + [label_name]
    write(f"{stem}-train.csv", header, train)
    write(f"{stem}-test.csv", header, test)


def main():
    cancer = load_breast_cancer()
    # scikit-learn codes malignant as 0 and benign as 1; the CSV spells them out.
    diagnosis = [cancer.target_names[t] for t in cancer.target]
    split("breast-cancer", cancer.data, cancer.feature_names, diagnosis, "diagnosis", stratify=True)

    wine = load_wine()
    cultivar = [f"cultivar_{t + 1}" for t in wine.target]
    split("wine", wine.data, wine.feature_names, cultivar, "cultivar", stratify=True)

    diabetes = load_diabetes(scaled=False)
    progression = [number(t) for t in diabetes.target]
    split("diabetes", diabetes.data, diabetes.feature_names, progression, "progression", stratify=False)


if __name__ == "__main__":
    main()
