"""The second tutorial's made-up trial: does a drug give side effects, by the patient's age?

2,100 people (by default) aged 13 to 100, half younger than 65 and half 65 or
older. About 95% of the older ones have side effects (label 1) and about 95%
of the younger ones do not (label 0); the other 5% go against the trend.
The tutorial feeds the ages, min-max scaled to [0, 1], to a small classifier
with ``sparse_categorical_crossentropy``. The data are generated, not read
from a file, and the same ``seed`` gives the same people.

Example:
    >>> from lamina.datasets import ages
    >>> scaled_train_samples, train_labels = ages.load_data()
    >>> scaled_train_samples.shape, sorted(set(train_labels.tolist()))
    ((2100, 1), [0, 1])
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_AGE", "MIN_AGE", "load_data"]

MIN_AGE = 13
MAX_AGE = 100
_SPLIT_AGE = 65  # "older" starts here
_OUTLIER_SHARE = 0.05 / 1.05  # 50 unusual pairs for every 1,000 usual ones, as the tutorial


def load_data(n: int = 2100, seed: int = 0, scale: bool = True):
    """Ages and side-effect labels of ``n`` made-up patients, shuffled.

    People come in pairs, one younger (13-64) and one older (65-100). In the
    usual pair the older one has side effects (label 1) and the younger one
    not; in the unusual pairs (1 in 21) it is the other way round. The
    defaults reproduce the tutorial's 2,100 people: 1,000 usual and 50
    unusual pairs.

    Args:
        n: the number of people (an even number, at least 2).
        seed: seed of the generator; the same seed gives the same data.
        scale: return ages min-max scaled to [0, 1] as ``(age - 13) / 87`` (as
            the tutorial's ``scaled_train_samples``); ``False`` gives years.

    Returns:
        ``(samples, labels)``: float64 ages of shape ``(n, 1)`` and int64
        labels of shape ``(n,)``.

    Raises:
        ValueError: if ``n`` is not an even number of at least 2.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2 or n % 2:
        raise ValueError(
            f"The 'n' argument of ages.load_data must be an even number of at least 2 (people "
            f"come in pairs, one younger and one older). Got {n!r} instead."
        )
    rng = np.random.default_rng(seed)
    pairs = n // 2
    unusual = int(round(pairs * _OUTLIER_SHARE))
    ages, labels = [], []
    for i in range(pairs):  # the unusual pairs first, as the tutorial builds them
        ages += [rng.integers(MIN_AGE, _SPLIT_AGE), rng.integers(_SPLIT_AGE, MAX_AGE + 1)]
        labels += [1, 0] if i < unusual else [0, 1]
    ages = np.array(ages, dtype="float64")
    labels = np.array(labels, dtype="int64")
    order = rng.permutation(len(ages))
    ages, labels = ages[order], labels[order]
    if scale:
        ages = (ages - MIN_AGE) / (MAX_AGE - MIN_AGE)
    return ages.reshape(-1, 1), labels
