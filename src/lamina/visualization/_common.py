"""What the pictures share: matplotlib loaded on first use, figures saved to files, sizes."""

from __future__ import annotations

__all__ = []


_MAX_NEURONS_PER_LAYER = 32
_MAX_NEURONS = 128
_FONT = 9  # points; text sizes below are relative to this
_CHAR_W = 0.62 * _FONT / 72  # inches per character, a safe average for DejaVu Sans


def _pyplot():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "lamina's plots are drawn with matplotlib, which is not installed. Install it with "
            "`pip install matplotlib` (or `pip install lamina[plot]`)."
        ) from None
    import matplotlib.pyplot as plt

    return plt


def _save(fig, to_file, dpi):
    if to_file:
        fig.savefig(to_file, dpi=dpi, bbox_inches="tight", facecolor="white")


# ---------------------------------------------------------------------------------------------
# plot_history
