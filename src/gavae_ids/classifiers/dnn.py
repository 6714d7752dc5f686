"""The DNN baseline: the GAVAE-DNN's architecture, randomly initialised (paper §5.5)."""

from __future__ import annotations

from gavae_ids.classifiers.base import TorchClassifier
from gavae_ids.nn.classifier_nets import ClassifierNet


class DNNClassifier(TorchClassifier):
    """A fully connected classifier: ``hidden`` ReLU layers and a softmax output layer.

    With the defaults it is the paper's DNN baseline — the GAVAE-DNN's shape
    (80-40-20 hidden units, as the NSL-KDD encoder) from a random start,
    trained on the data as given. With ``sampler`` (any imbalanced-learn
    sampler, e.g. ``SMOTE()``) the training part is resampled first, which
    gives the SMOTE+DNN and similar peers with everything else equal.

    Parameters
    ----------
    hidden : tuple of int, default=(80, 40, 20)
        Hidden layer widths.
    activation : {"relu", "leaky_relu", "tanh", "elu"}, default="relu"
        Activation of the hidden layers.
    sampler : imbalanced-learn sampler, optional
        Applied (cloned) to the training part after the validation rows are
        held out, so no synthetic row derives from a validation record. Left
        with ``random_state=None`` it is seeded from this classifier's
        ``random_state``.
    epochs : int, default=100
        Epoch budget (early stopping may end sooner). At lr 5e-5 the DNN is
        still improving slowly at 100 epochs on NSL-KDD 20 % (≈0.25 s per
        epoch on one CPU thread).
    batch_size : int, default=128
        Minibatch size.
    lr : float, default=5e-5
        Adam learning rate — the paper's value for its DNN (§5.2), kept for the
        baseline so that only initialisation and data differ.
    validation_fraction : float, default=0.1
        Share of each class held out (stratified) for early stopping; 0 disables it.
    patience : int or None, default=10
        Epochs without validation-loss improvement before stopping; the best
        epoch's weights are restored.
    class_weight : None, "balanced" or dict, default=None
        Weights of the training loss per class.
    device : str, default="auto"
        ``"auto"`` (CUDA if available), ``"cpu"``, ``"cuda"``, ...
    verbose : bool, default=False
        Progress bar over epochs.
    random_state : int, RandomState or None
        Seeds the split, the sampler, the initial weights and the batch order.

    Attributes
    ----------
    classes_, n_features_in_, net_, sampler_, history_, n_train_, n_val_
        See :class:`~gavae_ids.classifiers.base.TorchClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(200, 8, n_classes=3, n_informative=4, random_state=0)
    >>> clf = DNNClassifier(hidden=(16,), epochs=5, lr=1e-2, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """

    def __init__(
        self,
        *,
        hidden=(80, 40, 20),
        activation="relu",
        sampler=None,
        epochs=100,
        batch_size=128,
        lr=5e-5,
        validation_fraction=0.1,
        patience=10,
        class_weight=None,
        device="auto",
        verbose=False,
        random_state=None,
    ):
        self.hidden = hidden
        self.activation = activation
        self.sampler = sampler
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.class_weight = class_weight
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _net_config(self, n_features):
        return {"hidden": [int(h) for h in self.hidden], "activation": self.activation}

    def _make_net(self, n_features, n_classes, config):
        return ClassifierNet(n_features, config["hidden"], n_classes, config["activation"])
