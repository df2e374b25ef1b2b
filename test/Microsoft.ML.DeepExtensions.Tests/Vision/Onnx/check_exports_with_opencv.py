"""Runs the ONNX exports of OnnxExportTests in OpenCV's dnn module (Debian's python3-opencv), an ONNX
runtime independent of ONNX Runtime, and compares its scores with ours.

    DEEPEXT_ONNX_EXPORT_DIR=/tmp/onnx-exports dotnet test test/Microsoft.ML.DeepExtensions.Tests \
        --filter "FullyQualifiedName~OnnxExportTests.BuiltIn|FullyQualifiedName~OnnxExportTests.LayerKinds|FullyQualifiedName~OnnxExportTests.InputNormalization"
    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Onnx/check_exports_with_opencv.py /tmp/onnx-exports

Prints each network's largest error relative to the largest score and exits 1 if one is above 1e-4.
"""
import glob
import json
import os
import sys

import cv2
import numpy as np


def main(directory):
    failures = 0
    for model in sorted(glob.glob(os.path.join(directory, "*.onnx"))):
        name = os.path.splitext(os.path.basename(model))[0]
        with open(os.path.join(directory, name + ".json")) as f:
            case = json.load(f)
        x = np.array(case["input"], dtype=np.float32).reshape(case["shape"])
        expected = np.array(case["expected"], dtype=np.float32)
        try:
            net = cv2.dnn.readNetFromONNX(model)
            net.setInput(x)
            actual = net.forward("Score").flatten()
            error = float(np.abs(actual - expected).max() / np.abs(expected).max())
            status = "ok" if error < 1e-4 else "MISMATCH"
        except cv2.error as e:
            error, status = float("nan"), "OpenCV error: " + str(e).strip().splitlines()[-1]
        failures += status != "ok"
        print(f"{name:24s} relative error {error:.2e}  {status}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/onnx-exports"))
