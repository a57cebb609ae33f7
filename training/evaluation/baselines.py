"""Baselines scored on the same rows as the model: majority class, TF-IDF + logistic
regression, and zero-shot similarity to label descriptions with the base encoder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from framelens.data.tasks import Task
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline, make_pipeline

# Regularisation strengths tried for TF-IDF+LR on dev: a tuned baseline is an honest one.
C_GRID = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
ZERO_SHOT_SCALE = 20.0  # cosine similarities are close together; sharpen before softmax


@dataclass
class BaselineResult:
    name: str
    probs: np.ndarray  # (n, num_labels) on the evaluated rows
    note: str = ""


def majority(train_labels: Sequence[int], n: int, num_labels: int) -> BaselineResult:
    counts = np.bincount(np.asarray(train_labels, dtype=int), minlength=num_labels)
    prior = counts / counts.sum()
    probs = np.tile(prior, (n, 1))
    # argmax of identical rows always picks the most frequent training class
    return BaselineResult("majority class", probs, "always the most frequent training label")


TFIDF_NAME = "TF-IDF + logistic regression"


def make_tfidf_lr(c: float = 10.0, seed: int = 13) -> Pipeline:
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True),
        LogisticRegression(C=c, max_iter=3000, random_state=seed),
    )


def fit_tfidf_lr(
    train_texts: Sequence[str],
    train_labels: Sequence[int],
    dev_texts: Sequence[str] | None = None,
    dev_labels: Sequence[int] | None = None,
    seed: int = 13,
) -> tuple[Pipeline, float]:
    """Fit TF-IDF + LR, choosing C by dev macro-F1 when dev data is given."""
    best_c = 10.0
    if dev_texts is not None and dev_labels is not None:
        scores = {}
        for c in C_GRID:
            pipe = make_tfidf_lr(c, seed).fit(train_texts, train_labels)
            scores[c] = f1_score(dev_labels, pipe.predict(dev_texts), average="macro")
        best_c = max(scores, key=scores.get)
    return make_tfidf_lr(best_c, seed).fit(train_texts, train_labels), best_c


def tfidf_lr(
    train_texts: Sequence[str],
    train_labels: Sequence[int],
    texts: Sequence[str],
    num_labels: int,
    dev_texts: Sequence[str] | None = None,
    dev_labels: Sequence[int] | None = None,
) -> BaselineResult:
    pipe, c = fit_tfidf_lr(train_texts, train_labels, dev_texts, dev_labels)
    probs = np.zeros((len(texts), num_labels))
    probs[:, pipe.classes_] = pipe.predict_proba(texts)
    tuned = ("chosen on dev" if dev_texts is not None and dev_labels is not None
             else "untuned: no dev data")
    return BaselineResult(TFIDF_NAME, probs,
                          f"word 1-2 grams, C={c:g} {tuned}")


def zero_shot(task: Task, texts: Sequence[str], base_model: str = "minilm") -> BaselineResult:
    """Nearest label description in the base encoder's embedding space (no training)."""
    from framelens.models.embeddings import Encoder

    encoder = Encoder(base_model)
    descriptions = [f"{label.replace('_', ' ')}: {task.descriptions.get(label, '')}"
                    for label in task.labels]
    label_vecs = encoder.encode(descriptions)
    sims = encoder.encode(texts) @ label_vecs.T
    z = ZERO_SHOT_SCALE * sims
    probs = np.exp(z - z.max(axis=1, keepdims=True))
    return BaselineResult(f"zero-shot ({base_model} embeddings)",
                          probs / probs.sum(axis=1, keepdims=True),
                          "cosine similarity to label descriptions")
