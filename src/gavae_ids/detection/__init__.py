"""Detection: the pipeline (preprocess → sample → classify), the trained :class:`Detector`,
its bundle and model card, the novelty flag, ``--method auto`` and training from files.

Modules: :mod:`~gavae_ids.detection.pipeline`, :mod:`~gavae_ids.detection.methods`,
:mod:`~gavae_ids.detection.detector`, :mod:`~gavae_ids.detection.bundle`,
:mod:`~gavae_ids.detection.model_card`, :mod:`~gavae_ids.detection.novelty`,
:mod:`~gavae_ids.detection.auto`, :mod:`~gavae_ids.detection.train`. The public
names are re-exported by :mod:`gavae_ids`.
"""
