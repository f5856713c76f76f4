"""scikit-learn's (and XGBoost's) side of bench/classical.ts, one model per process:
classical.py DIR MODEL REPS prints one JSON line: median wall and CPU seconds of fit + predict over
REPS runs after a warm-up run, test accuracy, and the process's peak RSS (VmHWM) in kB. MODEL "none"
only loads the data and the libraries (the memory baseline). Run with OMP/OPENBLAS threads = 1."""
import json
import statistics
import sys
import time

import numpy as np

directory, model, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
Xtr = np.load(f"{directory}/Xtr.npy")
ytr = np.load(f"{directory}/ytr.npy").astype(np.int64)
Xte = np.load(f"{directory}/Xte.npy")
yte = np.load(f"{directory}/yte.npy").astype(np.int64)

from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from xgboost import XGBClassifier  # noqa: E402

MODELS = {
    "standardize": lambda: StandardScaler(),
    "knn": lambda: KNeighborsClassifier(),
    "logistic": lambda: LogisticRegression(),
    "svm": lambda: SVC(),
    "forest": lambda: RandomForestClassifier(random_state=0),
    "boosting": lambda: HistGradientBoostingClassifier(random_state=0),
    "xgboost": lambda: XGBClassifier(tree_method="hist", n_jobs=1, random_state=0),
}


def hwm_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run():
    fitted = MODELS[model]().fit(Xtr, ytr)
    if model == "standardize":
        fitted.transform(Xte)
        return float("nan")
    return float((fitted.predict(Xte) == yte).mean())


if model == "none":
    print(json.dumps({"hwm_kb": hwm_kb()}))
    sys.exit(0)
run()
walls, cpus = [], []
for _ in range(reps):
    w, c = time.perf_counter(), time.process_time()
    accuracy = run()
    walls.append(time.perf_counter() - w)
    cpus.append(time.process_time() - c)
print(json.dumps({"wall": statistics.median(walls), "cpu": statistics.median(cpus), "accuracy": None if accuracy != accuracy else accuracy, "hwm_kb": hwm_kb()}))
