#!/usr/bin/env python3
"""tfidf_lr_themes.py - a reference point for learned themes (not part of cxflow).

TF-IDF on word unigrams and bigrams (scikit-learn's defaults, sublinear_tf) and a
logistic regression, trained and scored on exactly the records and split of
`cxflow train themes` / `cxflow eval themes` (tools/src/labelled.c):

  * records: JSON objects with a string "text" and a "label_theme" that is a string
    (single-label data) or a list of strings (multi-label; [] = no theme); null is
    skipped; --where KEY=VALUE keeps the records whose value at the dotted path KEY
    is VALUE (true/false/null/numbers by their JSON text);
  * --half H: trains on the even (H=1) or odd (H=2) positions among those records and
    scores the other half;
  * --holdout PCT: scores the records whose text hashes (FNV-1a 64 + murmur3's
    finaliser, mod 100) below PCT, trains on the rest.

    tools/baseline/tfidf_lr_themes.py FILE.jsonl (--half 1|2 | --holdout PCT) [--where K=V]... [--C X|cv]

Single-label data: multinomial logistic regression, top-1.  Multi-label data: one
logistic regression per label (one-vs-rest), a label is predicted at probability
>= 0.5.  --C cv (the default) chooses C from 0.25..64 by 5-fold cross-validation on
the training part (accuracy, or micro-F1 for multi-label).  Ends with

    baseline n=N accuracy=A micro_f1=F macro_f1=M

with cxflow-eval's definitions (accuracy: top-1, or exact set match for lists;
macro-F1 over the labels with gold examples in the scored part).

Needs Debian's scikit-learn (apt-get install -y python3-sklearn); when the python3
first on PATH lacks it, the script re-runs itself with /usr/bin/python3.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfidf_lr import need_sklearn  # noqa: E402  (the same re-exec into Debian's python3)

C_GRID = [0.25, 1, 4, 16, 64]
M64 = (1 << 64) - 1


def bucket(text):
    """lb_holdout_bucket() of tools/src/labelled.c."""
    h = 1469598103934665603
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 1099511628211) & M64
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & M64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & M64
    h ^= h >> 33
    return h % 100


def where_match(o, cond):
    key, want = cond.split("=", 1)
    v = o
    for k in key.split("."):
        v = v.get(k) if isinstance(v, dict) else None
    if v is None:
        return want == "null"
    if isinstance(v, bool):
        return want == ("true" if v else "false")
    if isinstance(v, str):
        return v == want
    if isinstance(v, (int, float)):
        try:
            return float(want) == float(v)
        except ValueError:
            return False
    return False


def read(path, where):
    recs, multi = [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            lt, t = o.get("label_theme"), o.get("text")
            if lt is None or not isinstance(t, str):
                continue
            if not all(where_match(o, w) for w in where):
                continue
            if isinstance(lt, list):
                multi = True
                labels = sorted(set(lt))
            else:
                labels = [lt]
            recs.append((t, labels))
    return recs, multi


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--half", type=int, choices=[1, 2])
    ap.add_argument("--holdout", type=int)
    ap.add_argument("--where", action="append", default=[])
    ap.add_argument("--C", default="cv")
    a = ap.parse_args()
    if bool(a.half) == bool(a.holdout):
        sys.exit("tfidf_lr_themes.py: give --half 1|2 or --holdout PCT")
    need_sklearn()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.metrics import f1_score

    recs, multi = read(a.file, a.where)
    if a.half:
        train = [r for i, r in enumerate(recs) if i % 2 == a.half - 1]
        test = [r for i, r in enumerate(recs) if i % 2 != a.half - 1]
    else:
        train = [r for r in recs if bucket(r[0]) >= a.holdout]
        test = [r for r in recs if bucket(r[0]) < a.holdout]
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    Xtr = vec.fit_transform([t for t, _ in train])
    Xte = vec.transform([t for t, _ in test])
    if multi:
        mlb = MultiLabelBinarizer()
        Ytr = mlb.fit_transform([ls for _, ls in train])

        def make(c):
            return OneVsRestClassifier(LogisticRegression(C=c, max_iter=2000))
    else:
        Ytr = [ls[0] for _, ls in train]

        def make(c):
            return LogisticRegression(C=c, max_iter=2000)
    if a.C == "cv":
        best, bc = -1, None
        for c in C_GRID:
            pred = cross_val_predict(make(c), Xtr, Ytr, cv=KFold(5))
            m = f1_score(Ytr, pred, average="micro") if multi else sum(p == y for p, y in zip(pred, Ytr)) / len(Ytr)
            print(f"cv C={c}: {'micro-F1' if multi else 'accuracy'} {m:.4f}", file=sys.stderr)
            if m > best:
                best, bc = m, c
        C = bc
    else:
        C = float(a.C)
    model = make(C).fit(Xtr, Ytr)
    if multi:
        P = model.predict(Xte)
        pred = [set(mlb.classes_[j] for j in range(P.shape[1]) if P[i, j]) for i in range(P.shape[0])]
    else:
        pred = [{p} for p in model.predict(Xte)]
    gold = [set(ls) for _, ls in test]
    labels = sorted(set().union(*gold)) if gold else []
    tp = sum(len(g & p) for g, p in zip(gold, pred))
    npred = sum(len(p) for p in pred)
    ngold = sum(len(g) for g in gold)
    micro = 2 * tp / (npred + ngold) if npred + ngold else 0.0
    f1s = []
    for lab in labels:
        t = sum(1 for g, p in zip(gold, pred) if lab in g and lab in p)
        pn = sum(1 for p in pred if lab in p)
        gn = sum(1 for g in gold if lab in g)
        f1s.append(2 * t / (pn + gn) if pn + gn else 0.0)
    acc = sum(1 for g, p in zip(gold, pred) if g == p) / len(test)
    print(f"train={len(train)} test={len(test)} C={C} {'multi-label' if multi else 'single-label'}")
    print(f"baseline n={len(test)} accuracy={acc:.4f} micro_f1={micro:.4f} "
          f"macro_f1={sum(f1s) / len(f1s) if f1s else 0.0:.4f}")


if __name__ == "__main__":
    main()
