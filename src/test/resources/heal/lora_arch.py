"""Autograd through the independent float64 reference of every family (../shared/tools/refarch.py), with LoRA
added to its linear layers: the reference for Shallow's training pass on any supported architecture.

Usage: lora_arch.py TOOLS_DIR request.json response.json

request: {"model": dir, "layers": [kept original layer indices], "alpha": a,
          "inputs": [[ids]], "targets": [[id or -1]], "base": true to return base-weight gradients,
          "lora": {PEFT tensor name: {"shape": [rows, cols], "values": [row-major]}}}
Adapter names carry the layer's position in "layers" (its index in the pruned model) and the module's path as
the checkpoint names it, e.g. base_model.model.model.layers.2.self_attn.qkv_proj.lora_A.weight; r is each A's
row count. The adapter adds (alpha / r) (x A^T) B^T to the module's output, as PEFT's lora.Linear without dropout.
response: {"loss": mean cross-entropy over the targets, "grads": {name: [row-major dloss/dparam]},
           "base": {checkpoint tensor name: [row-major dloss/dweight]} for every weight the loss depends on}

The forward is the reference's own (ArchRef.forward without its no_grad, ArchRef.lin for every linear layer);
this script only adds the adapters and the loss. Two settings follow Shallow's reading of the checkpoint:
the norm eps rounded to float32 (as Shallow reads it and a float32 model adds it) and, for Gemma's (1 + w)
norms, 1 + w rounded to float32 (transformers computes it in float32; Shallow stores it so); the gradient with
respect to that scale is the gradient with respect to w.
"""
import json
import sys

import numpy as np
import torch

from lora_llama import mean_cross_entropy


def main():
    tools, request, response = sys.argv[1:4]
    sys.path.insert(0, tools)
    import refarch

    with open(request) as f:
        req = json.load(f)
    ref = refarch.ArchRef(req["model"], dtype=torch.float64)
    ref.eps = float(np.float32(ref.eps))
    if ref.mt in refarch.GEMMA:  # (1 + w) in float32, used as the scale: the reference's w-path with w := that scale
        ref.ablate.add("norm_plus_one")
        for name in ref.W:
            if "norm" in name:
                ref.W[name] = (1.0 + ref.W[name].float()).double()
    position = {layer: i for i, layer in enumerate(req["layers"])}
    lora = {name: torch.tensor(t["values"], dtype=torch.float64).reshape(t["shape"]).requires_grad_(True)
            for name, t in req["lora"].items()}
    alpha = req["alpha"]
    if req.get("base"):
        for t in ref.W.values():
            t.requires_grad_(True)

    frozen = ref.lin

    def lin(name, v):  # name: model.layers.I.PATH of a linear layer, or another of the reference's
        y = frozen(name, v)
        parts = name.split(".")
        if name.startswith("model.layers."):
            peft = f"base_model.model.model.layers.{position[int(parts[2])]}." + ".".join(parts[3:])
            if peft + ".lora_A.weight" in lora:
                a, b = lora[peft + ".lora_A.weight"], lora[peft + ".lora_B.weight"]
                y = y + (alpha / a.shape[0]) * ((v @ a.T) @ b.T)
        return y

    ref.lin = lin
    forward = refarch.ArchRef.forward.__wrapped__  # the reference's forward, with autograd on
    loss = mean_cross_entropy(lambda ids: forward(ref, ids, req["layers"])[0], req["inputs"], req["targets"])
    loss.backward()
    out = {"loss": loss.item(), "grads": {name: t.grad.flatten().tolist() for name, t in lora.items()},
           "base": {name: t.grad.flatten().tolist() for name, t in ref.W.items() if t.grad is not None}}
    with open(response, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
