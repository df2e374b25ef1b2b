#!/usr/bin/python3
"""Makes a small object-detection data set, in the COCO and Ultralytics/YOLO layouts, from data no one here wrote.

Objects: Fashion-MNIST items (Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist; ten classes of
clothes), each resized to a random size (28 -> 24..72 pixels, aspect jittered by up to 25%), tinted with a random
colour and pasted, opaque inside its mask, onto a square crop of a real photo (Debian's opencv-doc and
python3-skimage sample photos) resized to SIZE x SIZE. One to four objects per image; an object's mask may not touch
another's (so nothing is occluded) and two boxes overlap by at most IoU 0.4.

Labels come from the pasted pixels, not from the paste rectangle: an object's mask is the resized item's pixels above
THRESHOLD with holes filled and specks under MIN_SPECK pixels removed; its box is the mask's tight box (x0 = first
column, x1 = last column + 1, the COCO convention in which pixel x covers [x, x + 1)). The outline is written as
polygons that trace the mask between pixel centres (skimage's marching squares at level 0.5), so that "a pixel
belongs to the object when its centre lies inside a polygon" gives back the mask exactly; the script checks that for
every object (with skimage.draw.polygon) before writing it. COCO gets one polygon per connected part; a YOLO segment
line holds one polygon, so the parts are joined by zero-width bridges (out and back along the same segment).

Train and test come from disjoint sources: test images use other photos than training images (a fixed split of the
photo list, whatever the seed) and Fashion-MNIST's t10k items, training images its train items.

Output (OUT): images/{train,test}/NNNNNN.jpg (shared by both layouts), labels/{train,test}/NNNNNN.txt (YOLO segment
lines "class x1 y1 x2 y2 ..." normalized to [0, 1]), data.yaml, annotations/instances_{train,test}.json (COCO, with
area = mask pixel count), and with --voc DIR a Pascal VOC copy (JPEGImages, Annotations, ImageSets/Main).
Deterministic for a given --seed (numpy's PCG64, OpenCV's JPEG encoder).

Usage: /usr/bin/python3 samples/data/detection/make_detection_sample.py [--train 600] [--test 150] [--size 160]
       [--seed 20261206] [--quality 85] [--out samples/data/detection-sample] [--voc DIR]
"""
import argparse
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET

import cv2
import numpy as np
from scipy import ndimage
from skimage import measure
from skimage.draw import polygon as draw_polygon

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from make_fashion_mnist_subset import read_idx  # noqa: E402  (the IDX reader of the Fashion-MNIST subset's script)

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
OPENCV_PHOTOS = "/usr/share/doc/opencv-doc/examples/data"
SKIMAGE_PHOTOS = "/usr/lib/python3/dist-packages/skimage/data"
# Real photographs (no charts, text, calibration boards or renderings), listed so the set does not change when a
# package adds a file. Every fourth of the sorted list is a test photo: a fixed split, whatever the seed.
PHOTOS = sorted([
    (OPENCV_PHOTOS, name) for name in [
        "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "basketball1.png", "board.jpg",
        "box_in_scene.png", "building.jpg", "butterfly.jpg", "chicky_512.png", "ela_original.jpg", "fruits.jpg",
        "graf1.png", "graf3.png", "HappyFish.jpg", "home.jpg", "leuvenA.jpg", "messi5.jpg", "orange.jpg",
        "rubberwhale1.png", "smarties.png", "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg",
    ]
] + [
    (SKIMAGE_PHOTOS, name) for name in [
        "astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png", "coins.png", "grass.png",
        "gravel.png", "hubble_deep_field.jpg", "motorcycle_left.png", "retina.jpg", "rocket.jpg",
    ]
], key=lambda p: p[1].lower())
THRESHOLD = 40          # item pixels (0..255, after resizing) above this belong to the object
MIN_SPECK = 4           # connected parts of a mask smaller than this many pixels are dropped
MAX_IOU = 0.4           # two boxes of one image overlap at most this much
PLACEMENT_TRIES = 60
# Douglas-Peucker tolerance (pixels) when simplifying outlines: pixel centres lie at least ~0.35 pixel from the
# marching-squares contour, so moving it by less keeps every centre on its side (and the script checks it does).
POLYGON_TOLERANCE = 0.25


def load_photos(size):
    photos = []
    for folder, name in PHOTOS:
        image = cv2.imread(os.path.join(folder, name), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"photo {os.path.join(folder, name)} not found: install opencv-doc and python3-skimage")
        if min(image.shape[:2]) < size:
            raise SystemExit(f"photo {name} is smaller than {size} pixels")
        photos.append((name, image))
    test = [p for i, p in enumerate(photos) if i % 4 == 3]
    train = [p for i, p in enumerate(photos) if i % 4 != 3]
    return train, test


def background(photos, size, rng):
    name, photo = photos[rng.integers(len(photos))]
    h, w = photo.shape[:2]
    side = int(rng.integers(size, min(h, w) + 1))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = cv2.resize(photo[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop)


def item_mask(item):
    mask = ndimage.binary_fill_holes(item > THRESHOLD)
    parts, count = ndimage.label(mask, structure=np.ones((3, 3)))
    sizes = ndimage.sum(mask, parts, range(1, count + 1))
    for part, pixels in enumerate(sizes, start=1):
        if pixels < MIN_SPECK:
            mask[parts == part] = False
    return mask


def polygons_of(mask):
    """Polygons (x y x y ..., pixel-corner coordinates) tracing the mask between pixel centres, one per part."""
    padded = np.pad(mask.astype(np.float64), 1)
    polygons = []
    for contour in measure.find_contours(padded, 0.5):
        contour = measure.approximate_polygon(contour[:-1], tolerance=POLYGON_TOLERANCE)
        if len(contour) > 1 and np.array_equal(contour[0], contour[-1]):
            contour = contour[:-1]
        # find_contours gives (row, col) of the padded image's pixel centres: x = col - 1 + 0.5.
        xy = np.stack([contour[:, 1] - 0.5, contour[:, 0] - 0.5], axis=1)
        polygons.append(xy)
    return polygons


def rasterize(polygons, shape):
    """Pixels whose centre (x + 0.5, y + 0.5) lies inside one of the polygons (skimage tests integer points)."""
    out = np.zeros(shape, dtype=bool)
    for xy in polygons:
        rows, cols = draw_polygon(xy[:, 1] - 0.5, xy[:, 0] - 0.5, shape)
        out[rows, cols] ^= True
    return out


def bridged(polygons):
    """One polygon for all parts: after the first part, go to each other part's first point and back (zero width)."""
    first = polygons[0]
    points = list(first) + [first[0]]
    for other in polygons[1:]:
        points += list(other) + [other[0], first[0]]
    return np.array(points[:-1])


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def make_image(photos, items, labels, size, rng):
    canvas = background(photos, size, rng)
    taken = np.zeros((size, size), dtype=bool)
    objects = []
    for _ in range(int(rng.integers(1, 5))):
        index = int(rng.integers(len(items)))
        side = int(rng.integers(24, 73))
        aspect = float(rng.uniform(0.8, 1.25))
        w, h = max(8, int(round(side * aspect))), max(8, int(round(side / aspect)))
        item = cv2.resize(items[index], (w, h), interpolation=cv2.INTER_LINEAR)
        mask = item_mask(item)
        if not mask.any():
            continue
        tint = rng.uniform(0.25, 1.0, size=3) * 255
        for _ in range(PLACEMENT_TRIES):
            x, y = int(rng.integers(0, size - w + 1)), int(rng.integers(0, size - h + 1))
            full = np.zeros((size, size), dtype=bool)
            full[y:y + h, x:x + w] = mask
            rows, cols = np.nonzero(full)
            box = (int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1)
            if (full & ndimage.binary_dilation(taken)).any() or any(iou(box, o["box"]) > MAX_IOU for o in objects):
                continue
            shade = (0.3 + 0.7 * item[mask].astype(np.float64) / 255)[:, None] * tint[None, :]
            region = canvas[y:y + h, x:x + w]
            region[mask] = np.clip(shade, 0, 255).astype(np.uint8)
            taken |= full
            polygons = polygons_of(full)
            if not np.array_equal(rasterize(polygons, full.shape), full):
                raise SystemExit("internal error: the polygons do not give back the mask")
            if not np.array_equal(rasterize([bridged(polygons)], full.shape), full):
                raise SystemExit("internal error: the bridged polygon does not give back the mask")
            objects.append({"class": int(labels[index]), "box": box, "polygons": polygons, "area": int(full.sum())})
            break
    return canvas, objects


def number(value):
    return int(value) if float(value).is_integer() else round(float(value), 4)


def write_split(out, split, count, photos, items, labels, size, quality, rng, voc):
    os.makedirs(os.path.join(out, "images", split), exist_ok=True)
    os.makedirs(os.path.join(out, "labels", split), exist_ok=True)
    coco = {"images": [], "annotations": [], "categories": [{"id": i + 1, "name": n} for i, n in enumerate(CLASS_NAMES)]}
    for i in range(count):
        image, objects = make_image(photos, items, labels, size, rng)
        name = f"{i:06d}"
        path = os.path.join(out, "images", split, name + ".jpg")
        if not cv2.imwrite(path, image, [cv2.IMWRITE_JPEG_QUALITY, quality]):
            raise SystemExit(f"could not write {path}")
        coco["images"].append({"id": i + 1, "file_name": f"{split}/{name}.jpg", "width": size, "height": size})
        lines = []
        for o in objects:
            x0, y0, x1, y1 = o["box"]
            coco["annotations"].append({
                "id": len(coco["annotations"]) + 1, "image_id": i + 1, "category_id": o["class"] + 1,
                "bbox": [x0, y0, x1 - x0, y1 - y0], "area": o["area"], "iscrowd": 0,
                "segmentation": [[number(v) for v in xy.ravel()] for xy in o["polygons"]],
            })
            normalized = bridged(o["polygons"]) / size
            lines.append(" ".join([str(o["class"])] + [f"{v:.5f}" for v in normalized.ravel()]))
        with open(os.path.join(out, "labels", split, name + ".txt"), "w") as f:
            f.write("".join(line + "\n" for line in lines))
        if voc:
            write_voc(voc, split, name, path, size, objects)
    os.makedirs(os.path.join(out, "annotations"), exist_ok=True)
    with open(os.path.join(out, "annotations", f"instances_{split}.json"), "w") as f:
        json.dump(coco, f, separators=(",", ":"))
    return coco


def write_voc(voc, split, name, image_path, size, objects):
    """Pascal VOC: 1-based inclusive pixel corners, so a box covering columns a..b is xmin = a + 1, xmax = b + 1."""
    stem = f"{split}_{name}"
    for folder in ("JPEGImages", "Annotations", "ImageSets/Main"):
        os.makedirs(os.path.join(voc, folder), exist_ok=True)
    shutil.copyfile(image_path, os.path.join(voc, "JPEGImages", stem + ".jpg"))
    root = ET.Element("annotation")
    ET.SubElement(root, "filename").text = stem + ".jpg"
    s = ET.SubElement(root, "size")
    for tag, value in (("width", size), ("height", size), ("depth", 3)):
        ET.SubElement(s, tag).text = str(value)
    for o in objects:
        x0, y0, x1, y1 = o["box"]
        element = ET.SubElement(root, "object")
        ET.SubElement(element, "name").text = CLASS_NAMES[o["class"]]
        ET.SubElement(element, "difficult").text = "0"
        box = ET.SubElement(element, "bndbox")
        for tag, value in (("xmin", x0 + 1), ("ymin", y0 + 1), ("xmax", x1), ("ymax", y1)):
            ET.SubElement(box, tag).text = str(value)
    ET.ElementTree(root).write(os.path.join(voc, "Annotations", stem + ".xml"))
    with open(os.path.join(voc, "ImageSets", "Main", split + ".txt"), "a") as f:
        f.write(stem + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=600, help="training images (default 600)")
    parser.add_argument("--test", type=int, default=150, help="test images (default 150)")
    parser.add_argument("--size", type=int, default=160, help="image side in pixels (default 160)")
    parser.add_argument("--seed", type=int, default=20261206, help="random seed (default 20261206)")
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality (default 85)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "detection-sample"))
    parser.add_argument("--voc", help="also write a Pascal VOC copy of the data set into this folder")
    args = parser.parse_args()
    if args.size < 80:
        raise SystemExit("--size must be at least 80 (objects are up to 72x72 pixels after aspect jitter)")

    out = os.path.abspath(args.out)
    for folder in ("images", "labels", "annotations"):
        shutil.rmtree(os.path.join(out, folder), ignore_errors=True)
    if args.voc:
        shutil.rmtree(args.voc, ignore_errors=True)
    train_photos, test_photos = load_photos(args.size)
    rng = np.random.default_rng(args.seed)
    splits = [
        ("train", args.train, train_photos, "train"),
        ("test", args.test, test_photos, "t10k"),
    ]
    for split, count, photos, prefix in splits:
        items = read_idx(os.path.join(FASHION_MNIST, f"{prefix}-images-idx3-ubyte.gz"), 3)
        labels = read_idx(os.path.join(FASHION_MNIST, f"{prefix}-labels-idx1-ubyte.gz"), 1)
        coco = write_split(out, split, count, photos, items, labels, args.size, args.quality, rng, args.voc)
        print(f"{split}: {len(coco['images'])} images, {len(coco['annotations'])} objects, "
              f"{len(photos)} photos ({', '.join(n for n, _ in photos)})")
    with open(os.path.join(out, "data.yaml"), "w") as f:
        f.write("# Ultralytics/YOLO layout of this folder; made by samples/data/detection/make_detection_sample.py\n")
        f.write("train: images/train\nval: images/test\ntest: images/test\n")
        f.write(f"nc: {len(CLASS_NAMES)}\nnames:\n" + "".join(f"  - {json.dumps(n)}\n" for n in CLASS_NAMES))


if __name__ == "__main__":
    main()
