"""The churn model on the synthetic base with hidden ground truth, checked against
scikit-learn: tools/train fits and backtests the model through the services' own
engines; here a well-known library fits a logistic regression on the same features
and the same split, and the two must agree.

Needs RETENTION_TOOLS_BIN: the directory with tools/generate/generate and
tools/train/train (tools/test passes Bazel's optimised output directory).
"""
import csv
import json
import os
import subprocess
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("RETENTION_TOOLS_BIN", os.path.join(ROOT, "bazel-bin"))  # optimised tools
ACCOUNTS = 4000
SEED = 11


def run(*args):
    subprocess.run(args, check=True, cwd=ROOT, stdout=sys.stdout, stderr=sys.stderr)


def read_features(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0].keys() if c.startswith("CHURN_FEATURE_")]
    x = np.array([[float(r[c]) if r[c] != "" else np.nan for c in columns] for r in rows])
    y = np.array([int(r["churned"]) for r in rows])
    test = np.array([r["split"] == "test" for r in rows])
    return x, y, test


def test_fitted_model_auc_is_at_least_080_and_matches_scikit_learn(tmp_path):
    run(os.path.join(BIN, "tools/generate/generate"), f"--accounts={ACCOUNTS}", f"--seed={SEED}",
        f"--out_dir={tmp_path}", "--progress=false")
    report_path = tmp_path / "report.json"
    features_path = tmp_path / "features.csv"
    model_path = tmp_path / "model.textproto"
    run(os.path.join(BIN, "tools/train/train"), f"--events={tmp_path / 'events.jsonl'}",
        f"--labels={tmp_path / 'labels.csv'}", f"--features_out={features_path}",
        f"--report_json={report_path}", f"--out_model={model_path}", "--version=churn-test")
    report = json.loads(report_path.read_text())
    assert report["train_accounts"] + report["test_accounts"] == ACCOUNTS

    x, y, test = read_features(features_path)
    # Missing values count as the training mean, as the model treats them.
    means = np.nanmean(x[~test], axis=0)
    means = np.where(np.isnan(means), 0.0, means)
    x = np.where(np.isnan(x), means, x)
    scaler = StandardScaler().fit(x[~test])
    reference = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x[~test]), y[~test])
    reference_auc = roc_auc_score(y[test], reference.predict_proba(scaler.transform(x[test]))[:, 1])

    fitted_auc = report["fitted"]["auc"]
    print(f"\nstreaming model (tools/train, scored by churn-risk's arithmetic): AUC {fitted_auc:.4f}; "
          f"scikit-learn LogisticRegression: AUC {reference_auc:.4f}; "
          f"health score alone: AUC {report['health_only']['auc']:.4f}; "
          f"top-decile lift {report['fitted']['top_decile_lift']:.2f}")
    assert fitted_auc >= 0.80
    assert abs(fitted_auc - reference_auc) <= 0.02
    # Calibrated: in every tenth of the held-out accounts the churn rate is near the
    # predicted probability.
    for bin in report["fitted"]["calibration"]:
        assert abs(bin["predicted"] - bin["observed"]) < 0.15, bin
    assert "version: \"churn-test\"" in model_path.read_text()
