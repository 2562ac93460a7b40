#!/usr/bin/python3
"""ml_sklearn.py - the scikit-learn side of contrib/bench/bench-ml.sh.

Fits scikit-learn's Ridge or LogisticRegression on the very matrices
dv-prepare wrote (DVMLMAT1, see contrib/ml/matfile.h), scores the test
matrix, and prints one JSON object: the fit time (fit only, data already in
memory, like dv-train's fit_s), its CPU time (all threads, like dv-train's
fit_cpu_s) and the test metric.

  ml_sklearn.py ridge  TRAIN.mat TEST.mat LAMBDA
  ml_sklearn.py logreg TRAIN.mat TEST.mat L2

Ridge(alpha=LAMBDA) with an intercept is the estimator dv-train solves.
dv-train's logreg minimises mean cross-entropy + L2/2 |W|^2, which is
LogisticRegression's objective with C = 1 / (L2 * n_train).
Run with Debian's /usr/bin/python3 (python3-sklearn, python3-numpy).
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score

HEADER = np.dtype([("magic", "S8"), ("rows", "<u8"), ("cols", "<u8"),
                   ("kind", "<u4"), ("n_classes", "<u4"), ("names_bytes", "<u8")])


def read_matfile(path):
    """Returns (X, y) from a DVMLMAT1 file; X is memory-mapped, not copied."""
    head = np.fromfile(path, dtype=HEADER, count=1)[0]
    if head["magic"] != b"DVMLMAT1":
        sys.exit("ml_sklearn.py: error: '%s' is not a DVMLMAT1 file" % path)
    rows, cols = int(head["rows"]), int(head["cols"])
    X = np.memmap(path, dtype="<f8", mode="r", offset=HEADER.itemsize, shape=(rows, cols))
    target = np.dtype("<f8") if head["kind"] == 1 else np.dtype("<i4")
    y = np.fromfile(path, dtype=target, count=rows,
                    offset=HEADER.itemsize + rows * cols * 8)
    return X, y


def main(argv):
    if len(argv) != 5 or argv[1] not in ("ridge", "logreg"):
        sys.stderr.write(__doc__)
        return 2
    model, train_path, test_path, penalty = argv[1], argv[2], argv[3], float(argv[4])
    X, y = read_matfile(train_path)
    X = np.ascontiguousarray(X)  # load before timing, as dv-train does
    Xt, yt = read_matfile(test_path)
    if model == "ridge":
        est = Ridge(alpha=penalty, fit_intercept=True, solver="cholesky")
    else:
        est = LogisticRegression(C=1.0 / (penalty * X.shape[0]), solver="lbfgs",
                                 multi_class="multinomial", max_iter=200)
    start, cpu_start = time.perf_counter(), time.process_time()
    est.fit(X, y)
    fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    pred = est.predict(np.asarray(Xt))
    if model == "ridge":
        result = {"fit_s": fit_s, "fit_cpu_s": fit_cpu_s, "r2": r2_score(yt, pred)}
    else:
        result = {"fit_s": fit_s, "fit_cpu_s": fit_cpu_s, "accuracy": accuracy_score(yt, pred),
                  "iterations": int(np.max(est.n_iter_))}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
