"""framelens_classification: an `evaluate` metric module that ships with framelens.

It is loaded from this local file (``evaluate.load(path)``), never fetched from the hub,
so evaluation works offline. One call returns everything a classification report needs:
accuracy, macro / weighted / per-class precision, recall and F1, support and the
confusion matrix.

The maths is scikit-learn's (like the hub's own `f1` module, this is a thin wrapper over
`sklearn.metrics`): one implementation of each metric for the trainer, the evaluation
report and cross-validation. Only the bootstrap resamples are scored by framelens's own
vectorised code, and the test suite checks that against scikit-learn.
"""

import warnings

import datasets
import evaluate
import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

_DESCRIPTION = """Accuracy, per-class and averaged precision/recall/F1 and the confusion
matrix for single-label classification, computed by scikit-learn."""

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
Precision or recall with a zero denominator is 0.0 (scikit-learn's zero_division=0);
every declared class counts in the macro average, so a class absent from both gold
and predictions scores F1 0.0, which is the honest reading.
"""


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
        # Passing every declared id keeps absent classes in the averages and the matrix.
        ids = list(range(num_labels))

        def prf(average):
            return precision_recall_fscore_support(gold, pred, labels=ids, average=average,
                                                   zero_division=0)

        precision, recall, f1, support = prf(None)
        result = {"accuracy": float(accuracy_score(gold, pred))}
        for average in ("macro", "weighted"):
            p, r, f, _ = prf(average)
            result[f"{average}_precision"] = float(p)
            result[f"{average}_recall"] = float(r)
            result[f"{average}_f1"] = float(f)
        result["per_class"] = {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(names)
        }
        with warnings.catch_warnings():
            # sklearn warns about any 1x1 matrix, even with `labels` given: a slice of the
            # data holding one class is normal, and its matrix is right.
            warnings.filterwarnings("ignore", message="A single label was found")
            result["confusion_matrix"] = confusion_matrix(gold, pred, labels=ids).tolist()
        return result
