"""``lamina demo``: the first tutorial's red-wine network, trained on the bundled data.

Builds the tutorial's network (three Dense layers of 512 ReLU units and one
linear output), trains it with Adam on the mean absolute error for 10
epochs in batches of 256 with a live progress bar, and writes into ``--out``:
the model (``red_wine.keras``), its learning curve (``learning_curve.png``)
and a diagram of the network (``model.png``).
"""

from __future__ import annotations

import os

from lamina.cli._common import (
    CLIError,
    describe,
    note,
    plots_available,
    save_model,
    use_file_backend,
)

__all__ = ["add_parser", "demo"]


def add_parser(subparsers):
    """Add the ``demo`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "demo", help="train the tutorial's red-wine network and write the model and pictures",
        description=describe(__doc__),
    )
    p.add_argument("--out", default="lamina-demo", metavar="DIR",
                   help="folder for the outputs (default: ./lamina-demo)")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default: 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                   help="0 silent, 1 progress bar, 2 one line per epoch (default: bar in a "
                        "terminal, one line per epoch otherwise)")
    p.set_defaults(handler=lambda a: demo(a.out, a.epochs, a.seed, a.verbose))
    return p


def demo(out: str = "lamina-demo", epochs: int = 10, seed: int = 0, verbose=None) -> int:
    """Train the red-wine network and write its outputs into ``out``; returns 0."""
    if epochs < 1:
        raise CLIError(f"--epochs must be at least 1; got {epochs}.")
    import lamina
    from lamina import layers
    from lamina.datasets import red_wine

    os.makedirs(out, exist_ok=True)
    lamina.utils.set_random_seed(seed)
    (x_train, y_train), (x_valid, y_valid) = red_wine.load_data()
    (_, raw_train), _ = red_wine.load_data(scale=False)
    span = float(raw_train.max() - raw_train.min())
    print(f"Red Wine Quality: {len(x_train)} wines to train on, {len(x_valid)} to validate, "
          f"{x_train.shape[1]} measurements each; quality scaled to [0, 1] as in the tutorial.")

    model = lamina.Sequential([
        layers.Dense(512, activation="relu", input_shape=[x_train.shape[1]]),
        layers.Dense(512, activation="relu"),
        layers.Dense(512, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mae")
    model.summary()
    history = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), batch_size=256,
                        epochs=epochs, verbose="auto" if verbose is None else verbose)
    val_mae = history.history["val_loss"][-1]
    print(f"\nValidation MAE after {len(history.epoch)} epochs: {val_mae:.4f} on the scaled "
          f"target, about {val_mae * span:.2f} quality points on the {raw_train.min():.0f}-"
          f"{raw_train.max():.0f} scale.")

    written = []
    model_file = os.path.join(out, "red_wine.keras")
    if save_model(model, model_file):
        written.append(model_file)
    if plots_available():
        use_file_backend()
        import matplotlib.pyplot as plt

        from lamina import visualization as plotting

        curve = os.path.join(out, "learning_curve.png")
        plotting.plot_history(history, to_file=curve, title="Red wine: mean absolute error")
        diagram = os.path.join(out, "model.png")
        plotting.plot_model(model, to_file=diagram, show_layer_activations=True, dpi=150)
        plt.close("all")
        written += [curve, diagram]
    else:
        note("the pictures were not drawn: they need matplotlib (`pip install matplotlib`).")
    print("Wrote: " + ", ".join(written) if written else "Wrote no files.")
    return 0
