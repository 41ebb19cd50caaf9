"""California house prices: 20,640 block groups, 8 features each (``keras.datasets.california_housing``).

Features: median income, house age, average rooms, average bedrooms,
population, average occupancy, latitude, longitude; targets are median house
values in dollars (1990 census). ``version="small"`` keeps the first 600 rows.
Read from Keras's cache (``~/.keras/datasets/california_housing.npz``, or under
``$KERAS_HOME``); lamina does not download it. StatLib (L. Torgo).

Example:
    >>> from lamina.datasets import california_housing
    >>> (x_train, y_train), _ = california_housing.load_data(version="small")  # doctest: +SKIP
    >>> x_train.shape  # doctest: +SKIP
    (480, 8)
"""

from __future__ import annotations

from lamina.datasets import _housing

__all__ = ["ORIGIN", "load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: float arrays ``(n, 8)`` and ``(n,)``.

    ``version="small"`` takes the file's first 600 rows; then the rows are
    shuffled with ``np.random.RandomState(seed)`` and the first
    ``int(n * (1 - test_split))`` are for training, as in Keras.

    Args:
        version: ``"large"`` (all 20,640 rows) or ``"small"`` (600).
        path: the file's name in Keras's ``datasets`` folder (or a full path to it).
        test_split: the fraction held out for testing, in [0, 1).
        seed: the shuffling seed.

    Raises:
        FileNotFoundError: the file is not there; the message says where to get it.
    """
    _housing.check_test_split("california_housing", test_split)
    if version not in ("large", "small"):
        raise ValueError("The 'version' argument of california_housing.load_data() must be "
                         f"'large' or 'small'. Got {version!r} instead.")
    found = _housing.locate(path, "california_housing", "the California housing file", ORIGIN,
                            "0.6 MB")
    x, y = _housing.read_xy(found, "california_housing", ORIGIN)
    if version == "small":
        x, y = x[:600], y[:600]
    return _housing.split(x, y, test_split, seed)
