"""The coupled-learning training step of bench/scipyCompare.ts, in SciPy, in two forms (issue 18, point 5).

Usage: python3 bench/scipyStep.py RUN.json   (written by bench/scipyCompare.ts; prints one JSON object on stdout)

RUN.json: nodes, edgeA, edgeB, conductance (S), sources, targets, ground, examples [{in, out}], steps, eta,
alpha (S/V^2), bounds [k_min, k_max]. Step s uses example s mod count (sequential order), as clln's Trainer does.

Forms, both from the same initial conductances:
- "two-spsolve": the labs' Python code: per step one spsolve for the free state (sources and ground imposed) and
  one for the clamped state (targets also imposed at V_T^F + eta (V_T^* - V_T^F)).
- "factor-reuse": per step one SuperLU factorisation (splu) of H_FF, solved for the free state and for the
  targets' Green's functions G = H_FF^-1 E_T; the clamped state is V^F + G lambda with G_TT lambda = delta (as
  clln's StateSolver computes it).
The update is docs/design.md's: k <- clip(k + alpha/(2 eta) [(dV^F)^2 - (dV^C)^2], k_min, k_max).
Written from the formulas, not from clln's code. Reports the median CPU time per step (ms; process_time, so that
other jobs on a shared machine count less; single-threaded here, so equal to wall time on a quiet machine) and the
final conductances of each form.
"""
import json
import sys
import time

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as sla


def main() -> None:
    with open(sys.argv[1]) as f:
        d = json.load(f)
    n = d["nodes"]
    a = np.asarray(d["edgeA"], dtype=np.int64)
    b = np.asarray(d["edgeB"], dtype=np.int64)
    k0 = np.asarray(d["conductance"], dtype=np.float64)
    sources, targets, ground = d["sources"], d["targets"], d["ground"]
    examples = d["examples"]
    steps, eta, alpha = d["steps"], d["eta"], d["alpha"]
    lo, hi = d["bounds"]
    m = len(a)
    # Signed incidence D (E x N): D[e, a_e] = -1, D[e, b_e] = +1; drops dV = D V; H = D^T diag(k) D.
    D = sp.csr_matrix((np.concatenate([-np.ones(m), np.ones(m)]), (np.concatenate([np.arange(m)] * 2), np.concatenate([a, b]))), shape=(m, n))

    def split(fixed):
        free = np.setdiff1d(np.arange(n), np.asarray(fixed, dtype=np.int64))
        return free, D[:, free].tocsc(), D[:, np.asarray(fixed, dtype=np.int64)].tocsc()

    imposed = list(sources) + list(ground)
    free1, DF1, DI1 = split(imposed)
    free2, DF2, DI2 = split(imposed + list(targets))
    tpos = np.searchsorted(free1, np.asarray(targets, dtype=np.int64))  # targets' positions among free1

    def state(k, free, DF, DI, vi):
        # Kirchhoff at the free nodes: H_FF V_F = -H_FI V_I, H_FF = D_F^T K D_F, H_FI = D_F^T K D_I
        K = sp.diags(k)
        A = (DF.T @ K @ DF).tocsc()
        rhs = -(DF.T @ (k * (DI @ vi)))
        return A, rhs

    def update(k, vf, vc):
        df = D @ vf
        dc = D @ vc
        return np.clip(k + alpha / (2 * eta) * (df * df - dc * dc), lo, hi)

    def two_spsolve():
        k = k0.copy()
        times = []
        for s in range(steps):
            ex = examples[s % len(examples)]
            t0 = time.process_time()
            vi = np.asarray(list(ex["in"]) + [0.0] * len(ground))
            A, rhs = state(k, free1, DF1, DI1, vi)
            vf = np.zeros(n)
            vf[free1] = sla.spsolve(A, rhs)
            vf[imposed] = vi
            vt = vf[targets] + eta * (np.asarray(ex["out"]) - vf[targets])
            vi2 = np.concatenate([vi, vt])
            A2, rhs2 = state(k, free2, DF2, DI2, vi2)
            vc = np.zeros(n)
            vc[free2] = sla.spsolve(A2, rhs2)
            vc[imposed + list(targets)] = vi2
            k = update(k, vf, vc)
            times.append(time.process_time() - t0)
        return k, times

    def factor_reuse():
        k = k0.copy()
        times = []
        ET = np.zeros((len(free1), len(targets)))
        ET[tpos, np.arange(len(targets))] = 1.0
        for s in range(steps):
            ex = examples[s % len(examples)]
            t0 = time.process_time()
            vi = np.asarray(list(ex["in"]) + [0.0] * len(ground))
            A, rhs = state(k, free1, DF1, DI1, vi)
            lu = sla.splu(A)
            xf = lu.solve(rhs)
            G = lu.solve(ET)
            delta = eta * (np.asarray(ex["out"]) - xf[tpos])
            lam = np.linalg.solve(G[tpos, :], delta)
            vf = np.zeros(n)
            vf[free1] = xf
            vf[imposed] = vi
            vc = vf.copy()
            vc[free1] += G @ lam
            k = update(k, vf, vc)
            times.append(time.process_time() - t0)
        return k, times

    out = {"scipy": scipy.__version__, "numpy": np.__version__}
    for name, fn in (("twoSpsolve", two_spsolve), ("factorReuse", factor_reuse)):
        k, times = fn()
        out[name] = {"medianMs": float(np.median(times) * 1e3), "k": k.tolist()}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
