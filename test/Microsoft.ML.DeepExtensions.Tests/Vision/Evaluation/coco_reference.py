#!/usr/bin/python3
"""An independent, straightforward reimplementation of COCO's bbox evaluation, and randomized test cases.

pycocotools cannot be installed on the development machines (no PyPI, not in Debian), so the C#
CocoEvaluator is checked against this script instead. It follows the procedure COCO publishes
(cocodataset.org/#detection-eval and the COCOeval description) in numpy terms -- per image/category
matching, then per category/area/maxDets accumulation with cumulative sums, a right-to-left precision
envelope, searchsorted at 101 recall points, and means over entries > -1 -- and shares no code with the
C# implementation (which is loop-based). Both were written by the same author from the same
description: agreement shows the C# code does what this reading of COCOeval says, not that pycocotools
would print the same digits. The hand-worked cases in CocoEvaluatorTests.cs cover the definition itself.

VOC AP@0.5 follows the VOC2010+ all-point definition (best-overlap match per detection, IoU > 0.5,
difficult = crowd ignored, area under the monotone precision envelope), continuous coordinates; equal
scores are taken in image order (increasing id), then in file order, as COCOeval pools them.

Writes coco_reference_cases.json beside this script (seeded, deterministic):

    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Evaluation/coco_reference.py
"""

import json
import pathlib

import numpy as np

IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
MAX_DETS = [1, 10, 100]
AREA_RNG = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]


def box_iou(dts, gts, crowd):
    """COCO bbox IoU: boxes x, y, w, h; union = dt area for crowd ground truth."""
    out = np.zeros((len(dts), len(gts)))
    for i, d in enumerate(dts):
        for j, g in enumerate(gts):
            w = min(d[0] + d[2], g[0] + g[2]) - max(d[0], g[0])
            h = min(d[1] + d[3], g[1] + g[3]) - max(d[1], g[1])
            if w <= 0 or h <= 0:
                continue
            inter = w * h
            union = d[2] * d[3] if crowd[j] else d[2] * d[3] + g[2] * g[3] - inter
            out[i, j] = inter / union
    return out


def evaluate_image(gts, dts, a_rng, max_det):
    if len(gts) == 0 and len(dts) == 0:
        return None
    g_ignore = np.array([1 if (g["iscrowd"] or g["area"] < a_rng[0] or g["area"] > a_rng[1]) else 0 for g in gts], dtype=int)
    g_order = np.argsort(g_ignore, kind="mergesort")
    gts = [gts[i] for i in g_order]
    g_ignore = g_ignore[g_order]
    d_order = np.argsort([-d["score"] for d in dts], kind="mergesort")
    dts = [dts[i] for i in d_order[:max_det]]
    crowd = [g["iscrowd"] for g in gts]
    ious = box_iou([d["bbox"] for d in dts], [g["bbox"] for g in gts], crowd)
    T, G, D = len(IOU_THRS), len(gts), len(dts)
    gtm = np.zeros((T, G), dtype=bool)
    dtm = np.zeros((T, D), dtype=bool)
    dt_ig = np.zeros((T, D), dtype=bool)
    for ti, t in enumerate(IOU_THRS):
        for di in range(D):
            best = min(t, 1 - 1e-10)
            m = -1
            for gi in range(G):
                if gtm[ti, gi] and not crowd[gi]:
                    continue
                if m > -1 and g_ignore[m] == 0 and g_ignore[gi] == 1:
                    break
                if ious[di, gi] < best:
                    continue
                best = ious[di, gi]
                m = gi
            if m == -1:
                continue
            dt_ig[ti, di] = g_ignore[m] == 1
            dtm[ti, di] = True
            gtm[ti, m] = True
    outside = np.array([d["bbox"][2] * d["bbox"][3] < a_rng[0] or d["bbox"][2] * d["bbox"][3] > a_rng[1] for d in dts], dtype=bool).reshape(1, D)
    dt_ig = np.logical_or(dt_ig, np.logical_and(~dtm, np.repeat(outside, T, 0)))
    return {"scores": np.array([d["score"] for d in dts]), "dtm": dtm, "dt_ig": dt_ig, "g_ignore": g_ignore}


def coco_eval(gt, results):
    img_ids = sorted(i["id"] for i in gt["images"])
    cat_ids = sorted(c["id"] for c in gt["categories"])
    K, A, M, T, R = len(cat_ids), len(AREA_RNG), len(MAX_DETS), len(IOU_THRS), len(REC_THRS)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    for k, cat in enumerate(cat_ids):
        for a, rng in enumerate(AREA_RNG):
            evals = []
            for img in img_ids:
                gts = [g for g in gt["annotations"] if g["image_id"] == img and g["category_id"] == cat]
                dts = [d for d in results if d["image_id"] == img and d["category_id"] == cat]
                gts = [dict(g, area=g.get("area", g["bbox"][2] * g["bbox"][3]), iscrowd=int(g.get("iscrowd", 0))) for g in gts]
                e = evaluate_image(gts, dts, rng, MAX_DETS[-1])
                if e is not None:
                    evals.append(e)
            for m, max_det in enumerate(MAX_DETS):
                if not evals:
                    continue
                scores = np.concatenate([e["scores"][:max_det] for e in evals])
                order = np.argsort(-scores, kind="mergesort")
                dtm = np.concatenate([e["dtm"][:, :max_det] for e in evals], axis=1)[:, order]
                dt_ig = np.concatenate([e["dt_ig"][:, :max_det] for e in evals], axis=1)[:, order]
                npig = np.count_nonzero(np.concatenate([e["g_ignore"] for e in evals]) == 0)
                if npig == 0:
                    continue
                tps = np.cumsum(np.logical_and(dtm, ~dt_ig), axis=1).astype(float)
                fps = np.cumsum(np.logical_and(~dtm, ~dt_ig), axis=1).astype(float)
                for t in range(T):
                    tp, fp = tps[t], fps[t]
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    recall[t, k, a, m] = rc[-1] if len(tp) else 0
                    pr = pr.tolist()
                    for i in range(len(pr) - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    inds = np.searchsorted(rc, REC_THRS, side="left")
                    q = np.zeros(R)
                    for ri, pi in enumerate(inds):
                        if pi < len(pr):
                            q[ri] = pr[pi]
                    precision[t, :, k, a, m] = q

    def mean(s):
        return float(np.mean(s[s > -1])) if np.any(s > -1) else -1.0

    def ap(iou=None, area=0, md=2):
        s = precision[:, :, :, area, md] if iou is None else precision[np.where(np.isclose(IOU_THRS, iou))[0], :, :, area, md]
        return mean(s)

    def ar(area=0, md=2):
        return mean(recall[:, :, area, md])

    stats = [ap(), ap(.5), ap(.75), ap(area=1), ap(area=2), ap(area=3), ar(md=0), ar(md=1), ar(), ar(1), ar(2), ar(3)]
    names = {c["id"]: c["name"] for c in gt["categories"]}
    per_class = {names[c]: mean(precision[:, :, k, 0, 2]) for k, c in enumerate(cat_ids)}
    return stats, per_class


def voc_ap50(gt, results):
    names = {c["id"]: c["name"] for c in gt["categories"]}
    per_class = {}
    for cat in sorted(names):
        gts = {}
        for g in gt["annotations"]:
            if g["category_id"] == cat:
                gts.setdefault(g["image_id"], []).append(g)
        npos = sum(1 for g in gt["annotations"] if g["category_id"] == cat and not g.get("iscrowd", 0))
        if npos == 0:
            per_class[names[cat]] = -1.0
            continue
        # Equal scores keep image order (increasing image id), then file order within an image.
        image_rank = {img["id"]: r for r, img in enumerate(sorted(gt["images"], key=lambda i: i["id"]))}
        dts = sorted([d for d in results if d["category_id"] == cat], key=lambda d: image_rank[d["image_id"]])
        order = np.argsort([-d["score"] for d in dts], kind="mergesort")
        taken = {img: [False] * len(v) for img, v in gts.items()}
        tp, fp = [], []
        for i in order:
            d = dts[i]
            cand = gts.get(d["image_id"], [])
            ious = box_iou([d["bbox"]], [g["bbox"] for g in cand], [False] * len(cand))[0] if cand else np.array([])
            j = int(np.argmax(ious)) if len(ious) else -1
            if j >= 0 and ious[j] > 0.5:
                if cand[j].get("iscrowd", 0):
                    continue
                if not taken[d["image_id"]][j]:
                    taken[d["image_id"]][j] = True
                    tp.append(1); fp.append(0)
                else:
                    tp.append(0); fp.append(1)
            else:
                tp.append(0); fp.append(1)
        tp, fp = np.cumsum(tp), np.cumsum(fp)
        rec = tp / npos
        prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        mrec = np.concatenate(([0.0], rec, [1.0]))
        mpre = np.concatenate(([0.0], prec, [0.0]))
        for i in range(len(mpre) - 1, 0, -1):
            mpre[i - 1] = max(mpre[i - 1], mpre[i])
        idx = np.where(mrec[1:] != mrec[:-1])[0]
        per_class[names[cat]] = float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))
    defined = [v for v in per_class.values() if v > -1]
    return (float(np.mean(defined)) if defined else -1.0), per_class


def random_case(rng, images, categories, crowd_rate, extra_category, crowded_image):
    cats = [{"id": 10 + 3 * k, "name": f"class{k}"} for k in range(categories)]
    if extra_category:
        cats.append({"id": 99, "name": "never-annotated"})
    imgs = [{"id": 1000 + 7 * i, "file_name": f"img{i}.jpg", "width": 640, "height": 480} for i in range(images)]
    anns, results = [], []
    for img in imgs:
        for _ in range(rng.integers(0, 7)):
            cat = cats[rng.integers(0, categories)]["id"]
            side = float(rng.choice([rng.uniform(8, 30), rng.uniform(34, 90), rng.uniform(100, 250)]))
            w = round(side * rng.uniform(0.6, 1.4), 1)
            h = round(side * rng.uniform(0.6, 1.4), 1)
            x = round(float(rng.uniform(0, 640 - w)), 1)
            y = round(float(rng.uniform(0, 480 - h)), 1)
            crowd = int(rng.random() < crowd_rate)
            anns.append({"id": len(anns) + 1, "image_id": img["id"], "category_id": cat, "bbox": [x, y, w, h],
                         "area": round(w * h * float(rng.uniform(0.55, 1.0)), 2), "iscrowd": crowd})
            for _ in range(rng.integers(0, 3)):
                jitter = rng.normal(0, 0.12 * side, 4)
                wrong_class = rng.random() < 0.1
                results.append({"image_id": img["id"], "category_id": cats[rng.integers(0, len(cats))]["id"] if wrong_class else cat,
                                "bbox": [round(x + jitter[0], 1), round(y + jitter[1], 1), round(max(1.0, w + jitter[2]), 1), round(max(1.0, h + jitter[3]), 1)],
                                "score": round(float(rng.uniform(0.05, 1.0)), 2)})
        for _ in range(rng.integers(0, 4)):
            w, h = round(float(rng.uniform(5, 200)), 1), round(float(rng.uniform(5, 200)), 1)
            results.append({"image_id": img["id"], "category_id": cats[rng.integers(0, len(cats))]["id"],
                            "bbox": [round(float(rng.uniform(0, 400)), 1), round(float(rng.uniform(0, 250)), 1), w, h],
                            "score": round(float(rng.uniform(0.0, 0.8)), 2)})
    if crowded_image:
        img = imgs[0]["id"]
        cat = cats[0]["id"]
        for i in range(12):
            anns.append({"id": len(anns) + 1, "image_id": img, "category_id": cat, "bbox": [10.0 + 50 * (i % 6), 10.0 + 60 * (i // 6), 40.0, 40.0], "area": 1600.0, "iscrowd": 0})
        for i in range(130):
            results.append({"image_id": img, "category_id": cat, "bbox": [10.0 + 50 * (i % 6) + (i % 5), 10.0 + 60 * ((i // 6) % 2) + (i % 3), 40.0, 40.0],
                            "score": round(float(rng.uniform(0, 1)), 2)})
    gt = {"images": imgs, "annotations": anns, "categories": cats}
    return gt, results


def main():
    rng = np.random.default_rng(20240601)
    cases = []
    for name, args in [("mixed", (40, 4, 0.05, False, True)), ("with-unannotated-class", (25, 3, 0.1, True, False)),
                       ("many-crowds", (20, 2, 0.3, False, False))]:
        gt, results = random_case(rng, *args)
        stats, per_class = coco_eval(gt, results)
        voc, voc_per_class = voc_ap50(gt, results)
        cases.append({"name": name, "ground_truth": gt, "results": results,
                      "expected": {"stats": stats, "per_class_ap": per_class, "voc_ap50": voc, "per_class_voc_ap50": voc_per_class}})
        print(name, len(gt["annotations"]), "annotations", len(results), "results", "AP", round(stats[0], 4), "AP50", round(stats[1], 4), "VOC", round(voc, 4))
    path = pathlib.Path(__file__).with_name("coco_reference_cases.json")
    path.write_text(json.dumps(cases, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
