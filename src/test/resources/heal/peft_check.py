"""Loads a LoRA adapter the way Hugging Face PEFT does and measures the loss, independently of Shallow.

Usage: peft_check.py REFLLAMA_DIR BASE_MODEL ADAPTER_DIR MERGED_DIR request.json response.json

request: {"sequences": [[ids]]}
response: {"base": loss of BASE_MODEL, "adapter": loss of BASE_MODEL with the adapter, "merged": loss of MERGED_DIR,
           "modules": number of adapted weights}
Losses are the mean next-token cross-entropy over every predicted token of all sequences, pooled,
computed in float64 by ../shared/tools/refllama.py.

The adapter is read as PEFT's LoraModel reads it (peft >= 0.3, no peft package needed):
adapter_config.json must say peft_type LORA, task_type CAUSAL_LM, bias "none", fan_in_fan_out false,
no rsLoRA, DoRA, rank or alpha patterns, no layers_to_transform; every Linear module of the base whose
name ends in one of target_modules gets lora_A [r, in] and lora_B [out, r] from adapter_model.safetensors
under "base_model.model." + module + ".lora_A.weight" (PeftModelForCausalLM's prefix, adapter name
removed), and its output becomes W x + (lora_alpha / r) B A x. A key that no module takes, a module
without its keys, or a wrong shape is an error (PEFT would warn and leave the module untrained).
"""
import json
import sys

import torch


def main():
    refllama_dir, base_dir, adapter_dir, merged_dir, request, response = sys.argv[1:7]
    sys.path.insert(0, refllama_dir)
    from refllama import Ref, read_safetensors

    with open(f"{adapter_dir}/adapter_config.json") as f:
        cfg = json.load(f)
    expected = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "bias": "none", "fan_in_fan_out": False,
                "use_rslora": False, "use_dora": False, "rank_pattern": {}, "alpha_pattern": {}, "layers_to_transform": None}
    for key, value in expected.items():
        if cfg.get(key, value) != value:
            raise SystemExit(f"adapter_config.json: {key} = {cfg.get(key)!r}, this check handles only {value!r}")
    scaling = cfg["lora_alpha"] / cfg["r"]
    adapter = read_safetensors(f"{adapter_dir}/adapter_model.safetensors")

    with open(request) as f:
        seqs = json.load(f)["sequences"]

    def loss(ref):
        total, count = 0.0, 0
        for ids in seqs:
            logits, _ = ref.forward(ids)
            total += torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]), reduction="sum").item()
            count += len(ids) - 1
        return total / count

    ref = Ref(base_dir, dtype=torch.float64)
    base = loss(ref)
    used = set()
    for name in list(ref.W):
        module = name[: -len(".weight")]
        if not name.endswith(".weight") or ref.W[name].dim() != 2 or not module.startswith("model.layers."):
            continue
        if not any(module.endswith("." + t) for t in cfg["target_modules"]):
            continue
        a_key, b_key = f"base_model.model.{module}.lora_A.weight", f"base_model.model.{module}.lora_B.weight"
        if a_key not in adapter or b_key not in adapter:
            raise SystemExit(f"adapter_model.safetensors: no {a_key} / {b_key}")
        a, b = adapter[a_key].double(), adapter[b_key].double()
        out_features, in_features = ref.W[name].shape
        if tuple(a.shape) != (cfg["r"], in_features) or tuple(b.shape) != (out_features, cfg["r"]):
            raise SystemExit(f"{a_key}: shapes {tuple(a.shape)}, {tuple(b.shape)} do not fit {name} {tuple(ref.W[name].shape)}")
        ref.W[name] = ref.W[name] + scaling * (b @ a)
        used.update([a_key, b_key])
    unused = set(adapter) - used
    if unused:
        raise SystemExit(f"adapter_model.safetensors: keys no module takes: {sorted(unused)[:3]}")
    result = {"base": base, "adapter": loss(ref), "merged": loss(Ref(merged_dir, dtype=torch.float64)), "modules": len(used) // 2}
    with open(response, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
