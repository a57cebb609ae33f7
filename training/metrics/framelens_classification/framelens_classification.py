"""framelens_classification: an `evaluate` metric module that ships with framelens.

It is loaded from this local file (``evaluate.load(path)``), never fetched
from the hub, so evaluation works offline. One call returns everything a
classification report needs: accuracy, macro / weighted / per-class
precision, recall and F1, support and the confusion matrix. The numbers are
derived from the confusion matrix here (not delegated), and the test suite
checks them against scikit-learn.
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = """Accuracy, per-class and averaged precision/recall/F1 and the confusion
matrix for single-label classification, computed from the confusion matrix."""

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted class ids.
    references (list of int): gold class ids.
    num_labels (int, optional): number of classes; defaults to max id + 1.
    label_names (list of str, optional): names for the per-class entries.
Returns:
    accuracy, macro_precision, macro_recall, macro_f1, weighted_precision,
    weighted_recall, weighted_f1, per_class {name: {precision, recall, f1,
    support}}, confusion_matrix (rows = gold, columns = predicted).
Precision or recall with a zero denominator is 0.0 (as scikit-learn's
zero_division=0); a class absent from both gold and predictions still counts
in the macro average with F1 0.0, which is the honest reading.
"""


def _safe_div(num, den):
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class FramelensClassification(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}
            ),
        )

    def _compute(self, predictions, references, num_labels=None, label_names=None):
        pred = np.asarray(predictions, dtype=int)
        gold = np.asarray(references, dtype=int)
        if num_labels is None:
            num_labels = len(label_names) if label_names else int(max(pred.max(), gold.max())) + 1
        names = list(label_names) if label_names else [str(i) for i in range(num_labels)]

        cm = np.zeros((num_labels, num_labels), dtype=int)
        np.add.at(cm, (gold, pred), 1)
        tp = np.diag(cm).astype(float)
        support = cm.sum(axis=1).astype(float)
        predicted = cm.sum(axis=0).astype(float)
        precision = _safe_div(tp, predicted)
        recall = _safe_div(tp, support)
        f1 = _safe_div(2 * precision * recall, precision + recall)
        weights = _safe_div(support, np.full_like(support, support.sum()))

        return {
            "accuracy": float(tp.sum() / max(len(gold), 1)),
            "macro_precision": float(precision.mean()),
            "macro_recall": float(recall.mean()),
            "macro_f1": float(f1.mean()),
            "weighted_precision": float((precision * weights).sum()),
            "weighted_recall": float((recall * weights).sum()),
            "weighted_f1": float((f1 * weights).sum()),
            "per_class": {
                name: {
                    "precision": float(precision[i]),
                    "recall": float(recall[i]),
                    "f1": float(f1[i]),
                    "support": int(support[i]),
                }
                for i, name in enumerate(names)
            },
            "confusion_matrix": cm.tolist(),
        }
