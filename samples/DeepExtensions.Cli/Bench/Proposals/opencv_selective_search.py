#!/usr/bin/python3
"""OpenCV's side of `deepext bench selective-search`: times cv2.ximgproc's selective search on one core.

Reads the raw BGR images the benchmark wrote (FILE:WIDTH:HEIGHT arguments, so both sides search the same pixels),
runs SelectiveSearchSegmentation in the given mode after srand(1) (OpenCV ranks with rand()), --repeats times each,
and prints one JSON line: the median wall and CPU (process) seconds per image and a SHA-256 of each proposal list (x,y,w,h joined), which the
benchmark compares with its own. Needs Debian's python3-opencv.
"""

import ctypes
import hashlib
import json
import sys
import time

import cv2
import numpy as np


def main():
    mode, repeats, images = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    cv2.setNumThreads(1)
    libc = ctypes.CDLL("libc.so.6")
    seconds, cpu_seconds, digests, counts = [], [], [], []
    for spec in images:
        path, width, height = spec.rsplit(":", 2)
        image = np.fromfile(path, np.uint8).reshape(int(height), int(width), 3)
        times, cpu = [], []
        for _ in range(repeats):
            search = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
            search.setBaseImage(image)
            {"fast": search.switchToSelectiveSearchFast, "quality": search.switchToSelectiveSearchQuality,
             "single": search.switchToSingleStrategy}[mode]()
            libc.srand(1)
            start, start_cpu = time.perf_counter(), time.process_time()
            boxes = search.process()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        seconds.append(sorted(times)[len(times) // 2])
        cpu_seconds.append(sorted(cpu)[len(cpu) // 2])
        counts.append(len(boxes))
        digests.append(hashlib.sha256(" ".join(f"{x},{y},{w},{h}" for x, y, w, h in boxes).encode()).hexdigest())
    print(json.dumps({"opencv": cv2.__version__, "seconds": seconds, "cpu_seconds": cpu_seconds, "counts": counts, "digests": digests}))


if __name__ == "__main__":
    main()
