#!/usr/bin/python3
"""PyTorch baseline for `shallow bench`: a plain-torch Llama forward over a Hugging Face directory.

Reads config.json and model.safetensors (or shards listed in model.safetensors.index.json) itself,
runs the forward (RMSNorm, rotate-half RoPE, GQA attention with a causal mask and a KV cache,
SwiGLU, tied or untied head) and times, per dtype (float32, bfloat16):
  prefill_1x<P>    one P-token prompt (and one long prompt), last-position logits (tokens/s)
  prefill_<B>x<L>  a batch of B prompts of L tokens, last-position logits (tokens/s)
  decode           S greedy single-token steps after a short prompt     (tokens/s)
  eval_<N>req      N log-likelihood requests, each context + continuation in full (no prefix sharing),
                   longest first in right-padded batches of 8 with all-position logits, as
                   lm-evaluation-harness's HF model does with --batch_size 8 (requests/s)
  train_<B>x<T>    LoRA training steps of bench_heal_torch.py (plain autograd; bfloat16: autocast mixed precision) (tokens/s)
Each is warmed up once (the batch with its first prompt, eval with its first request), then the best of
at most --repeats runs is kept, repeating only while the timed runs stay within --budget seconds. float32 always runs. A
bfloat16 workload projected (from its measured matmul GFLOP/s) to take longer than --max-run
seconds in one run is not run but estimated, and marked so: bfloat16 without native bf16 instructions (AVX2 machines) runs at
~1.4 GFLOP/s, where one 128-token prefill of a 1.1B model would take over 3 minutes.
Prints one JSON line, with the process's peak RSS (VmHWM).

  bench_torch.py MODEL_DIR [--workload FILE] [--threads 2] [--dtypes float32,bfloat16] [--repeats 3] [--budget 60] [--max-run 150] [--only NAMES]
  bench_torch.py --check MODEL_DIR REFERENCE_DIR   # float32 logits vs a golden reference.safetensors
  bench_torch.py --score MODEL_DIR --workload FILE # float32 log-likelihoods of the eval requests
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import torch

from bench_heal_torch import lora_step

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.int16}


def read_safetensors(path):
    """name -> torch tensor (a view of a read-only memory map; BF16 is reinterpreted from int16)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = raw[begin:end].view(DTYPES[info["dtype"]]).reshape(info["shape"])
        with warnings.catch_warnings():  # read-only map: the model copies out of it, never writes
            warnings.simplefilter("ignore", UserWarning)
            t = torch.from_numpy(array)
        out[name] = t.view(torch.bfloat16) if info["dtype"] == "BF16" else t
    return out


def read_checkpoint(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if not os.path.exists(index):
        return read_safetensors(os.path.join(model_dir, "model.safetensors"))
    with open(index) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    tensors = {}
    for shard in shards:
        tensors.update(read_safetensors(os.path.join(model_dir, shard)))
    return tensors


class Llama:
    """Llama decoder over a dict of HF-named weights, converted to one dtype."""

    def __init__(self, model_dir, dtype):
        with open(os.path.join(model_dir, "config.json")) as f:
            c = json.load(f)
        self.config = c
        self.dtype = dtype
        self.layers = c["num_hidden_layers"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads", self.heads)
        self.head_dim = c.get("head_dim") or c["hidden_size"] // self.heads
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.theta = c.get("rope_theta", 10000.0)
        raw = read_checkpoint(model_dir)
        # copy (or widen) out of the read-only map, one tensor at a time
        self.w = {name: t.to(dtype=dtype, copy=True).contiguous() for name, t in raw.items()}
        del raw
        self.head = self.w.get("lm_head.weight", self.w["model.embed_tokens.weight"])
        inv = 1.0 / (self.theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim))
        self.inv_freq = inv

    def new_cache(self, batch, capacity):
        shape = (self.layers, batch, self.kv_heads, capacity, self.head_dim)
        return {"k": torch.zeros(shape, dtype=self.dtype), "v": torch.zeros(shape, dtype=self.dtype), "pos": 0}

    def rms_norm(self, x, weight):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * xf.to(self.dtype)

    def rope(self, positions):
        angles = positions.double()[:, None] * self.inv_freq[None, :]
        angles = torch.cat([angles, angles], dim=-1)
        return angles.cos().to(self.dtype), angles.sin().to(self.dtype)

    @staticmethod
    def rotate(x, cos, sin):
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    @torch.no_grad()
    def forward(self, ids, cache, all_logits=False):
        """ids [B, T] appended at cache['pos']; returns logits [B, T or 1, vocab] in float32."""
        b, t = ids.shape
        start = cache["pos"]
        end = start + t
        x = self.w["model.embed_tokens.weight"][ids]
        cos, sin = self.rope(torch.arange(start, end))
        mask = torch.full((t, end), float("-inf")).triu(start + 1)
        group = self.heads // self.kv_heads
        scale = 1.0 / math.sqrt(self.head_dim)
        for i in range(self.layers):
            p = f"model.layers.{i}."
            h = self.rms_norm(x, self.w[p + "input_layernorm.weight"])
            q = torch.nn.functional.linear(h, self.w[p + "self_attn.q_proj.weight"])
            k = torch.nn.functional.linear(h, self.w[p + "self_attn.k_proj.weight"])
            v = torch.nn.functional.linear(h, self.w[p + "self_attn.v_proj.weight"])
            q = self.rotate(q.view(b, t, self.heads, self.head_dim).transpose(1, 2), cos, sin)
            k = self.rotate(k.view(b, t, self.kv_heads, self.head_dim).transpose(1, 2), cos, sin)
            v = v.view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            cache["k"][i, :, :, start:end] = k
            cache["v"][i, :, :, start:end] = v
            keys = cache["k"][i, :, :, :end].repeat_interleave(group, dim=1)
            values = cache["v"][i, :, :, :end].repeat_interleave(group, dim=1)
            scores = torch.matmul(q, keys.transpose(2, 3)).float() * scale + mask
            attn = torch.matmul(torch.softmax(scores, dim=-1).to(self.dtype), values)
            attn = attn.transpose(1, 2).reshape(b, t, self.heads * self.head_dim)
            x = x + torch.nn.functional.linear(attn, self.w[p + "self_attn.o_proj.weight"])
            h = self.rms_norm(x, self.w[p + "post_attention_layernorm.weight"])
            gate = torch.nn.functional.linear(h, self.w[p + "mlp.gate_proj.weight"])
            up = torch.nn.functional.linear(h, self.w[p + "mlp.up_proj.weight"])
            x = x + torch.nn.functional.linear(torch.nn.functional.silu(gate) * up, self.w[p + "mlp.down_proj.weight"])
        cache["pos"] = end
        if not all_logits:
            x = x[:, -1:]
        return torch.nn.functional.linear(self.rms_norm(x, self.w["model.norm.weight"]), self.head).float()


EVAL_BATCH = 8


def eval_batches(requests):
    """Request indices, longest context + continuation first, in batches of EVAL_BATCH (lm-evaluation-harness's order)."""
    order = sorted(range(len(requests)), key=lambda i: -(len(requests[i]["context"]) + len(requests[i]["continuation"])))
    return [order[i:i + EVAL_BATCH] for i in range(0, len(order), EVAL_BATCH)]


def score(model, requests):
    """log P(continuation | context) of each request: the model reads context + continuation[:-1] (right-padded to the
    batch's longest) and the continuation's log-softmax scores are summed."""
    out = [0.0] * len(requests)
    for batch in eval_batches(requests):
        seqs = [requests[i]["context"] + requests[i]["continuation"][:-1] for i in batch]
        ids = torch.zeros(len(seqs), max(map(len, seqs)), dtype=torch.long)
        for row, seq in enumerate(seqs):
            ids[row, :len(seq)] = torch.tensor(seq)
        logp = torch.log_softmax(model.forward(ids, model.new_cache(*ids.shape), all_logits=True), dim=-1)
        for row, i in enumerate(batch):
            start, cont = len(requests[i]["context"]) - 1, torch.tensor(requests[i]["continuation"])
            out[i] = logp[row, start + torch.arange(len(cont)), cont].sum().item()
    return out


def padded_tokens(requests):
    """Tokens the eval batches compute, padding included."""
    return sum(len(b) * max(len(requests[i]["context"]) + len(requests[i]["continuation"]) - 1 for i in b) for b in eval_batches(requests))


def peak_rss_bytes():
    """VmHWM of this process, or None without /proc. Not ru_maxrss: Linux carries that over from the parent across
    fork and exec, so under `shallow bench` it would report the JVM's peak."""
    if not os.path.exists("/proc/self/status"):
        return None
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def timed(run):
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def best_of(run, warm_up, repeats, budget_s):
    """Fastest of up to `repeats` timed runs after `warm_up`; stops repeating once `budget_s` is spent."""
    warm_up()
    times = []
    while len(times) < repeats and sum(times) < budget_s:
        times.append(run())
    return {"seconds": min(times), "runs": len(times)}


def matmul_gflops(model, rows):
    """GFLOP/s of this dtype's linear on an [intermediate, hidden] weight with `rows` input rows."""
    w = model.w["model.layers.0.mlp.gate_proj.weight"]
    x = torch.ones(rows, w.shape[1], dtype=model.dtype)
    torch.nn.functional.linear(x, w)
    seconds = min(timed(lambda: torch.nn.functional.linear(x, w)) for _ in range(2))
    return 2.0 * rows * w.numel() / seconds / 1e9


def measure(model, workload, repeats, budget_s, max_run_s, only):
    """per second (tokens, or requests for eval) of each workload; outside float32, a workload projected to run longer
    than max_run_s is estimated, not run; training in bfloat16 is torch.autocast mixed precision (bench_heal_torch.lora_step)."""
    prompt = torch.tensor([workload["prompt"]])
    long_prompt = torch.tensor([workload["long_prompt"]])
    batch = torch.tensor(workload["batch"])
    decode_prompt = torch.tensor([workload["decode_prompt"]])
    steps = workload["decode_steps"]
    requests, train = workload["eval"], workload["train"]
    flop_per_token = 2.0 * sum(t.numel() for n, t in model.w.items() if n.endswith("proj.weight"))

    def prefill(ids):
        return lambda: timed(lambda: model.forward(ids, model.new_cache(ids.shape[0], ids.shape[1])))

    def decode():
        cache = model.new_cache(1, decode_prompt.shape[1] + steps)
        logits = model.forward(decode_prompt, cache)
        t0 = time.perf_counter()
        for _ in range(steps):
            logits = model.forward(logits[:, -1].argmax(-1, keepdim=True), cache)
        return time.perf_counter() - t0

    # name: (units counted per second, tokens the forward computes, timed run, warm-up, rows of the matmul probe)
    workloads = {
        f"prefill_1x{prompt.shape[1]}": (prompt.numel(), prompt.numel(), prefill(prompt), prefill(prompt), 16),
        f"prefill_1x{long_prompt.shape[1]}": (long_prompt.numel(), long_prompt.numel(), prefill(long_prompt), prefill(long_prompt), 16),
        f"prefill_{batch.shape[0]}x{batch.shape[1]}": (batch.numel(), batch.numel(), prefill(batch), prefill(batch[:1]), 16),
        "decode": (steps, steps, decode, decode, 1),
        f"eval_{len(requests)}req": (len(requests), padded_tokens(requests), lambda: timed(lambda: score(model, requests)),
                                     lambda: score(model, requests[:1]), 16),
    }
    if not only or f"train_{train['batch']}x{train['seq_len']}" in only:  # float32 autograd; bfloat16: autocast mixed precision
        step = lora_step(model.config, model.w, train["batch"], train["seq_len"], train["rank"], train["alpha"], train["dropout"],
                         lr=train["lr"], max_grad_norm=train["max_grad_norm"], autocast=model.dtype == torch.bfloat16)
        tokens = train["batch"] * train["seq_len"]
        workloads[f"train_{train['batch']}x{train['seq_len']}"] = (tokens, 2 * tokens, lambda: timed(step), step, 16)  # forward + input gradient
    results = {}
    for name, (units, tokens, run, warm_up, probe_rows) in workloads.items():
        if only and name not in only:
            continue
        gflops = matmul_gflops(model, probe_rows)
        projected_s = tokens * flop_per_token / (gflops * 1e9)
        if model.dtype != torch.float32 and projected_s > max_run_s:
            results[name] = {"per_s": units / projected_s, "estimated": True, "matmul_gflops": gflops,
                             "note": f"not run: projected {projected_s:.0f} s at {gflops:.1f} GFLOP/s > {max_run_s:.0f} s"}
        else:
            r = best_of(run, warm_up, repeats, budget_s)
            results[name] = {"per_s": units / r["seconds"], "seconds": r["seconds"], "runs": r["runs"],
                             "matmul_gflops": gflops}
        print(f"bench_torch: {model.dtype} {name}: {'~' if results[name].get('estimated') else ''}"
              f"{results[name]['per_s']:.2f}/s", file=sys.stderr, flush=True)
    return results


def default_workload(vocab):
    rng = np.random.default_rng(2026)
    ids = lambda *shape: rng.integers(3, vocab, size=shape).tolist()
    contexts = [ids(int(rng.integers(200, 401))) for _ in range(4)]
    return {"prompt": ids(128), "long_prompt": ids(512), "batch": ids(8, 256), "decode_prompt": ids(16), "decode_steps": 16,
            "eval": [{"context": c, "continuation": ids(1)} for c in contexts for _ in range(4)],
            "train": {"batch": 1, "seq_len": 128, "rank": 8, "alpha": 16.0, "dropout": 0.05, "lr": 2e-4, "max_grad_norm": 1.0}}


def check(model_dir, reference_dir):
    """Float32 logits (full prefill, and prefill + one cached step) vs the golden reference; exit 1 if off."""
    model = Llama(model_dir, torch.float32)
    with open(os.path.join(reference_dir, "inputs.json")) as f:
        sequences = json.load(f)["sequences"]
    ref = read_safetensors(os.path.join(reference_dir, "reference.safetensors"))
    worst = 0.0
    for i, seq in enumerate(sequences):
        ids = torch.tensor([seq["ids"]])
        expected = ref[f"logits.{i}"].float()
        full = model.forward(ids, model.new_cache(1, ids.shape[1]), all_logits=True)[0]
        cache = model.new_cache(1, ids.shape[1])
        model.forward(ids[:, :-1], cache)
        last = model.forward(ids[:, -1:], cache)[0, -1]
        worst = max(worst, (full - expected).abs().max().item(), (last - expected[-1]).abs().max().item())
    ok = worst <= 1e-4
    print(json.dumps({"check": reference_dir, "max_abs_logit_diff": worst, "tolerance": 1e-4, "ok": ok}))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("reference_dir", nargs="?")
    ap.add_argument("--check", action="store_true", help="compare float32 logits with REFERENCE_DIR's goldens")
    ap.add_argument("--score", action="store_true", help="print the float32 log-likelihoods of the --workload's eval requests")
    ap.add_argument("--workload", help="JSON {prompt, batch, decode_prompt, decode_steps} (default: seeded random ids)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60.0, help="stop repeating a workload after this many seconds of timed runs")
    ap.add_argument("--only", help="comma-separated workload names to run, e.g. prefill_1x128,decode (default: all)")
    ap.add_argument("--max-run", type=float, default=150.0, help="estimate, not run, a bfloat16 workload projected to take longer")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.check:
        if not args.reference_dir:
            ap.error("--check needs REFERENCE_DIR")
        return check(args.model_dir, args.reference_dir)
    if args.score:
        if not args.workload:
            ap.error("--score needs --workload")
        with open(args.workload) as f:
            requests = json.load(f)["eval"]
        print(json.dumps({"loglikelihoods": score(Llama(args.model_dir, torch.float32), requests)}))
        return 0
    if args.workload:
        with open(args.workload) as f:
            workload = json.load(f)
    else:
        with open(os.path.join(args.model_dir, "config.json")) as f:
            workload = default_workload(json.load(f)["vocab_size"])
    results = {}
    for name in args.dtypes.split(","):
        model = Llama(args.model_dir, getattr(torch, name))
        results[name] = measure(model, workload, args.repeats, args.budget, args.max_run, args.only.split(",") if args.only else None)
        del model
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"), "results": results,
                      "peak_rss_bytes": peak_rss_bytes()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
