#!/usr/bin/python3
"""The ReplaceMe map solved independently of Shallow, in float64 with numpy's SVD least squares (not normal equations):
T = argmin ||A + M T - L||^2 + lambda ||T||^2, as the stacked system [M; sqrt(lambda) I] T = [L - A; 0], with
lambda = RIDGE x trace(M^T M) / h. Also the relative errors ||A + M T - L||^2 / ||L - A||^2 and the same with T = I.
Usage: replaceme_lstsq.py DUMP N H RIDGE OUT. DUMP: float32 little-endian M, A, L, each [N, H].
OUT: float64 little-endian T [H, H], then lambda, the error with T and the error with T = I."""
import sys
import numpy as np

dump, n, h, ridge, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
m, a, l = np.fromfile(dump, dtype="<f4").astype(np.float64).reshape(3, n, h)
d = l - a
lam = ridge * np.sum(m * m) / h
t = np.linalg.lstsq(np.vstack([m, np.sqrt(lam) * np.eye(h)]), np.vstack([d, np.zeros((h, h))]), rcond=None)[0]
err = np.sum((m @ t - d) ** 2) / np.sum(d * d)
err_identity = np.sum((m - d) ** 2) / np.sum(d * d)
np.concatenate([t.ravel(), [lam, err, err_identity]]).astype("<f8").tofile(out)
