#!/usr/bin/python3
"""Generate reference vectors for internal/analysis/stats (Mann-Whitney U).

Trusted implementations: scipy.stats.mannwhitneyu (U statistic and p-value,
Debian's python3-scipy) and R's wilcox.test(conf.int=TRUE) (p-value,
Hodges-Lehmann estimate and confidence interval, Debian's r-base-core), plus
numpy for the median of the pairwise differences. The R calls are generated
as one R script and run with Rscript.

    apt-get install -y python3-scipy r-base-core
    /usr/bin/python3 scripts/gen_mannwhitney_vectors.py > internal/analysis/stats/testdata/mannwhitney.json

The output is committed, so the tests do not need scipy or R.
"""
import json
import subprocess
import sys

import numpy as np
import scipy
from scipy.stats import mannwhitneyu

CONF = 0.98
ALTS = {"two-sided": "two.sided", "greater": "greater", "less": "less"}


def cases():
    rng = np.random.default_rng(20240604)
    out = []

    def add(name, x, y, method):
        out.append({"name": name, "x": [float(v) for v in x], "y": [float(v) for v in y], "method": method})

    # Small samples without ties: exact distribution.
    for n1, n2, shift in [(3, 4, 0.0), (4, 3, 2.0), (5, 5, 1.0), (6, 7, -1.5), (8, 8, 0.3),
                          (8, 10, 2.5), (12, 9, 0.0), (20, 25, 0.8), (30, 30, -0.5), (49, 40, 0.4)]:
        x = np.round(rng.normal(10 + shift, 1, n1), 6)
        y = np.round(rng.normal(10, 1, n2), 6)
        if len(set(x) | set(y)) == n1 + n2:
            add(f"exact-{n1}x{n2}-shift{shift}", x, y, "exact")
    # Lognormal latencies, no ties, exact and asymptotic on the same data.
    x = np.round(rng.lognormal(np.log(0.05), 0.4, 15), 7)
    y = np.round(rng.lognormal(np.log(0.04), 0.4, 18), 7)
    add("exact-lognormal-15x18", x, y, "exact")
    add("asymptotic-lognormal-15x18", x, y, "asymptotic")
    # Larger samples without ties: normal approximation.
    for n1, n2, shift in [(60, 70, 0.0), (80, 50, 0.4), (200, 150, -0.2), (300, 300, 0.1)]:
        x = rng.normal(100 + shift, 1, n1)
        y = rng.normal(100, 1, n2)
        add(f"asymptotic-{n1}x{n2}-shift{shift}", x, y, "asymptotic")
    # Ties (counts, rounded latencies): normal approximation with tie correction.
    for n1, n2, lam_x, lam_y in [(10, 12, 3, 3), (30, 30, 5, 3), (60, 50, 2, 2.5), (120, 100, 8, 8)]:
        add(f"ties-poisson-{n1}x{n2}", rng.poisson(lam_x, n1), rng.poisson(lam_y, n2), "asymptotic")
    add("ties-rounded-latency-40x40",
        np.round(rng.normal(0.120, 0.01, 40), 2), np.round(rng.normal(0.110, 0.01, 40), 2), "asymptotic")
    add("ties-mostly-zero-50x50", [0] * 45 + [1, 1, 2, 0, 3], [0] * 48 + [1, 0], "asymptotic")
    return out


def r_results(all_cases):
    lines = ["options(warn = -1)"]
    for c in all_cases:
        for alt in ALTS.values():
            exact = "TRUE" if c["method"] == "exact" else "FALSE"
            lines.append(
                "r <- wilcox.test(c(%s), c(%s), alternative = '%s', exact = %s, correct = TRUE, conf.int = TRUE, conf.level = %r)"
                % (",".join(repr(v) for v in c["x"]), ",".join(repr(v) for v in c["y"]), alt, exact, CONF))
            lines.append('cat(sprintf("%.17g %.17g %.17g %.17g %.17g\\n", r$statistic, r$p.value, r$conf.int[1], r$conf.int[2], r$estimate))')
    out = subprocess.run(["Rscript", "-"], input="\n".join(lines), capture_output=True, text=True, check=True).stdout
    return [[float(v) for v in line.split()] for line in out.strip().splitlines()]


def main():
    all_cases = cases()
    rres = iter(r_results(all_cases))
    r_version = subprocess.run(["Rscript", "-e", "cat(R.version.string)"], capture_output=True, text=True).stdout
    vectors = []
    for c in all_cases:
        x, y = np.array(c["x"]), np.array(c["y"])
        diffs = np.sort(np.subtract.outer(x, y).ravel())
        for alt, ralt in ALTS.items():
            s = mannwhitneyu(x, y, alternative=alt, method=c["method"], use_continuity=True)
            w, rp, lo, hi, rest = next(rres)
            assert abs(w - s.statistic) < 1e-9, (c["name"], w, s.statistic)
            # R and scipy must agree on the p-value: two trusted implementations.
            assert abs(rp - s.pvalue) <= 1e-9 + 1e-7 * s.pvalue, (c["name"], alt, rp, s.pvalue)
            v = dict(c)
            v.update({
                "alternative": alt,
                "confidenceLevel": CONF,
                "u": float(s.statistic),
                "p": float(s.pvalue),
                "pR": rp,
                "estimate": float(np.median(diffs)),
                "estimateR": rest,
                # JSON has no infinity: null is the open side of a one-sided interval.
                "low": lo if np.isfinite(lo) else None,
                "high": hi if np.isfinite(hi) else None,
            })
            vectors.append(v)
    doc = {
        "generator": "scripts/gen_mannwhitney_vectors.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "r": r_version,
        "notes": "u and p from scipy.stats.mannwhitneyu (use_continuity=True); pR, low, high, estimateR from "
                 "R wilcox.test(conf.int=TRUE, correct=TRUE); estimate is numpy's median of x_i - y_j. "
                 "With the normal approximation R's low/high come from uniroot(tol=1e-4) and estimateR is "
                 "any point where the corrected statistic is zero, not necessarily the median.",
        "vectors": vectors,
    }
    json.dump(doc, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
