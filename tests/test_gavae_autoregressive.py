"""The autoregressive decoder (issue #11): its masks, its column-by-column draw, the sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import sampler_with
from gavae_ids.nn.gavae import GAVAE, NumericBins
from gavae_ids.preprocessing.layout import FeatureLayout, OneHotBlock
from gavae_ids.sampling import GAVAESampler
from gavae_ids.sampling.column_transform import EmpiricalCDFTransform

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = dict(
    hidden=(16, 8), latent_dim=3, n_iter=40, batch_size=64, critic_steps=1, decoder="autoregressive"
)
Small = sampler_with(critic_hidden=(16,), disc_eval_size=8, decoder_hidden=(24, 24))

# Two one-hot blocks (columns 0, 1 of the generation order) and three numbers (2, 3, 4).
LAYOUT = FeatureLayout(
    feature_names=("a", "p=x", "p=y", "p=z", "b", "f=0", "f=1", "c"),
    onehot_blocks=(OneHotBlock("p", 1, 4, ("x", "y", "z")), OneHotBlock("f", 5, 7, ("0", "1"))),
)
NUM = [0, 4, 7]


def _rows(n: int, seed: int = 0) -> np.ndarray:
    """Rows whose numbers depend on their categories, so columns are not independent."""
    rng = np.random.RandomState(seed)
    p, f = rng.randint(0, 3, n), rng.randint(0, 2, n)
    X = np.zeros((n, 8))
    X[np.arange(n), 1 + p] = 1.0
    X[np.arange(n), 5 + f] = 1.0
    X[:, 0] = p * 10 + rng.randint(0, 3, n)
    X[:, 4] = np.where(f == 1, X[:, 0], 0.0)
    X[:, 7] = rng.poisson(2.0, n)
    return X


def _model(binned: bool = True, seed: int = 0, hidden=(32, 32), activation: str = "relu"):
    X = _rows(200)
    bins = None
    if binned:
        cdf = EmpiricalCDFTransform().fit(X[:, NUM])
        b = cdf.bins(8)
        f32 = (torch.as_tensor(b[k], dtype=torch.float32) for k in ("edges", "lower", "upper"))
        bins = NumericBins(*f32, torch.as_tensor(b["valid"]))
        X[:, NUM] = cdf.transform(X[:, NUM])
    else:
        X[:, NUM] /= X[:, NUM].max(axis=0)
    torch.manual_seed(seed)
    model = GAVAE(LAYOUT, 2, hidden=(8,), latent_dim=2, critic_hidden=(4,), bins=bins,
                  decoder="autoregressive", decoder_hidden=hidden, activation=activation
                  ).eval()  # fmt: skip
    # Random biases too, so no output is trivially constant.
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.normal_(0.0, 0.5)
    return model, torch.as_tensor(X, dtype=torch.float32)


def _column_logits(model, column: int) -> torch.Tensor:
    from gavae_ids.nn.autoregressive import column_of_outputs

    return column_of_outputs(model.layout, model._bins()) == column


@pytest.mark.parametrize("binned", [True, False])
def test_each_columns_logits_depend_only_on_earlier_columns(binned):
    model, x = _model(binned)
    z, y = torch.randn(len(x), 2), torch.eye(2)[torch.arange(len(x)) % 2]
    base = model.decode(z, y, x)
    other = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(1))]
    # Column order: block p (cols 1:4), block f (5:7), then numbers a (0), b (4), c (7).
    order = [[1, 2, 3], [5, 6], [0], [4], [7]]
    for c in range(5):
        mixed = x.clone()
        for later in order[c:]:
            mixed[:, later] = other[:, later]
        out = model.decode(z, y, mixed)
        same = _column_logits(model, c)
        for earlier in range(c + 1):
            keep = _column_logits(model, earlier)
            torch.testing.assert_close(out[:, keep], base[:, keep])
        if c + 1 < 5:
            # The next column does read column c: changing it moves the next logits.
            nxt = _column_logits(model, c + 1)
            assert not torch.allclose(out[:, nxt], base[:, nxt])
        assert same.any()


@pytest.mark.parametrize("binned", [True, False])
@pytest.mark.parametrize("noise", [False, True])
def test_generation_takes_the_teacher_forced_choice_of_every_column(binned, noise):
    """Drawing column by column equals scoring the drawn row in one pass: each column is the
    argmax of (its logits given the columns drawn before it) / T + its Gumbel noise."""
    from gavae_ids.nn.bins import _bin_log_probs

    model, _ = _model(binned)
    n, g = 300, torch.Generator().manual_seed(3)
    z, y = torch.randn(n, 2, generator=g), torch.eye(2)[torch.arange(n) % 2]
    gumbel = uniform = None
    if noise:
        u = torch.rand(n, model.n_logits, generator=g).clamp(1e-9, 1 - 1e-7)
        gumbel, uniform = -torch.log(-torch.log(u)), torch.rand(n, 3, generator=g)
    rows = model.generate(z, y, gumbel, uniform, temperature=0.7)
    logits = model.decode(z, y, rows)
    choose = logits if gumbel is None else logits / 0.7 + gumbel
    for start, stop in model.blocks:
        np.testing.assert_array_equal(
            rows[:, start:stop].argmax(1).numpy(), choose[:, start:stop].argmax(1).numpy()
        )
    if binned:
        from gavae_ids.nn.bins import _bin_of

        bins = model._bins()
        picked = _bin_log_probs(choose, 8, bins).argmax(dim=2)
        np.testing.assert_array_equal(_bin_of(rows[:, NUM], bins).numpy(), picked.numpy())
    else:
        torch.testing.assert_close(rows[:, NUM], torch.sigmoid(logits[:, NUM]))
    assert len({tuple(r) for r in rows.numpy().round(4)}) > (20 if noise else 1)


def _reference_generate(model, z, y_onehot, gumbel, uniform, temperature):
    """The draw as first written (before #32): every upper layer recomputed per column."""
    from gavae_ids.nn.autoregressive import _segments

    dec, bins = model.decoder, model._bins()
    n, d = z.shape[0], model.layout.n_features
    terms = dec.context_terms(z, y_onehot)
    weight, bias = dec.out.weight * dec.out.mask, dec.out.bias
    w_in = (dec.layers[0].weight * dec.layers[0].mask).T
    first = terms[0] + dec.layers[0].bias
    out, rows, num = z.new_zeros(n, d), torch.arange(n), model.numeric_index.tolist()
    for a, b, j in _segments(model, bins, d):
        logits = F.linear(dec.upper_hidden(first, terms), weight[a:b], bias[a:b])
        logits = logits + terms[-1][:, a:b]
        if j is not None and bins is None:
            value = torch.sigmoid(logits[:, 0])
            out[:, a] = value
            first = first + value[:, None] * w_in[a]
            continue
        choose = logits if gumbel is None else logits / temperature + gumbel[:, a:b]
        k = choose.argmax(dim=1)
        first = first + w_in[a + k]
        if j is None:
            out[rows, a + k] = 1.0
        else:
            lo, hi = bins.lower[j, k], bins.upper[j, k]
            value = lo + (0.5 if gumbel is None else uniform[:, j]) * (hi - lo)
            out[:, num[j]] = torch.where(value > lo, value, (lo + hi) / 2)
    return out


@pytest.mark.parametrize("binned", [True, False])
@pytest.mark.parametrize("noise", [False, True])
@pytest.mark.parametrize(("hidden", "activation"), [((32, 32), "relu"), ((30, 3, 27), "tanh")])
def test_one_pass_draw_equals_recomputing_every_layer_per_column(binned, noise, hidden,
                                                                 activation):  # fmt: skip
    """Each unit computed once (when its degree is final) gives the same rows as recomputing
    the upper layers for every column. (30, 3, 27) over 5 columns: groups of unequal size, and
    a layer holding no unit of degree 3. Seeded so that no choice is a near-tie."""
    from gavae_ids.nn.bins import _bin_of

    model, _ = _model(binned, seed=1, hidden=hidden, activation=activation)
    n, g = 400, torch.Generator().manual_seed(5)
    z, y = 2 * torch.randn(n, 2, generator=g), torch.eye(2)[torch.arange(n) % 2]
    gumbel = uniform = None
    if noise:
        u = torch.rand(n, model.n_logits, generator=g).clamp(1e-9, 1 - 1e-7)
        gumbel, uniform = -torch.log(-torch.log(u)), torch.rand(n, 3, generator=g)
    with torch.no_grad():
        new = model.generate(z, y, gumbel, uniform, temperature=0.7)
        old = _reference_generate(model, z, y, gumbel, uniform, 0.7)
    for start, stop in model.blocks:
        np.testing.assert_array_equal(new[:, start:stop].numpy(), old[:, start:stop].numpy())
    if binned:
        bins = model._bins()
        np.testing.assert_array_equal(_bin_of(new[:, NUM], bins).numpy(),
                                      _bin_of(old[:, NUM], bins).numpy())  # fmt: skip
    torch.testing.assert_close(new, old, atol=1e-5, rtol=0)
    # The rows vary, so later columns did read earlier ones through different units.
    assert len({tuple(r) for r in new.numpy().round(4)}) > 20


def test_decode_without_rows_is_refused_for_the_autoregressive_decoder():
    model, _ = _model()
    with pytest.raises(ValueError, match="pass x"):
        model.decode(torch.zeros(2, 2), torch.eye(2))


def test_sampler_learns_the_dependence_the_plain_decoder_cannot_carry():
    """b equals a when f = 1 and is 0 otherwise: the draw of b must follow the draw of f."""
    X = _rows(1500, seed=1)
    y = np.r_[np.zeros(1000, int), np.ones(500, int)]
    sampler = sampler_with(critic_hidden=(16,), disc_eval_size=8, decoder_hidden=(64, 64))(
        layout=LAYOUT, random_state=0, **{**TINY, "n_iter": 300}
    )
    sampler.fit_resample(X, y)
    new = sampler.sample(2000, 1, random_state=0)
    f1 = new[:, 6] == 1
    consistent = np.where(f1, new[:, 4] == new[:, 0], new[:, 4] == 0)
    assert consistent.mean() > 0.9
    # Generated rows keep one category per block and numbers on the training values.
    for b in LAYOUT.onehot_blocks:
        np.testing.assert_array_equal(new[:, b.start : b.stop].sum(1), 1.0)
    for j in NUM:
        assert np.isin(new[:, j], X[:, j]).all()


def test_autoregressive_sampler_round_trips(tmp_path):
    X = _rows(300)
    y = np.r_[np.zeros(200, int), np.ones(100, int)]
    sampler = Small(layout=LAYOUT, random_state=0, **TINY)
    sampler.fit_resample(X, y)
    path = sampler.save(tmp_path / "ar")
    loaded = Small.load(path)
    assert loaded.decoder == "autoregressive"
    np.testing.assert_array_equal(
        loaded.sample(50, 1, random_state=4), sampler.sample(50, 1, random_state=4)
    )
    np.testing.assert_array_equal(loaded.reconstruction_error(X, y),
                                  sampler.reconstruction_error(X, y))  # fmt: skip


def test_unknown_decoder_is_refused():
    X = _rows(100)
    with pytest.raises(ValueError, match="decoder"):
        GAVAESampler(decoder="transformer").fit_resample(X, np.r_[np.zeros(80), np.ones(20)])


def test_an_all_zero_block_does_not_read_as_its_first_category():
    """A category unseen in training encodes as an all-zero block; later columns must not
    be conditioned as if the row held the block's first category."""
    model, x = _model()
    z, y = torch.zeros(len(x), 2), torch.eye(2)[[0] * len(x)]
    first, empty = x.clone(), x.clone()
    first[:, 1:4] = torch.tensor([1.0, 0.0, 0.0])
    empty[:, 1:4] = 0.0
    later = _column_logits(model, 1) | _column_logits(model, 2)
    assert not torch.allclose(model.decode(z, y, empty)[:, later],
                              model.decode(z, y, first)[:, later])  # fmt: skip


def test_empty_decoder_hidden_is_refused_for_the_autoregressive_decoder():
    with pytest.raises(ValueError, match="hidden layer"):
        GAVAE(LAYOUT, 2, hidden=(8,), latent_dim=2, critic_hidden=(4,),
              decoder="autoregressive", decoder_hidden=())  # fmt: skip
