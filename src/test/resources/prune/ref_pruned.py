#!/usr/bin/python3
"""Loads checkpoints Shallow pruned into the independent float64 reference (../shared/tools/refllama.py, which
dispatches to refarch.py) and writes, for each case, the logits of the golden sequences twice: from the pruned
checkpoint as the reference reads its config.json, and from the original with the same layers skipped.
Usage: ref_pruned.py TOOLS_DIR OUT_FILE ORIGINAL PRUNED KEPT_CSV [ORIGINAL PRUNED KEPT_CSV ...]
OUT_FILE: for each case, for each sequence, float32 little-endian logits [T, V] pruned, then skipped."""
import json, os, sys
import numpy as np
import torch

sys.path.insert(0, sys.argv[1])
import refllama

out = open(sys.argv[2], "wb")
args = sys.argv[3:]
for i in range(0, len(args), 3):
    original, pruned, kept = args[i], args[i + 1], [int(k) for k in args[i + 2].split(",")]
    golden = os.path.join(os.path.dirname(os.path.dirname(original)), "golden", os.path.basename(original), "inputs.json")
    seqs = json.load(open(golden))["sequences"]
    a, b = refllama.Ref(pruned, torch.float64), refllama.Ref(original, torch.float64)
    with torch.no_grad():
        for s in seqs:
            out.write(a.forward(s["ids"])[0].numpy().astype("<f4").tobytes())
            out.write(b.forward(s["ids"], layers=kept)[0].numpy().astype("<f4").tobytes())
out.close()
