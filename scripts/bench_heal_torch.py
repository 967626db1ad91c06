#!/usr/bin/python3
"""PyTorch autograd baseline for `scripts/bench_heal.sh`: the LoRA training step `shallow heal` takes,
on the same model, batch, rank and targets, in float32 on the CPU.

One step: a batch of B sequences of T tokens through a Llama (RMSNorm, rotate-half RoPE, GQA causal
attention, SwiGLU, tied or untied head) whose base weights are frozen, with LoRA on the target
projections (y = x W^T + b + (alpha / r) B A dropout(x); A kaiming-uniform, B zero as PEFT starts),
mean cross-entropy of next-token prediction, backward, global-norm clipping to 1, AdamW. The token
ids are seeded random ids (the cost does not depend on them). --checkpoint recomputes each layer in
backward (torch.utils.checkpoint), as Shallow always does. After --warmup steps, --steps steps are
timed; prints one JSON line: tokens/s, seconds, the last loss. `shallow bench`'s train workload runs the same
step (bench_torch.py imports lora_step).

  bench_heal_torch.py MODEL_DIR [--batch 4] [--seq-len 256] [--rank 8] [--alpha 16] [--dropout 0.05]
                      [--targets q,k,v,o,gate,up,down] [--steps 16] [--warmup 2] [--threads 2] [--checkpoint]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.utils.checkpoint

PROJECTIONS = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj",
               "gate": "mlp.gate_proj", "up": "mlp.up_proj", "down": "mlp.down_proj"}


def lora_step(cfg, w, batch, seq_len, rank=8, alpha=16.0, dropout=0.05, targets="q,k,v,o,gate,up,down", lr=2e-4,
              max_grad_norm=1.0, checkpoint=False, autocast=False):
    """One LoRA training step on `batch` x `seq_len` fresh random ids of the Llama `cfg` (config.json) with HF-named
    weights `w` (frozen, widened to float32), as a function of no arguments returning the loss. autocast: mixed precision
    as a bfloat16 model is trained (HF Trainer's bf16=True): the frozen weights stay bfloat16, the forward and the loss
    run under torch.autocast("cpu", torch.bfloat16), the LoRA weights and AdamW stay float32."""
    torch.manual_seed(0)
    w = {k: (v.bfloat16() if autocast else v.float()).requires_grad_(False) for k, v in w.items()}
    L, hidden, heads = cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    d = cfg.get("head_dim") or hidden // heads
    eps, theta, vocab = cfg.get("rms_norm_eps", 1e-6), cfg.get("rope_theta", 10000.0), cfg["vocab_size"]
    head_w = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    scaling = alpha / rank

    lora = {}
    for l in range(L):
        for t in targets.split(","):
            out_f, in_f = w[f"model.layers.{l}.{PROJECTIONS[t]}.weight"].shape
            a = torch.empty(rank, in_f)
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))
            lora[(l, PROJECTIONS[t])] = (a.requires_grad_(True), torch.zeros(out_f, rank, requires_grad=True))
    params = [p for ab in lora.values() for p in ab]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    drop = torch.nn.Dropout(dropout)

    T = seq_len
    inv = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    cos, sin = torch.cat([ang, ang], -1).cos().float(), torch.cat([ang, ang], -1).sin().float()
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)

    def rms(x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g

    def rope(x):
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def layer(l, x):
        p = f"model.layers.{l}."

        def lin(path, v):
            y = v @ w[p + path + ".weight"].T
            if p + path + ".bias" in w:
                y = y + w[p + path + ".bias"]
            if (l, path) in lora:
                a, b = lora[(l, path)]
                y = y + scaling * ((drop(v) @ a.T) @ b.T)
            return y

        B = x.shape[0]
        h = rms(x, w[p + "input_layernorm.weight"])
        q = rope(lin("self_attn.q_proj", h).view(B, T, heads, d).transpose(1, 2))
        k = rope(lin("self_attn.k_proj", h).view(B, T, kv_heads, d).transpose(1, 2))
        v = lin("self_attn.v_proj", h).view(B, T, kv_heads, d).transpose(1, 2)
        k, v = k.repeat_interleave(heads // kv_heads, 1), v.repeat_interleave(heads // kv_heads, 1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        a = torch.softmax(s.masked_fill(mask, float("-inf")), -1) @ v
        x = x + lin("self_attn.o_proj", a.transpose(1, 2).reshape(B, T, heads * d))
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        return x + lin("mlp.down_proj", torch.nn.functional.silu(lin("mlp.gate_proj", h)) * lin("mlp.up_proj", h))

    gen = torch.Generator().manual_seed(1)

    def step():
        ids = torch.randint(3, vocab, (batch, T), generator=gen)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            x = w["model.embed_tokens.weight"][ids]
            for l in range(L):
                x = torch.utils.checkpoint.checkpoint(layer, l, x, use_reentrant=False) if checkpoint else layer(l, x)
            logits = rms(x, w["model.norm.weight"]) @ head_w.T
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16)
    ap.add_argument("--dropout", type=float, default=0.05)
    ap.add_argument("--targets", default="q,k,v,o,gate,up,down")
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--checkpoint", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tools"))
    from refllama import load

    cfg, w = load(args.model)
    step = lora_step(cfg, w, args.batch, args.seq_len, args.rank, args.alpha, args.dropout, args.targets, checkpoint=args.checkpoint)
    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        last = step()
    seconds = time.perf_counter() - t0
    print(json.dumps({"impl": "pytorch " + torch.__version__ + (" checkpointed" if args.checkpoint else ""), "threads": args.threads,
                      "steps": args.steps, "seconds": seconds, "tokens_per_s": args.steps * args.batch * args.seq_len / seconds, "loss": last}))


if __name__ == "__main__":
    main()
