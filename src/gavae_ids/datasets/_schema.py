"""Column schemas and class orders of the benchmark datasets (module-level data)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

NSL_KDD_FEATURES = (
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
    "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in", "num_compromised",
    "root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count",
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
)  # fmt: skip
NSL_KDD_CATEGORICAL = ("protocol_type", "service", "flag")
NSL_KDD_COLUMNS = NSL_KDD_FEATURES + ("attack", "difficulty")
NSL_KDD_CLASSES = ("Normal", "DoS", "Probe", "R2L", "U2R")
NSL_KDD_SPLITS = {
    # alias → file stem
    "train": "KDDTrain+.txt",
    "train20": "KDDTrain+_20Percent.txt",
    "test": "KDDTest+.txt",
    "test21": "KDDTest-21.txt",
    "KDDTrain+": "KDDTrain+.txt",
    "KDDTrain+_20Percent": "KDDTrain+_20Percent.txt",
    "KDDTest+": "KDDTest+.txt",
    "KDDTest-21": "KDDTest-21.txt",
}
NSL_KDD_SOURCE = (
    "NSL-KDD, Canadian Institute for Cybersecurity, University of New Brunswick "
    "(https://www.unb.ca/cic/datasets/nsl.html, which now says it is not available)"
)

UNSW_NB15_CATEGORICAL = ("proto", "service", "state")
UNSW_NB15_CLASSES = (
    "Normal", "Generic", "Exploits", "Fuzzers", "DoS", "Reconnaissance",
    "Analysis", "Backdoor", "Shellcode", "Worms",
)  # fmt: skip
UNSW_NB15_TRAIN_ROWS = 175_341
UNSW_NB15_TEST_ROWS = 82_332
UNSW_NB15_SOURCE = "https://research.unsw.edu.au/projects/unsw-nb15-dataset (UNSW Canberra)"
# Spelling variants seen across mirrors → canonical class name.
UNSW_NB15_ALIASES = {"Backdoors": "Backdoor", "normal": "Normal"}


@cache
def nsl_kdd_attack_map() -> dict[str, str]:
    """Attack name → 5-class category (canonical DARPA taxonomy), read from package data."""
    text = resources.files("gavae_ids.datasets").joinpath("data/nsl_kdd_attack_categories.csv")
    with text.open("r", encoding="utf-8") as f:
        return {row["attack"]: row["category"] for row in csv.DictReader(f)}
