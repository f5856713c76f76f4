"""scikit-learn's side of test/ml/*.test.ts: fit models on <dir>/Xtr.npy, ytr.npy and write their
predictions (<name>_pred.npy, int64) and probabilities (<name>_proba.npy) on <dir>/Xte.npy.
Usage: sklearn_peer.py DIR JOBS_JSON, JOBS_JSON a list of {"name", "model", "params"} (params in
scikit-learn's names). Prints the files written, one per line."""
import json
import sys

import numpy as np

directory, jobs = sys.argv[1], json.loads(sys.argv[2])
Xtr = np.load(f"{directory}/Xtr.npy")
ytr = np.load(f"{directory}/ytr.npy").astype(np.int64)
Xte = np.load(f"{directory}/Xte.npy")


def save(name, array):
    np.save(f"{directory}/{name}.npy", array)
    print(name)


def estimator(model):
    if model == "standardize":
        from sklearn.preprocessing import StandardScaler
        return StandardScaler
    if model == "knn":
        from sklearn.neighbors import KNeighborsClassifier
        return KNeighborsClassifier
    if model == "logistic":
        from sklearn.linear_model import LogisticRegression
        return LogisticRegression
    if model == "svm":
        from sklearn.svm import SVC
        return SVC
    if model == "forest":
        from sklearn.ensemble import RandomForestClassifier
        return RandomForestClassifier
    if model == "boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier
        return HistGradientBoostingClassifier
    sys.exit(f"unknown model {model}")


for job in jobs:
    name, model, params = job["name"], job["model"], job.get("params", {})
    fitted = estimator(model)(**params).fit(Xtr, ytr)
    if model == "standardize":
        save(f"{name}_transformed", fitted.transform(Xte).astype(np.float64))
        continue
    save(f"{name}_pred", fitted.predict(Xte).astype(np.int64))
    if model == "svm":
        # One-vs-one decision values (the shape only changes decision_function, not predict).
        fitted.decision_function_shape = "ovo"
        save(f"{name}_dec", fitted.decision_function(Xte).astype(np.float64))
    if model != "svm" or params.get("probability"):
        save(f"{name}_proba", fitted.predict_proba(Xte).astype(np.float64))
