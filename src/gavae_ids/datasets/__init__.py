"""Dataset loaders (no torch here): NSL-KDD, UNSW-NB15, any labelled CSV or Zeek conn.log,
packet captures as flows (nfstream); fetch and verify."""

from gavae_ids.datasets._home import ENV_VAR, get_data_home
from gavae_ids.datasets._schema import (
    NSL_KDD_CATEGORICAL,
    NSL_KDD_CLASSES,
    NSL_KDD_FEATURES,
    UNSW_NB15_CATEGORICAL,
    UNSW_NB15_CLASSES,
    nsl_kdd_attack_map,
)
from gavae_ids.datasets.benchmarks import BENCHMARKS, load_benchmark
from gavae_ids.datasets.csv import load_csv
from gavae_ids.datasets.fetch import FetchResult, FileStatus, fetch_datasets, verify_datasets
from gavae_ids.datasets.flows import FlowSettings, load_flows, pcap_to_flows, write_flows
from gavae_ids.datasets.nsl_kdd import load_nsl_kdd, mark_seen, read_nsl_kdd_file
from gavae_ids.datasets.unsw_nb15 import (
    accuracy_ceiling,
    find_partitions,
    load_unsw_nb15,
    read_unsw_nb15_file,
)
from gavae_ids.datasets.zeek import INPUT_FORMATS, load_zeek

__all__ = [
    "BENCHMARKS",
    "ENV_VAR",
    "FetchResult",
    "INPUT_FORMATS",
    "FileStatus",
    "FlowSettings",
    "NSL_KDD_CATEGORICAL",
    "NSL_KDD_CLASSES",
    "NSL_KDD_FEATURES",
    "UNSW_NB15_CATEGORICAL",
    "UNSW_NB15_CLASSES",
    "accuracy_ceiling",
    "fetch_datasets",
    "find_partitions",
    "get_data_home",
    "load_benchmark",
    "load_csv",
    "load_flows",
    "load_nsl_kdd",
    "load_unsw_nb15",
    "load_zeek",
    "mark_seen",
    "nsl_kdd_attack_map",
    "pcap_to_flows",
    "read_nsl_kdd_file",
    "read_unsw_nb15_file",
    "verify_datasets",
    "write_flows",
]
