#!/usr/bin/python3
"""How much of a detector's test AP50 is lost to classification: class-aware VOC AP50, class-agnostic AP50, and how
often the best-scoring class of the detections that find an object (IoU 0.5) is its class.

Usage: /usr/bin/python3 samples/data/detection/class_agnostic_ap.py GROUND_TRUTH.json DETECTIONS.json
  GROUND_TRUTH.json: COCO instances (e.g. annotations/instances_test.json of make_detection_sample.py)
  DETECTIONS.json:   the detections.json of 'deepext detect --model model.zip --image IMAGES --out DIR'
Class-agnostic: each image's detections reduced to one per box (agnostic NMS at IoU 0.7, best score kept).
"""
import json, sys, numpy as np, os
gt = json.load(open(sys.argv[1]))
imgs = {im['id']: os.path.basename(im['file_name']) for im in gt['images']}
G = {}
for a in gt['annotations']:
    x, y, w, h = a['bbox']; G.setdefault(imgs[a['image_id']], []).append((a['category_id'], [x, y, x + w, y + h]))
cats = sorted({c['id'] for c in gt['categories']}); names = [c['name'] for c in sorted(gt['categories'], key=lambda c: c['id'])]
D = {}
for r in json.load(open(sys.argv[2])):
    D[os.path.basename(r['image'])] = [(names.index(d['label']) , d['score'], d['box']) for d in r['detections']]
def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0])); iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    i = ix * iy; return i / ((a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - i)
def ap(preds, gts, npos):
    preds.sort(key=lambda p: -p[0]); used = set(); tp = []
    for s, img, box in preds:
        best, bi = 0.5, None
        for j, g in enumerate(gts.get(img, [])):
            if (img, j) in used: continue
            o = iou(box, g)
            if o >= best: best, bi = o, j
        if bi is None: tp.append(0)
        else: used.add((img, bi)); tp.append(1)
    tp = np.array(tp); fp = 1 - tp; tpc = np.cumsum(tp); fpc = np.cumsum(fp)
    rec = tpc / max(npos, 1); prec = tpc / np.maximum(tpc + fpc, 1e-9)
    mrec = np.concatenate([[0], rec, [1]]); mpre = np.concatenate([[0], prec, [0]])
    for i in range(len(mpre) - 2, -1, -1): mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.where(mrec[1:] != mrec[:-1])[0]; return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1])), (rec[-1] if len(rec) else 0)
# class-aware
aps = []
catindex = {c: i for i, c in enumerate(cats)}
for ci in range(len(cats)):
    gts = {img: [b for c, b in v if catindex[c] == ci] for img, v in G.items()}
    npos = sum(len(v) for v in gts.values())
    preds = [(s, img, b) for img, v in D.items() for c, s, b in v if c == ci]
    aps.append(ap(preds, gts, npos)[0])
print('class-aware VOC AP50', np.mean(aps))
# agnostic: keep per image boxes after agnostic NMS 0.7 (max score)
preds = []
for img, v in D.items():
    v = sorted(v, key=lambda d: -d[1]); kept = []
    for c, s, b in v:
        if all(iou(b, k[2]) < 0.7 for k in kept): kept.append((c, s, b))
    preds += [(s, img, b) for c, s, b in kept]
gts = {img: [b for c, b in v] for img, v in G.items()}
a, r = ap(preds, gts, sum(len(v) for v in gts.values()))
print('class-agnostic AP50', a, 'recall', r)
# classification accuracy of top-scoring detection matched to each GT at IoU .5
correct = total = 0
for img, v in G.items():
    for c, b in v:
        m = [(s, cc) for cc, s, bb in D.get(img, []) if iou(b, bb) >= 0.5]
        if m:
            total += 1; correct += max(m)[1] == catindex[c]
print('top-1 class accuracy of matched GT', correct / max(total, 1), total, 'of', sum(len(v) for v in G.values()))
