"""The paper's published numbers, in one place: Tables 4-5 (training records, real and
generated) and Tables 6-7 (classifier metrics), exactly as printed."""

from __future__ import annotations

#: The six metrics of Tables 6-7, in the paper's column order.
TABLE_METRICS = ("accuracy", "recall", "precision", "f1", "g_mean", "fpr")


def _row(accuracy, recall, precision, f1, g_mean, fpr):
    return dict(zip(TABLE_METRICS, (accuracy, recall, precision, f1, g_mean, fpr), strict=True))


#: Tables 6 (NSL-KDD) and 7 (UNSW-NB15) of the paper, in percent, exactly as
#: printed; keyed by dataset, then method as the paper spells it (it prints
#: "GVAE-DNN" for its GAVAE-DNN, see :data:`PAPER_METHOD_ALIASES`), then
#: :data:`TABLE_METRICS`. The paper does not state its averaging.
PAPER_RESULTS: dict[str, dict[str, dict[str, float]]] = {
    "nsl-kdd": {
        "KNN": _row(76.83, 63.26, 63.76, 75.43, 77.54, 7.10),
        "CNN": _row(73.54, 57.34, 72.36, 70.64, 73.52, 7.18),
        "DNN": _row(75.87, 61.23, 83.56, 74.98, 76.23, 6.68),
        "RF": _row(78.26, 66.98, 91.54, 77.14, 79.34, 6.77),
        "SVM": _row(81.34, 71.36, 93.54, 81.36, 81.33, 7.41),
        "GVAE-DNN": _row(90.35, 85.76, 96.04, 91.55, 90.08, 4.65),
    },
    "unsw-nb15": {
        "KNN": _row(86.74, 84.65, 83.03, 87.54, 84.75, 26.44),
        "CNN": _row(48.08, 51.85, 53.64, 52.38, 48.32, 56.43),
        "DNN": _row(86.34, 92.43, 83.56, 88.34, 86.04, 24.89),
        "RF": _row(88.23, 91.45, 83.56, 90.43, 86.32, 20.44),
        "SVM": _row(87.34, 93.63, 82.65, 90.13, 85.43, 25.77),
        "GVAE-DNN": _row(93.01, 94.56, 95.32, 93.88, 93.12, 5.67),
    },
}

#: Which table of the paper each :data:`PAPER_RESULTS` entry comes from.
PAPER_TABLES = {
    "nsl-kdd": "Table 6. Performance Comparison of Classifiers on NSL-KDD Dataset",
    "unsw-nb15": "Table 7. Performance Comparison of Classifiers on UNSW-NB 15 dataset",
}

#: Our method names → the paper's spelling in Tables 6-7.
PAPER_METHOD_ALIASES = {"GAVAE-DNN": "GVAE-DNN"}

#: To print beside any table that shows :data:`PAPER_RESULTS` next to ours.
PAPER_RESULTS_CAVEAT = (
    "The paper's numbers are copied from its Tables 6-7 (percent). It does not say "
    "how its single precision, recall/DR, F1, G-mean and FPR figures were averaged "
    "over classes, nor which test split or how many runs produced them; they are "
    "shown for reference, not as a like-for-like match to any one of our averages."
)


#: The paper's Tables 4 (NSL-KDD, KDDTrain+_20Percent) and 5 (UNSW-NB15, official
#: training partition): class → (actual records, newly generated records).
PAPER_AUGMENTATION = {
    "nsl-kdd": {
        "Normal": (13449, 0), "Probe": (2289, 11160), "DoS": (9234, 4215),
        "U2R": (11, 13438), "R2L": (209, 13240),
    },
    "unsw-nb15": {
        "Normal": (56000, 0), "Generic": (40000, 16000), "Exploits": (33393, 22607),
        "Fuzzers": (18184, 37816), "DoS": (12264, 43736), "Reconnaissance": (10491, 45509),
        "Analysis": (2000, 54000), "Backdoor": (1746, 54254), "Shellcode": (1133, 54867),
        "Worms": (130, 55870),
    },
}  # fmt: skip
