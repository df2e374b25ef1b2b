#!/usr/bin/python3
"""Golden values for the Darknet cfg/weights tests, from Darknet itself (Debian's libdarknet.so, git 61c9d02e).

Run with Debian's Python: /usr/bin/python3 generate_darknet_golden.py            (writes darknet_golden.json here)
                          /usr/bin/python3 generate_darknet_golden.py --full DIR (full-size yolov3-tiny at 416x416 and yolov3 at 608x608,
                                                                                 80 classes, into DIR; not committed, see below)
Needs: darknet (libdarknet.so, its header, the cfgs), python3-numpy, python3-opencv, python3-skimage, opencv-doc, gcc.

What it writes:
- "shapes": for each cfg the tests parse, every layer's output size as Darknet computes it (parse_network_cfg).
- "photos": the network inputs, keyed "name@WxH".
- "cases": networks run by Darknet on two real photos (skimage's astronaut, opencv-doc's fruits), each resized with
  OpenCV (INTER_AREA) and stored as the exact bytes the network saw (planar RGB, value = byte / 255 as float32), so
  resizing is not part of the comparison. Per case: the raw output of every [yolo] layer after Darknet's activation
  (network.layers[i].output), and the detections of get_network_boxes (relative centre boxes, objectness, class
  probabilities with Darknet's threshold) before and after do_nms_sort.
- Weights are not stored: they follow a rule that the C# test re-implements (DarknetTestWeights.cs), and the SHA-256
  of the file Darknet loaded is recorded, so the test proves it rebuilt the very same file. Darknet also writes the
  loaded network back with save_weights; that file's hash is recorded too (the C# writer must produce those bytes).

The weight rule: the i-th float after the 20-byte header (i = 0, 1, ...) is derived from
u_i = (lowbias32(i + seed * 0x9E3779B9 mod 2^32) >> 8) / 2^24 in [0, 1), by the array it belongs to:
biases and rolling means (2u - 1) * 0.1; scales and rolling variances u + 0.5; convolution/connected weights
(2u - 1) * gain / sqrt(fan_in), fan_in = channels / groups * size * size (connected: inputs), with the case's
gain: sqrt(6) (He-uniform) for yolov3-tiny; sqrt(3) (LeCun-uniform) for yolov3, whose 23 residual additions would
otherwise grow the activations to 1e6 and saturate every output.
All arithmetic is float32, so the C# side reproduces it bit for bit.

A third committed case, cfg/layers.test.cfg (hand-written), has every layer type and most activations the C# network
supports (crop, grouped convolutions, shortcuts between maps of different sizes with alpha/beta, Darknet's maxpool
padding, route, upsample, avgpool, connected with batch normalization, dropout, softmax with groups and temperature,
cost); for it the network output (network_predict) is stored.

The committed cases use Darknet's yolov3-tiny.cfg and yolov3.cfg unchanged except for a 128x96 input and 4 classes
(cfg/*.test.cfg, written here), which keeps the golden file small; --full runs the unchanged cfgs (yolov3-tiny at 416x416, yolov3 at 608x608) and writes
the same JSON layout to DIR/darknet_golden.json; DARKNET_GOLDEN_DIR=DIR dotnet test --filter DarknetParity then checks it.
"""
import base64
import ctypes
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CFG_DIR = os.path.join(HERE, "cfg")
LIB = "/usr/lib/darknet/libdarknet.so"
HEADER = "/usr/lib/darknet/include/darknet.h"
PHOTOS = [
    ("astronaut", "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"),
    ("fruits", "/usr/share/doc/opencv-doc/examples/data/fruits.jpg"),
]
SHAPE_CFGS = ["yolov3", "yolov3-tiny", "yolov3-spp", "yolov3-voc", "darknet53", "darknet19",
              "alexnet", "vgg-16", "resnet18", "resnet34", "resnet50", "extraction"]
THRESH = 0.5
NMS = 0.45


class IMAGE(ctypes.Structure):
    _fields_ = [("w", ctypes.c_int), ("h", ctypes.c_int), ("c", ctypes.c_int), ("data", ctypes.POINTER(ctypes.c_float))]


class BOX(ctypes.Structure):
    _fields_ = [("x", ctypes.c_float), ("y", ctypes.c_float), ("w", ctypes.c_float), ("h", ctypes.c_float)]


class DETECTION(ctypes.Structure):
    _fields_ = [("bbox", BOX), ("classes", ctypes.c_int), ("prob", ctypes.POINTER(ctypes.c_float)),
                ("mask", ctypes.POINTER(ctypes.c_float)), ("objectness", ctypes.c_float), ("sort_class", ctypes.c_int)]


def layer_offsets():
    """sizeof(layer) and the offsets of the fields we read, from the C compiler (the struct is too long to mirror)."""
    fields = ["type", "batch_normalize", "inputs", "outputs", "nweights", "c", "n", "groups", "size", "out_h", "out_w", "out_c"]
    source = "#include <stdio.h>\n#include <stddef.h>\n#include \"%s\"\nint main(void){printf(\"{\\\"sizeof\\\": %%zu\", sizeof(layer));\n" % HEADER
    for f in fields:
        source += "printf(\", \\\"%s\\\": %%zu\", offsetof(layer, %s));\n" % (f, f)
    source += "printf(\", \\\"net_layers\\\": %zu\", offsetof(network, layers));\n"
    source += "printf(\", \\\"net_outputs\\\": %zu}\", offsetof(network, outputs));return 0;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        c_file, exe = os.path.join(tmp, "o.c"), os.path.join(tmp, "o")
        open(c_file, "w").write(source)
        subprocess.check_call(["gcc", "-I", os.path.dirname(HEADER), c_file, "-o", exe])
        return json.loads(subprocess.check_output([exe]))


class Darknet:

    def __init__(self):
        self.lib = ctypes.CDLL(LIB, mode=ctypes.RTLD_GLOBAL)
        lib = self.lib
        lib.parse_network_cfg.restype = ctypes.c_void_p
        lib.parse_network_cfg.argtypes = [ctypes.c_char_p]
        lib.load_weights.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.save_weights.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.set_batch_network.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.network_predict.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float)]
        lib.network_predict.restype = ctypes.POINTER(ctypes.c_float)
        lib.get_network_image_layer.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.get_network_image_layer.restype = IMAGE
        lib.get_network_boxes.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_float, ctypes.c_float,
                                          ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.get_network_boxes.restype = ctypes.POINTER(DETECTION)
        lib.do_nms_sort.argtypes = [ctypes.POINTER(DETECTION), ctypes.c_int, ctypes.c_int, ctypes.c_float]
        lib.free_detections.argtypes = [ctypes.POINTER(DETECTION), ctypes.c_int]
        lib.free_network.argtypes = [ctypes.c_void_p]
        self.off = layer_offsets()
        enum = open(HEADER).read().split("typedef enum {\n    CONVOLUTIONAL,")[1].split("}")[0]
        names = ["CONVOLUTIONAL"] + [n.strip() for n in enum.split(",") if n.strip()]
        # LAYER_TYPE values, read from darknet.h's enum.
        self.CONVOLUTIONAL, self.CONNECTED, self.YOLO = (names.index(n) for n in ("CONVOLUTIONAL", "CONNECTED", "YOLO"))

    def parse(self, cfg):
        return self.lib.parse_network_cfg(cfg.encode())

    def layer_count(self, net):
        return ctypes.c_int.from_address(net).value

    def layer_int(self, net, i, field):
        layers = ctypes.c_void_p.from_address(net + self.off["net_layers"]).value
        return ctypes.c_int.from_address(layers + i * self.off["sizeof"] + self.off[field]).value

    def shapes(self, net):
        result = []
        for i in range(self.layer_count(net)):
            im = self.lib.get_network_image_layer(net, i)
            result.append([im.c, im.h, im.w])
        return result

    def weight_segments(self, net):
        """(kind, count, fan_in) of every array a .weights file holds for this network, in file order (parser.c)."""
        segments = []
        for i in range(self.layer_count(net)):
            t = self.layer_int(net, i, "type")
            bn = self.layer_int(net, i, "batch_normalize")
            if t == self.CONVOLUTIONAL:
                n, c, groups, size = (self.layer_int(net, i, f) for f in ("n", "c", "groups", "size"))
                segments.append(("biases", n, 0))
                if bn:
                    segments += [("scales", n, 0), ("rolling_mean", n, 0), ("rolling_variance", n, 0)]
                segments.append(("weights", n * c // groups * size * size, c // groups * size * size))
            elif t == self.CONNECTED:
                inputs, outputs = self.layer_int(net, i, "inputs"), self.layer_int(net, i, "outputs")
                segments += [("biases", outputs, 0), ("weights", outputs * inputs, inputs)]
                if bn:
                    segments += [("scales", outputs, 0), ("rolling_mean", outputs, 0), ("rolling_variance", outputs, 0)]
        return segments


def lowbias32(x):
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def rule_values(kind, start, count, fan_in, seed, gain):
    index = np.arange(start, start + count, dtype=np.uint64).astype(np.uint32)
    mixed = index + np.uint32((seed * 0x9E3779B9) & 0xFFFFFFFF)
    u = (lowbias32(mixed) >> np.uint32(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)
    two, one = np.float32(2), np.float32(1)
    if kind in ("biases", "rolling_mean"):
        return (u * two - one) * np.float32(0.1)
    if kind in ("scales", "rolling_variance"):
        return u + np.float32(0.5)
    amplitude = np.float32(gain) / np.sqrt(np.float32(fan_in))
    return (u * two - one) * amplitude


def write_rule_weights(path, segments, seed, gain):
    with open(path, "wb") as f:
        f.write(np.array([0, 2, 0], dtype=np.int32).tobytes())
        f.write(np.array([0], dtype=np.int64).tobytes())
        start = 0
        for kind, count, fan_in in segments:
            f.write(rule_values(kind, start, count, fan_in, seed, gain).astype("<f4").tobytes())
            start += count
    return start


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode()


def photo_bytes(path, width, height):
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))  # planar, as Darknet's images


def test_cfg(name, width, height, classes):
    """Darknet's cfg with another input size and class count: the edit Darknet's README asks for (filters before [yolo])."""
    lines = open(os.path.join(CFG_DIR, name + ".cfg")).read().split("\n")
    out, section, last_conv_filters = [], None, None
    for line in lines:
        stripped = line.replace(" ", "")
        if stripped.startswith("["):
            section = stripped
            if section == "[yolo]":
                mask_count = None
        key = stripped.split("=")[0] if "=" in stripped and not stripped.startswith("#") else None
        if section == "[net]" and key == "width":
            line = "width=%d" % width
        elif section == "[net]" and key == "height":
            line = "height=%d" % height
        elif section == "[convolutional]" and key == "filters":
            last_conv_filters = len(out)
        elif section == "[yolo]" and key == "classes":
            line = "classes=%d" % classes
        elif section == "[yolo]" and key == "mask":
            mask_count = len(stripped.split("=")[1].split(","))
            out[last_conv_filters] = "filters=%d" % (mask_count * (classes + 5))
        out.append(line)
    path = os.path.join(CFG_DIR, "%s.test.cfg" % name)
    open(path, "w").write("\n".join(out))
    return path


def run_case(darknet, name, cfg_path, cfg_rel, seed, gain, tmp, photos):
    """Runs one network on the photos. Detectors: yolo outputs and detections; other networks: the network output."""
    net = darknet.parse(cfg_path)
    darknet.lib.set_batch_network(net, 1)
    segments = darknet.weight_segments(net)
    weights = os.path.join(tmp, name + ".weights")
    floats = write_rule_weights(weights, segments, seed, gain)
    darknet.lib.load_weights(net, weights.encode())
    resaved = os.path.join(tmp, name + ".resaved.weights")
    darknet.lib.save_weights(net, resaved.encode())
    shapes = darknet.shapes(net)
    yolo_layers = [i for i in range(darknet.layer_count(net)) if darknet.layer_int(net, i, "type") == darknet.YOLO]
    in_c = darknet.layer_int(net, 0, "c")
    cfg_text = open(cfg_path).read()
    net_w = int([l for l in cfg_text.split("\n") if l.replace(" ", "").startswith("width=")][0].split("=")[1])
    net_h = int([l for l in cfg_text.split("\n") if l.replace(" ", "").startswith("height=")][0].split("=")[1])
    case = {"name": name, "cfg": cfg_rel, "seed": seed, "gain": gain, "weights_floats": floats,
            "weights_sha256": sha256(weights), "darknet_saved_sha256": sha256(resaved),
            "thresh": THRESH, "nms": NMS, "width": net_w, "height": net_h, "images": []}
    for photo, path in PHOTOS:
        pixels = photo_bytes(path, net_w, net_h)
        photos["%s@%dx%d" % (photo, net_w, net_h)] = base64.b64encode(pixels.tobytes()).decode()
        assert pixels.shape[0] == in_c
        data = (pixels.astype(np.float32) / np.float32(255)).ravel()
        output = darknet.lib.network_predict(net, data.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        image = {"name": photo, "photo": "%s@%dx%d" % (photo, net_w, net_h), "yolo": []}
        if not yolo_layers:
            count = ctypes.c_int.from_address(net + darknet.off["net_outputs"]).value
            values = np.ctypeslib.as_array(output, shape=(count,)).copy()
            image["output"] = b64(values)
            print("  %s %s: %d outputs in [%.3g, %.3g]" % (name, photo, count, values.min(), values.max()), file=sys.stderr)
            case["images"].append(image)
            continue
        for i in yolo_layers:
            im = darknet.lib.get_network_image_layer(net, i)
            values = np.ctypeslib.as_array(im.data, shape=(im.c * im.h * im.w,)).copy()
            image["yolo"].append({"layer": i, "shape": [im.c, im.h, im.w], "output": b64(values)})
        num = ctypes.c_int(0)
        dets = darknet.lib.get_network_boxes(net, net_w, net_h, THRESH, 0.5, None, 1, ctypes.byref(num))
        classes = dets[0].classes if num.value else 0
        def table():
            return (np.array([[dets[k].bbox.x, dets[k].bbox.y, dets[k].bbox.w, dets[k].bbox.h] for k in range(num.value)], np.float32),
                    np.array([[dets[k].prob[j] for j in range(classes)] for k in range(num.value)], np.float32))
        boxes, probs = table()
        objectness = np.array([dets[k].objectness for k in range(num.value)], np.float32)
        darknet.lib.do_nms_sort(dets, num.value, classes, NMS)
        nms_boxes, nms_probs = table()  # do_nms_sort reorders the detections and zeroes suppressed probabilities
        darknet.lib.free_detections(dets, num.value)
        # Float32 arrays, base64: boxes [n, 4] (relative centre x, y, width, height), objectness [n], probs [n, classes].
        image["detections"] = {"count": num.value, "classes": classes, "boxes": b64(boxes), "objectness": b64(objectness),
                               "probs": b64(probs), "nms_boxes": b64(nms_boxes), "nms_probs": b64(nms_probs)}
        objs = np.concatenate([np.frombuffer(base64.b64decode(y["output"]), "<f4") for y in image["yolo"]])
        print("  %s %s: %d detections above %.2f; yolo output range [%.3g, %.3g]" % (
            name, photo, num.value, THRESH, objs.min(), objs.max()), file=sys.stderr)
        case["images"].append(image)
    darknet.lib.free_network(net)
    return case


def main():
    darknet = Darknet()
    full = "--full" in sys.argv
    out_dir = sys.argv[sys.argv.index("--full") + 1] if full else HERE
    os.makedirs(out_dir, exist_ok=True)
    golden = {"generator": "generate_darknet_golden.py", "darknet": "Debian darknet 0.0.0+git20180914.61c9d02e",
              "photos": {}, "cases": []}
    with tempfile.TemporaryDirectory() as tmp:
        if full:
            specs = [("yolov3-tiny", os.path.join(CFG_DIR, "yolov3-tiny.cfg"), "cfg/yolov3-tiny.cfg", 1, 2.4494898),
                     ("yolov3", os.path.join(CFG_DIR, "yolov3.cfg"), "cfg/yolov3.cfg", 2, 1.7320508)]
        else:
            golden["shapes"] = {}
            for name in SHAPE_CFGS:
                net = darknet.parse(os.path.join(CFG_DIR, name + ".cfg"))
                golden["shapes"][name] = darknet.shapes(net)
                darknet.lib.free_network(net)
            specs = [(n, test_cfg(n, 128, 96, 4), "cfg/%s.test.cfg" % n, seed, gain)
                     for n, seed, gain in (("yolov3-tiny", 1, 2.4494898), ("yolov3", 2, 1.7320508))]
            specs.append(("layers", os.path.join(CFG_DIR, "layers.test.cfg"), "cfg/layers.test.cfg", 3, 2.4494898))
        for name, cfg_path, cfg_rel, seed, gain in specs:
            golden["cases"].append(run_case(darknet, name, cfg_path, cfg_rel, seed, gain, tmp, golden["photos"]))
    path = os.path.join(out_dir, "darknet_golden.json")
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)), file=sys.stderr)


if __name__ == "__main__":
    main()
