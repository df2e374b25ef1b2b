"""Runs the YOLO ONNX exports of YoloOnnxExportTests in OpenCV's dnn module (Debian's python3-opencv), an ONNX
runtime independent of ONNX Runtime, and compares its candidates with the rows our TorchSharp decode implies.

    DEEPEXT_ONNX_EXPORT_DIR=/tmp/yolo-onnx-exports dotnet test test/Microsoft.ML.DeepExtensions.Tests \
        --filter "FullyQualifiedName~YoloOnnxExportTests"
    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Onnx/check_yolo_exports_with_opencv.py /tmp/yolo-onnx-exports

Each export's output0 is [N, P, 5 + C]: cx, cy, w, h in input pixels, objectness, class sigmoids. Prints, per export,
the largest box error relative to the input side and the largest objectness/class error, and exits 1 if one is
above 1e-4. OpenCV 4.6 runs one image at a time here (its importer fixes the batch axis at the first input's size).
"""
import glob
import json
import os
import sys

import cv2
import numpy as np


def main(directory):
    failures = 0
    exports = sorted(glob.glob(os.path.join(directory, "yolo-*.onnx")))
    if not exports:
        print(f"no yolo-*.onnx exports in {directory}")
        return 1
    for model in exports:
        name = os.path.splitext(os.path.basename(model))[0]
        with open(os.path.join(directory, name + ".json")) as f:
            case = json.load(f)
        shape = case["shape"]
        x = np.array(case["input"], dtype=np.float32).reshape(shape)
        expected = np.array(case["expected"], dtype=np.float32)
        side = float(case["side"])
        try:
            net = cv2.dnn.readNetFromONNX(model)
            outputs = []
            for image in x:
                net.setInput(image[np.newaxis])
                outputs.append(net.forward("output0"))
            actual = np.concatenate(outputs)
            expected = expected.reshape(actual.shape)
            box_error = float(np.abs(actual[..., :4] - expected[..., :4]).max() / side)
            probability_error = float(np.abs(actual[..., 4:] - expected[..., 4:]).max())
            status = "ok" if box_error < 1e-4 and probability_error < 1e-4 else "MISMATCH"
            candidates = "x".join(str(d) for d in actual.shape)
        except cv2.error as e:
            box_error = probability_error = float("nan")
            status, candidates = "OpenCV error: " + str(e).strip().splitlines()[-1], "?"
        failures += status != "ok"
        print(f"{name:34s} output {candidates:12s} box error {box_error:.2e} of the side, probability error {probability_error:.2e}  {status}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/yolo-onnx-exports"))
