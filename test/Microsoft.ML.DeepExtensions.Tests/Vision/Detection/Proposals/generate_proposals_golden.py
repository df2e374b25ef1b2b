#!/usr/bin/python3
"""Golden values of selective search (Vision/Detection/Proposals), from OpenCV's ximgproc (Debian python3-opencv 4.6).

Writes proposals_golden.json beside this script; SelectiveSearchGoldenTests.cs reads it. The input photos are stored
in it as PNG (lossless; small copies of opencv-doc and scikit-image photos, shrunk with INTER_AREA), so no JPEG
decoder stands between OpenCV and the tests; labels are zlib-compressed little-endian uint16. References:

  colours        cv2.cvtColor BGR2HSV and BGR2Lab of every 17th of the 2^24 colours (SHA-256 of the bytes), samples
  smoothing      cv2.GaussianBlur(float32 image, (0, 0), sigma) (SHA-256 of the floats), the segmentation's first step
  segmentations  cv2.ximgproc.segmentation.createGraphSegmentation(sigma, k, min_size).processImage labels
  similarities   the colour, texture, size and fill strategies (and their C+T+S+F combination) of
                 createSelectiveSearchSegmentationStrategy*: setImage on a segmentation, get() of every touching pair
  rand           libc's rand() after srand(seed), the ranking's random numbers
  proposals      SelectiveSearchSegmentation.process() after switchToSelectiveSearchFast/Quality/SingleStrategy, with
                 libc's srand(1) first (OpenCV ranks regions with rand()), as full ordered lists
  recall         on the first images of samples/data/detection-sample's test split: OpenCV's recall of the ground-truth
                 boxes at IoU 0.7 and 0.85 over all proposals and over the first 200, and a digest of each list

Rerun with Debian's OpenCV:

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Detection/Proposals/generate_proposals_golden.py

Compare our proposals (written by `deepext propose --image DIR --out OUT --max 0`) with OpenCV's on the same images:

    /usr/bin/python3 .../generate_proposals_golden.py --compare OUT [--mode fast|quality] [--images DIR] [--limit N]
"""

import argparse
import base64
import ctypes
import hashlib
import json
import pathlib
import sys
import zlib

import cv2
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[4]
SAMPLE = REPO / "samples" / "data" / "detection-sample"
OPENCV_PHOTOS = pathlib.Path("/usr/share/doc/opencv-doc/examples/data")
SKIMAGE_PHOTOS = pathlib.Path("/usr/lib/python3/dist-packages/skimage/data")
SEG = cv2.ximgproc.segmentation
LIBC = ctypes.CDLL("libc.so.6")
cv2.setNumThreads(1)
STRIDE = 17  # colours hashed: every 17th of the 2^24 (about a million, so the test stays short; all agree)
RECALL_IMAGES = {"fast": 8, "quality": 1}  # detection-sample test images per mode in the golden file


def b64(data):
    return base64.b64encode(data).decode("ascii")


def photo(path, width):
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        sys.exit(f"cannot read {path} (install opencv-doc and python3-skimage)")
    height = round(image.shape[0] * width / image.shape[1])
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def proposals(image, mode):
    ss = SEG.createSelectiveSearchSegmentation()
    ss.setBaseImage(image)
    {"fast": ss.switchToSelectiveSearchFast, "quality": ss.switchToSelectiveSearchQuality,
     "single": ss.switchToSingleStrategy}[mode]()
    LIBC.srand(1)
    return np.asarray(ss.process(), dtype=np.int64).reshape(-1, 4)


def digest(boxes):
    return hashlib.sha256(" ".join(f"{x},{y},{w},{h}" for x, y, w, h in boxes).encode()).hexdigest()


def neighbour_pairs(labels):
    """OpenCV's touching pairs: each pixel (not in row or column 0) with its left, upper and upper-left pixels."""
    here = labels[1:, 1:].ravel()
    pairs = set()
    for other in (labels[1:, :-1].ravel(), labels[:-1, 1:].ravel(), labels[:-1, :-1].ravel()):
        for a, b in zip(here[here != other], other[here != other]):
            pairs.add((min(a, b), max(a, b)))
    return sorted((int(a), int(b)) for a, b in pairs)


def iou(box, gts):
    """IoU of one (x, y, w, h) box with (x, y, w, h) boxes."""
    x0 = np.maximum(box[0], gts[:, 0]); y0 = np.maximum(box[1], gts[:, 1])
    x1 = np.minimum(box[0] + box[2], gts[:, 0] + gts[:, 2]); y1 = np.minimum(box[1] + box[3], gts[:, 1] + gts[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    return inter / (box[2] * box[3] + gts[:, 2] * gts[:, 3] - inter)


def best_iou(boxes, gts):
    best = np.zeros(len(gts))
    for box in boxes:
        best = np.maximum(best, iou(np.asarray(box, float), gts))
    return best


def recall(per_image):
    """per_image: list of (proposals, ground truth) -> recall at 0.7 / 0.85, all and first 200."""
    result = {}
    for name, count in (("all", None), ("first200", 200)):
        ious = np.concatenate([best_iou(p[:count] if count else p, g) for p, g in per_image])
        for t in (0.7, 0.85):
            result[f"{name}_{t}"] = float((ious >= t).mean())
    result["mean_proposals"] = float(np.mean([len(p) for p, _ in per_image]))
    return result


def detection_images(limit, folder=None):
    coco = json.loads((SAMPLE / "annotations" / "instances_test.json").read_text())
    boxes = {}
    for a in coco["annotations"]:
        boxes.setdefault(a["image_id"], []).append(a["bbox"])
    images = sorted(coco["images"], key=lambda i: i["file_name"])[:limit]
    root = pathlib.Path(folder) if folder else SAMPLE / "images" / "test"
    return [(root / pathlib.Path(i["file_name"]).name, np.asarray(boxes.get(i["id"], []), float).reshape(-1, 4)) for i in images]


def generate():
    photos = [("fruits", photo(OPENCV_PHOTOS / "fruits.jpg", 120)),
              ("baboon", photo(OPENCV_PHOTOS / "baboon.jpg", 96)),
              ("astronaut", photo(SKIMAGE_PHOTOS / "astronaut.png", 100))]
    golden = {"images": [{"name": n, "width": int(p.shape[1]), "height": int(p.shape[0]), "png": b64(cv2.imencode(".png", p)[1].tobytes())}
                         for n, p in photos]}

    every = np.arange(1 << 24, dtype=np.uint32)
    cube = np.stack([every & 255, (every >> 8) & 255, every >> 16], -1).astype(np.uint8).reshape(4096, 4096, 3)
    hsv = cv2.cvtColor(cube, cv2.COLOR_BGR2HSV)
    lab = cv2.cvtColor(cube, cv2.COLOR_BGR2Lab)
    picks = np.random.default_rng(11).integers(0, 1 << 24, 32)
    golden["colours"] = {
        "stride": STRIDE,
        "hsv_sha256": hashlib.sha256(hsv.reshape(-1, 3)[::STRIDE].tobytes()).hexdigest(),
        "lab_sha256": hashlib.sha256(lab.reshape(-1, 3)[::STRIDE].tobytes()).hexdigest(),
        "samples": [[int(v) for v in (*cube.reshape(-1, 3)[i], *hsv.reshape(-1, 3)[i], *lab.reshape(-1, 3)[i])] for i in picks]}

    golden["rand"] = []
    for seed in (1, 42, 0):
        LIBC.srand(seed)
        golden["rand"].append({"seed": seed, "values": [LIBC.rand() for _ in range(40)]})

    golden["smoothing"] = [{"image": index, "sigma": sigma, "sha256": hashlib.sha256(
        cv2.GaussianBlur(image.astype(np.float32), (0, 0), sigma, sigma).astype("<f4").tobytes()).hexdigest()}
        for index, (_, image) in enumerate(photos) for sigma in (0.5, 0.8, 1.0)]

    segmentations = []
    for index, (_, image) in enumerate(photos):
        for space, sigma, k, min_size in (("bgr", 0.5, 300.0, 100), ("hsv", 0.8, 150.0, 100), ("lab", 0.8, 450.0, 100), ("gray", 0.8, 300.0, 50)):
            source = {"bgr": image, "hsv": cv2.cvtColor(image, cv2.COLOR_BGR2HSV), "lab": cv2.cvtColor(image, cv2.COLOR_BGR2Lab),
                      "gray": cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)}[space]
            labels = SEG.createGraphSegmentation(sigma, k, min_size).processImage(source)
            segmentations.append({"image": index, "space": space, "sigma": sigma, "k": k, "min_size": min_size,
                                  "regions": int(labels.max()) + 1, "labels": b64(zlib.compress(labels.astype("<u2").tobytes(), 9))})
    golden["segmentations"] = segmentations

    similarities = []
    for index, (_, image) in enumerate(photos[:2]):
        for space in ("hsv", "lab"):
            source = cv2.cvtColor(image, cv2.COLOR_BGR2HSV if space == "hsv" else cv2.COLOR_BGR2Lab)
            labels = SEG.createGraphSegmentation(0.8, 150.0, 100).processImage(source)
            sizes = np.bincount(labels.ravel()).astype(np.int32).reshape(-1, 1)
            pairs = neighbour_pairs(labels)
            entry = {"image": index, "space": space, "k": 150, "pairs": pairs}
            parts = {"color": SEG.createSelectiveSearchSegmentationStrategyColor(), "texture": SEG.createSelectiveSearchSegmentationStrategyTexture(),
                     "size": SEG.createSelectiveSearchSegmentationStrategySize(), "fill": SEG.createSelectiveSearchSegmentationStrategyFill()}
            parts["all"] = SEG.createSelectiveSearchSegmentationStrategyMultiple(parts["color"], parts["fill"], parts["texture"], parts["size"])
            for name, strategy in parts.items():
                strategy.setImage(source, labels, sizes, -1)
                entry[name] = [float(np.float32(strategy.get(a, b))) for a, b in pairs]
            similarities.append(entry)
    golden["similarities"] = similarities

    golden["proposals"] = [{"image": index, "mode": mode, "boxes": proposals(photos[index][1], mode).tolist()}
                           for mode, indices in (("fast", (0, 1, 2)), ("single", (0,)), ("quality", (1,))) for index in indices]

    per_mode = {}
    for mode, limit in RECALL_IMAGES.items():
        images = detection_images(limit)
        rows = [(proposals(cv2.imread(str(path)), mode), gts) for path, gts in images]
        per_mode[mode] = {"images": [p.name for p, _ in images], "recall": recall(rows), "digests": [digest(p) for p, _ in rows]}
    golden["recall"] = per_mode

    out = HERE / "proposals_golden.json"
    out.write_text(json.dumps(golden, separators=(",", ":")))
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")


def compare(ours_folder, mode, images_folder, limit):
    """Recall and identical lists of our `deepext propose` output against OpenCV's on the same images."""
    rows_ours, rows_cv, identical, same_boxes = [], [], 0, []
    for path, gts in detection_images(limit, images_folder):
        data = json.loads((pathlib.Path(ours_folder) / (path.name + ".json")).read_text())
        ours = np.asarray([[b[0], b[1], b[2] - b[0], b[3] - b[1]] for b in data["proposals"]], dtype=np.int64).reshape(-1, 4)
        theirs = proposals(cv2.imread(str(path)), mode)
        identical += int(ours.shape == theirs.shape and (ours == theirs).all())
        n = min(len(ours), len(theirs))
        same_boxes.append(float((ours[:n] == theirs[:n]).all(1).sum()) / max(len(ours), len(theirs), 1))
        rows_ours.append((ours, gts))
        rows_cv.append((theirs, gts))
    print(json.dumps({"mode": mode, "images": len(rows_ours), "identical_lists": identical,
                      "share_of_identical_proposals": float(np.mean(same_boxes)),
                      "ours": recall(rows_ours), "opencv": recall(rows_cv)}, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", metavar="DIR", help="our proposal JSON files (deepext propose --out DIR)")
    parser.add_argument("--mode", default="fast", choices=["fast", "quality"])
    parser.add_argument("--images", metavar="DIR", help="the images (default: the detection sample's test split)")
    parser.add_argument("--limit", type=int, default=150)
    args = parser.parse_args()
    if args.compare:
        compare(args.compare, args.mode, args.images, args.limit)
    else:
        generate()
