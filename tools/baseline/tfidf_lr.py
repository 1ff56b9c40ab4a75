#!/usr/bin/env python3
"""tfidf_lr.py - a reference point for learned sentiment lexicons (not part of cxflow).

TF-IDF on word unigrams and bigrams (scikit-learn's defaults, sublinear_tf) and a
logistic regression, trained on one half of a labelled JSONL file and scored on the
other half: the same even/odd split as `cxflow eval sentiment --half` and
`cxflow train sentiment --half` (records with a string "text" and a string
"label_sentiment", in file order; of those, negative / neutral / positive only).

    tools/baseline/tfidf_lr.py FILE.jsonl [--train-half 1|2] [--C X|cv] [--errors N]

Prints the confusion matrix and ends with

    baseline n=N accuracy=A macro_f1=F

on the test half (the other half), macro-F1 over the gold classes present, as
cxflow-eval computes it.  --C cv (the default) chooses C from 0.25..256 by 5-fold
cross-validation (macro-F1) on the training half only.

Needs Python 3 with Debian's scikit-learn:  apt-get install -y python3-sklearn
(when the python3 first on PATH lacks it, the script re-runs itself with
/usr/bin/python3).
"""
import argparse
import json
import os
import sys

CLASSES = ["negative", "neutral", "positive"]
C_GRID = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256]


def need_sklearn():
    try:
        import sklearn  # noqa: F401
        return
    except ImportError:
        pass
    sysp = "/usr/bin/python3"
    if os.path.exists(sysp) and os.path.realpath(sys.executable) != os.path.realpath(sysp) \
            and not os.environ.get("CX_BASELINE_REEXEC"):
        os.environ["CX_BASELINE_REEXEC"] = "1"
        os.execv(sysp, [sysp] + sys.argv)
    sys.exit(f"{os.path.basename(sys.argv[0])}: scikit-learn is missing; install Debian's package:  "
             "apt-get install -y python3-sklearn")


def read(path):
    """The records cxflow-eval reads: JSON objects with string text and label_sentiment."""
    recs = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if not isinstance(o, dict):
                continue
            t, g = o.get("text"), o.get("label_sentiment")
            if isinstance(t, str) and isinstance(g, str):
                recs.append((t, g))
    return recs


def half(recs, h):
    return [(t, g) for i, (t, g) in enumerate(recs) if g in CLASSES and i % 2 == h - 1]


def macro_f1(gold, pred):
    """Macro-F1 over the gold classes present (cxflow-eval's definition)."""
    f1s = []
    for c in CLASSES:
        n_gold = sum(1 for g in gold if g == c)
        if not n_gold:
            continue
        n_pred = sum(1 for p in pred if p == c)
        tp = sum(1 for g, p in zip(gold, pred) if g == c and p == c)
        pr = tp / n_pred if n_pred else 0.0
        rc = tp / n_gold
        f1s.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0


def model(C):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                         LogisticRegression(C=C, max_iter=2000))


def choose_C(texts, labels):
    """5-fold CV on the training half (record i in fold i mod 5, like cxflow-train)."""
    best, best_c = -1.0, 1.0
    for C in C_GRID:
        pred = [None] * len(texts)
        for k in range(5):
            tr = [i for i in range(len(texts)) if i % 5 != k]
            te = [i for i in range(len(texts)) if i % 5 == k]
            m = model(C).fit([texts[i] for i in tr], [labels[i] for i in tr])
            for i, p in zip(te, m.predict([texts[i] for i in te])):
                pred[i] = p
        f = macro_f1(labels, pred)
        print(f"cv C={C:g}: macro_f1={f:.4f}", file=sys.stderr)
        if f >= best:
            best, best_c = f, C
    return best_c


def main():
    ap = argparse.ArgumentParser(
        description="TF-IDF (word 1-2 grams, sublinear tf) + logistic regression baseline on the "
                    "even/odd halves of a labelled JSONL file (cxflow's --half split). "
                    "Needs Debian's python3-sklearn (apt-get install -y python3-sklearn).")
    ap.add_argument("file", help="JSON lines with text and label_sentiment")
    ap.add_argument("--train-half", type=int, choices=[1, 2], default=1,
                    help="train on this half (1: even records, default), test on the other")
    ap.add_argument("--C", default="cv", help="inverse regularisation strength, or cv (default)")
    ap.add_argument("--errors", type=int, default=0, help="print up to N misclassified test records")
    a = ap.parse_args()
    need_sklearn()
    recs = read(a.file)
    train, test = half(recs, a.train_half), half(recs, 3 - a.train_half)
    if not train or not test:
        sys.exit(f"tfidf_lr.py: {a.file}: no labelled records in one of the halves")
    xt, yt = [t for t, _ in train], [g for _, g in train]
    xs, ys = [t for t, _ in test], [g for _, g in test]
    C = choose_C(xt, yt) if a.C == "cv" else float(a.C)
    m = model(C).fit(xt, yt)
    pred = list(m.predict(xs))
    print(f"file={a.file} train_half={a.train_half} n_train={len(xt)} C={C:g}")
    print(f"{'gold/pred':<10} {'negative':>9} {'neutral':>9} {'positive':>9} {'n':>7}")
    for c in CLASSES:
        row = [sum(1 for g, p in zip(ys, pred) if g == c and p == q) for q in CLASSES]
        if sum(row):
            print(f"{c:<10} {row[0]:>9} {row[1]:>9} {row[2]:>9} {sum(row):>7}")
    shown = 0
    for t, g, p in zip(xs, ys, pred):
        if g != p and shown < a.errors:
            shown += 1
            print(f"miss gold={g} got={p} text={t[:200]}")
    acc = sum(1 for g, p in zip(ys, pred) if g == p) / len(ys)
    print(f"baseline n={len(ys)} accuracy={acc:.4f} macro_f1={macro_f1(ys, pred):.4f}")


if __name__ == "__main__":
    main()
