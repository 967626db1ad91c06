"""Distillation loss and its gradient w.r.t. the student's logits, in float64 PyTorch autograd, written independently of
Shallow: the teacher's top-k probabilities scattered into a full-vocabulary distribution (zero elsewhere), torch's own
kl_div on the student's log-softmax at temperature T, times T^2, mixed with cross-entropy.

Usage: kd_loss.py REQUEST.json RESPONSE.json
request: {"student": [[...]], "teacher": [[...]], "targets": [...], "top_k": k, "temperature": T, "alpha": a}
response: {"loss": mean over rows, "grad": [[dloss/dstudent]]}
"""
import json
import sys

import torch
import torch.nn.functional as F

req = json.load(open(sys.argv[1]))
s = torch.tensor(req["student"], dtype=torch.float64, requires_grad=True)
t = torch.tensor(req["teacher"], dtype=torch.float64)
y = torch.tensor(req["targets"], dtype=torch.long)
k, T, a = req["top_k"], req["temperature"], req["alpha"]
values, ids = t.topk(k, dim=-1)
p_teacher = torch.zeros_like(t).scatter(-1, ids, F.softmax(values / T, dim=-1))
kl = F.kl_div(F.log_softmax(s / T, dim=-1), p_teacher, reduction="none").sum(-1)
ce = F.cross_entropy(s, y, reduction="none")
loss = (a * T * T * kl + (1 - a) * ce).mean()
loss.backward()
json.dump({"loss": loss.item(), "grad": s.grad.tolist()}, open(sys.argv[2], "w"))
