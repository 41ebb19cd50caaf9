"""``ops.einsum`` computes what ``numpy.einsum`` computes, on every path it takes (one BLAS
product for a (batched) matrix product, ``np.einsum`` otherwise), and explains bad subscripts.
Its gradients are checked in tests/test_ops_gradients.py."""

import numpy as np
import pytest

from lamina import ops

CASES = [
    ("abc,cd->abd", (2, 3, 4), (4, 5)), ("abc,cde->abde", (2, 3, 4), (4, 2, 3)),
    ("abcd,cde->abe", (2, 3, 4, 5), (4, 5, 6)), ("aecd,abcd->acbe", (2, 4, 2, 3), (2, 3, 2, 3)),
    ("acbe,aecd->abcd", (2, 2, 3, 4), (2, 4, 2, 3)), ("ij,kj->ki", (2, 3), (4, 3)),
    ("ji,jk->ik", (3, 2), (3, 4)), ("bij,bkj->bik", (2, 3, 4), (2, 5, 4)),
    ("bij,bjk->bki", (2, 3, 4), (2, 4, 5)), ("j,ij->i", (3,), (2, 3)),
    ("ij,ij->", (2, 3), (2, 3)), ("bi,bj->bji", (2, 3), (2, 4)),
    ("...ij,...jk->...ik", (3, 1, 2, 3), (2, 3, 2)), ("ab...,bc->ac...", (2, 3, 4, 5), (3, 6)),
    ("abcde,defg->abcfg", (2, 1, 3, 2, 2), (2, 2, 3, 4)), ("bij,bjk->bik", (1, 2, 3), (4, 3, 5)),
    ("ijx,jk->ik", (2, 3, 2), (3, 4)), ("ii->i", (3, 3)), ("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    ("ij,jk", (2, 3), (3, 4)), ("i,->i", (3,), ()),
]


@pytest.mark.parametrize("sub,shapes", [(c[0], c[1:]) for c in CASES], ids=[c[0] for c in CASES])
def test_einsum_matches_numpy(sub, shapes):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    expected = np.einsum(sub, *xs)
    for arrays in (xs, [np.asfortranarray(x) if x.ndim else x for x in xs]):  # (strided too)
        got = ops.einsum(sub, *arrays).numpy()
        assert got.dtype == np.float32 and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_einsum_explains_bad_subscripts():
    with pytest.raises(ValueError, match=r"label 'j'.*length 3 in one place and 4.*\(2, 3\), "
                                         r"\(4, 5\)"):
        ops.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="name 2 operand.*1 were given"):
        ops.einsum("ij,jk->ik", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\['k'\] appear in no operand"):
        ops.einsum("ij->k", np.ones((2, 3)))
    with pytest.raises(ValueError, match="name 2 axes but the operand has shape"):
        ops.einsum("ij->i", np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="no operands"):
        ops.einsum("ij->i")
