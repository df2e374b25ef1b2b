#!/usr/bin/python3
"""Checks the other direction: files written by 'deepext export' load into torchvision 0.14 and give the same outputs.

For each architecture of generate_torchvision_weights.py: 'deepext import' the golden torch.save file (3x64x64 input,
ImageNet normalization), 'deepext export' it to .pt and to .safetensors, load both into
torchvision.models.ARCH(num_classes=3) with load_state_dict(strict=True) -- the .pt through torch.load, the
.safetensors through the small reader below (Debian ships no Python safetensors package) -- and compare the logits
on the photos with the golden ones (and, for the .pt, every tensor with the original file's).

    dotnet build samples/DeepExtensions.Cli
    /usr/bin/python3 test/Microsoft.ML.DeepExtensions.Tests/Vision/Weights/check_exported_weights.py [ARCH ...]

Prints one line per architecture and format with the largest logit difference; exits 1 on any mismatch.
"""

import json
import pathlib
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import generate_torchvision_weights as golden  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[4]
CLI = ROOT / "samples" / "DeepExtensions.Cli" / "bin" / "Debug" / "net10.0" / "deepext.dll"
TYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64, "F64": torch.float64, "I32": torch.int32}


def read_safetensors(path):
    """The safetensors format: u64 little-endian header size, JSON header, raw little-endian data."""
    data = pathlib.Path(path).read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.uint8) if end > begin else torch.empty(0, dtype=torch.uint8)
        tensors[name] = raw.view(TYPES[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors


def deepext(*args):
    subprocess.run(["dotnet", str(CLI), *args], check=True, stdout=subprocess.DEVNULL)


def main():
    torch.set_num_threads(2)
    expected = json.loads((golden.OUT / "torchvision_weights.json").read_text())
    names = sys.argv[1:] or list(golden.ARCHITECTURES)
    photos = [golden.OUT / "photos" / f"{p}.png" for p in expected["photos"]]
    import cv2
    batch = torch.stack([torch.from_numpy(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)).permute(2, 0, 1).float() / 255 for p in photos])
    import torchvision
    batch = torchvision.transforms.functional.normalize(batch, golden.MEAN, golden.STD)
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            arch = next(a for a in expected["architectures"] if a["name"] == name)
            model_zip = pathlib.Path(folder) / f"{name}.zip"
            deepext("import", "--arch", name, "--weights", str(golden.OUT / f"{name}.pt"), "--input", "3x64x64", "--out", str(model_zip))
            original = torch.load(golden.OUT / f"{name}.pt")
            for extension in (".pt", ".safetensors"):
                exported = pathlib.Path(folder) / f"{name}{extension}"
                deepext("export", "--model", str(model_zip), "--out", str(exported))
                state = torch.load(exported) if extension == ".pt" else read_safetensors(exported)
                model = golden.ARCHITECTURES[name]().eval()
                model.load_state_dict(state, strict=True)
                same = all(torch.equal(original[k].contiguous(), state[k]) for k in original)
                with torch.no_grad():
                    logits = model(batch)
                difference = (logits - torch.tensor(arch["logits"])).abs().max().item()
                scale = max(torch.tensor(arch["logits"]).abs().max().item(), 1e-3)
                ok = same and difference <= 1e-4 * scale
                failed |= not ok
                print(f"{name}{extension}: {exported.stat().st_size:,} bytes, tensors equal to the original: {same}, "
                      f"largest logit difference {difference:.3g} (scale {scale:.3g}) {'OK' if ok else 'MISMATCH'}")
                exported.unlink()
            model_zip.unlink()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
