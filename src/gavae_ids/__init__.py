"""gavae-ids: intrusion detection on imbalanced network traffic with a GAVAE.

The package follows the data flow of the paper (Saranya & Jayalakshmi):
``datasets`` → ``preprocessing`` → ``sampling`` (GAVAE) → ``classifiers`` →
``evaluation``; ``nn`` holds the pure torch modules.
"""

from gavae_ids._version import __version__

__all__ = ["__version__"]
