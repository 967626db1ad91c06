#!/usr/bin/python3
"""The float64 reference (../shared/tools/refllama.py, dispatching to refarch.py) on checkpoints with attention or MLP
sub-blocks removed. The masking is written here, not taken from Shallow: a removed attention is its o_proj (Phi-2: dense)
weight and bias set to zero in the reference's own weights, a removed MLP its down_proj (Phi-2: fc2), so the sub-block adds
nothing to the residual stream. For each case, for each golden sequence, writes the logits twice: the checkpoint Shallow
pruned as the reference loads it (a standard checkpoint), then the original with those sub-blocks masked and the kept layers run.
Usage: ref_subblocks.py TOOLS_DIR OUT_FILE ORIGINAL PRUNED KEPT_CSV ATTENTION_CSV MLP_CSV [...]
(ATTENTION_CSV / MLP_CSV: source layer indices, or "-" for none). OUT_FILE: float32 little-endian logits [T, V]."""
import json, os, re, sys
import torch

sys.path.insert(0, sys.argv[1])
import refllama

def layers(csv):
    return [] if csv == "-" else [int(x) for x in csv.split(",")]

out = open(sys.argv[2], "wb")
args = sys.argv[3:]
for i in range(0, len(args), 5):
    original, pruned, kept = args[i], args[i + 1], layers(args[i + 2])
    attention, mlp = layers(args[i + 3]), layers(args[i + 4])
    golden = os.path.join(os.path.dirname(os.path.dirname(original)), "golden", os.path.basename(original), "inputs.json")
    seqs = json.load(open(golden))["sequences"]
    a, b = refllama.Ref(pruned, torch.float64), refllama.Ref(original, torch.float64)
    masked = 0
    for name in list(b.W):
        m = re.fullmatch(r".*layers\.(\d+)\.(self_attn\.(?:o_proj|dense)|mlp\.(?:down_proj|fc2))\.(weight|bias)", name)
        if m and (int(m.group(1)) in attention if m.group(2).startswith("self_attn") else int(m.group(1)) in mlp):
            b.W[name] = torch.zeros_like(b.W[name])
            masked += 1
    assert masked >= len(attention) + len(mlp), f"{original}: masked {masked} tensors for {attention} / {mlp}"
    with torch.no_grad():
        for s in seqs:
            out.write(a.forward(s["ids"])[0].numpy().astype("<f4").tobytes())
            out.write(b.forward(s["ids"], layers=kept)[0].numpy().astype("<f4").tobytes())
out.close()
