"""A small LoRA Llama/Qwen2 in PyTorch float64, the autograd reference for Shallow's training pass.

Usage: lora_llama.py request.json response.json

request: {"model": dir, "layers": [kept original layer indices], "alpha": a,
          "inputs": [[ids]], "targets": [[id or -1]],
          "lora": {PEFT tensor name: {"shape": [rows, cols], "values": [row-major]}}}
Adapter names carry the layer's position in "layers" (its index in the pruned model), e.g.
base_model.model.model.layers.2.self_attn.q_proj.lora_A.weight; r is each A's row count.
response: {"loss": mean cross-entropy over the targets, "grads": {name: [row-major dloss/dparam]}}

Written from the Hugging Face modelling conventions (rotate-half RoPE, grouped-query attention,
SwiGLU, RMSNorm with eps inside the square root, Qwen2's q/k/v biases, tied or separate head);
no dropout. The safetensors reader is a few lines of json + numpy.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]])
        if info["dtype"] == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = torch.from_numpy(a.astype(np.float64)).reshape(info["shape"])
    return tensors


def load_weights(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
    else:
        shards = ["model.safetensors"]
    weights = {}
    for shard in shards:
        weights.update(read_safetensors(os.path.join(model_dir, shard)))
    return weights


def rms_norm(x, w, eps):
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate(x, cos, sin):
    # x [T, heads, d]: dimension i pairs with i + d/2 (rotate-half)
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


def mean_cross_entropy(logits_of, inputs, targets):
    """Mean cross-entropy over every target (-1: none) of every sequence, logits_of(ids) giving [T, vocab]."""
    total, count = torch.zeros((), dtype=torch.float64), 0
    for ids, tgt in zip(inputs, targets):
        logits, tgt = logits_of(ids), torch.tensor(tgt)
        keep = tgt != -1
        total = total + torch.nn.functional.cross_entropy(logits[keep], tgt[keep], reduction="sum")
        count += int(keep.sum())
    return total / count


def main():
    with open(sys.argv[1]) as f:
        req = json.load(f)
    model_dir = req["model"]
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("rope_scaling"):
        raise SystemExit("rope_scaling is not implemented in this reference")
    w = load_weights(model_dir)
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    d = cfg.get("head_dim") or hidden // heads
    eps = float(np.float32(cfg["rms_norm_eps"]))  # as a float32 model adds it (and Shallow reads it)
    theta = cfg.get("rope_theta", 10000.0)
    head_w = w.get("lm_head.weight", w["model.embed_tokens.weight"])

    lora = {}
    for name, t in req["lora"].items():
        lora[name] = torch.tensor(t["values"], dtype=torch.float64).reshape(t["shape"]).requires_grad_(True)
    alpha = req["alpha"]

    def linear(x, position, layer, path):
        prefix = f"model.layers.{layer}.{path}"
        y = x @ w[prefix + ".weight"].T
        if prefix + ".bias" in w:
            y = y + w[prefix + ".bias"]
        peft = f"base_model.model.model.layers.{position}.{path}"
        if peft + ".lora_A.weight" in lora:
            a, b = lora[peft + ".lora_A.weight"], lora[peft + ".lora_B.weight"]
            y = y + (alpha / a.shape[0]) * ((x @ a.T) @ b.T)
        return y

    inv_freq = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)

    def logits_of(ids):
        T = len(ids)
        angles = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]
        cos = torch.cat([angles.cos(), angles.cos()], dim=-1)[:, None, :]
        sin = torch.cat([angles.sin(), angles.sin()], dim=-1)[:, None, :]
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        x = w["model.embed_tokens.weight"][torch.tensor(ids)]
        for position, layer in enumerate(req["layers"]):
            p = f"model.layers.{layer}."
            xn = rms_norm(x, w[p + "input_layernorm.weight"], eps)
            q = rotate(linear(xn, position, layer, "self_attn.q_proj").reshape(T, heads, d), cos, sin)
            k = rotate(linear(xn, position, layer, "self_attn.k_proj").reshape(T, kv_heads, d), cos, sin)
            v = linear(xn, position, layer, "self_attn.v_proj").reshape(T, kv_heads, d)
            k = k.repeat_interleave(heads // kv_heads, dim=1)
            v = v.repeat_interleave(heads // kv_heads, dim=1)
            scores = torch.einsum("thd,shd->hts", q, k) / math.sqrt(d)
            probs = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
            att = torch.einsum("hts,shd->thd", probs, v).reshape(T, heads * d)
            x = x + linear(att, position, layer, "self_attn.o_proj")
            xn = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
            gate = linear(xn, position, layer, "mlp.gate_proj")
            up = linear(xn, position, layer, "mlp.up_proj")
            x = x + linear(torch.nn.functional.silu(gate) * up, position, layer, "mlp.down_proj")
        return rms_norm(x, w["model.norm.weight"], eps) @ head_w.T

    loss = mean_cross_entropy(logits_of, req["inputs"], req["targets"])
    loss.backward()
    out = {"loss": loss.item(), "grads": {name: t.grad.flatten().tolist() for name, t in lora.items()}}
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
