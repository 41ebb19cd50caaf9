"""Pictures: learning curves, network diagrams and one-input functions, drawn with matplotlib.

Each test checks what is drawn (lines and their data, circles, boxes, labels),
that saved files are real, non-blank PNGs, and that no two labels overlap or
leave the figure.
"""

import itertools
import sys

import numpy as np
import pytest

import lamina
from lamina import layers

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

from lamina.utils import plot_function, plot_history, plot_model  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    lamina.utils.clear_session()
    lamina.utils.set_random_seed(0)
    yield
    plt.close("all")


def _check_png(path, min_size=(100, 100)):
    with open(path, "rb") as f:
        assert f.read(8) == PNG_MAGIC
    image = matplotlib.image.imread(path)
    assert image.shape[0] >= min_size[1] and image.shape[1] >= min_size[0]
    assert image[..., :3].std() > 0.05  # not a blank picture
    return image


def _texts_do_not_overlap(fig):
    """No two non-empty labels overlap, and all lie inside the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        if ax.get_visible():
            texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts
             if t.get_text().strip()]
    fig_box = fig.bbox
    for label, box in boxes:
        assert box.x0 >= fig_box.x0 - 1 and box.x1 <= fig_box.x1 + 1, f"{label!r} is clipped"
        assert box.y0 >= fig_box.y0 - 1 and box.y1 <= fig_box.y1 + 1, f"{label!r} is clipped"
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"labels {a!r} and {b!r} overlap"


def _small_model():
    return lamina.Sequential([
        layers.Dense(units=3, input_shape=(2,), activation="relu"),
        layers.Dense(units=2, activation="softmax"),
    ])


def _red_wine_model():
    return lamina.Sequential([
        layers.Dense(512, activation="relu", input_shape=[11]),
        layers.Dense(512, activation="relu"),
        layers.Dense(512, activation="relu"),
        layers.Dense(1),
    ])


# --------------------------------------------------------------------------------------------
# plot_history

HISTORY = {
    "loss": [1.0, 0.6, 0.5, 0.45, 0.44, 0.43],
    "val_loss": [1.1, 0.7, 0.55, 0.5, 0.52, 0.6],
    "accuracy": [0.5, 0.6, 0.7, 0.75, 0.8, 0.82],
    "val_accuracy": [0.5, 0.55, 0.68, 0.7, 0.71, 0.69],
}


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_plot_history_one_panel_per_metric_with_training_and_validation(tmp_path):
    path = tmp_path / "curves.png"
    fig = plot_history(HISTORY, to_file=str(path), title="Learning curves")
    assert isinstance(fig, matplotlib.figure.Figure)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["loss", "accuracy"]
    loss = _lines(visible[0])
    np.testing.assert_allclose(loss["training"].get_ydata(), HISTORY["loss"])
    np.testing.assert_allclose(loss["validation"].get_ydata(), HISTORY["val_loss"])
    np.testing.assert_array_equal(loss["training"].get_xdata(), [1, 2, 3, 4, 5, 6])
    _check_png(path)


def test_plot_history_marks_the_best_epoch_lowest_loss_highest_accuracy():
    fig = plot_history(HISTORY)
    loss_ax, acc_ax = fig.axes[:2]
    best_loss = [label for label in _lines(loss_ax) if label.startswith("best")]
    assert best_loss == ["best validation: epoch 4, 0.5"]
    marker = _lines(loss_ax)[best_loss[0]]
    assert list(marker.get_xdata()) == [4] and list(marker.get_ydata()) == [0.5]
    best_acc = [label for label in _lines(acc_ax) if label.startswith("best")]
    assert best_acc == ["best validation: epoch 5, 0.71"]
    legend = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert "best validation: epoch 4, 0.5" in legend


def test_plot_history_from_fit_and_chosen_metrics():
    x = np.random.default_rng(0).uniform(-1, 1, (64, 1)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = lamina.Sequential([layers.Dense(4, activation="relu", input_shape=(1,)),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, validation_split=0.25, shuffle=True, verbose=0)
    fig = plot_history(history, metrics="acc")  # Keras 2's name for accuracy
    assert [ax.get_title() for ax in fig.axes] == ["accuracy"]
    lines = _lines(fig.axes[0])
    np.testing.assert_allclose(lines["validation"].get_ydata(), history.history["val_accuracy"])
    fig = plot_history(history, metrics=["val_loss"])  # the validation name means the metric
    assert [ax.get_title() for ax in fig.axes] == ["loss"]


def test_plot_history_without_validation_marks_training():
    fig = plot_history({"loss": [3.0, 1.0, 2.0]})
    assert "best training: epoch 2, 1" in _lines(fig.axes[0])


def test_plot_history_validation_every_other_epoch():
    fig = plot_history({"loss": [4.0, 3.0, 2.0, 1.0], "val_loss": [3.5, 1.5]})
    lines = _lines(fig.axes[0])
    np.testing.assert_array_equal(lines["validation"].get_xdata(), [2, 4])


def test_plot_history_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    fig = plot_history(pd.DataFrame(HISTORY), metrics="loss")
    np.testing.assert_allclose(_lines(fig.axes[0])["training"].get_ydata(), HISTORY["loss"])


def test_plot_history_errors():
    with pytest.raises(ValueError, match="no metric 'acuracy'.*Did you mean 'accuracy'"):
        plot_history(HISTORY, metrics="acuracy")
    with pytest.raises(ValueError, match="no epochs"):
        plot_history({"loss": []})
    with pytest.raises(TypeError, match="History that fit"):
        plot_history([0.1, 0.2])


def test_plot_history_labels_do_not_overlap():
    _texts_do_not_overlap(plot_history(HISTORY, title="Learning curves"))
    many = {**HISTORY, "mae": [3, 2, 1], "val_mae": [3, 2, 2], "auc": [0.5, 0.6, 0.7]}
    fig = plot_history({k: v[:3] for k, v in many.items()}, title="Four metrics")
    assert sum(ax.get_visible() for ax in fig.axes) == 4
    _texts_do_not_overlap(fig)


def test_plot_history_does_not_mark_a_best_learning_rate():
    fig = plot_history({"loss": [1.0, 0.5], "learning_rate": [0.01, 0.001]})
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["loss", "learning_rate"]
    assert not any(label.startswith("best") for label in _lines(fig.axes[1]))
    assert any(label.startswith("best") for label in _lines(fig.axes[0]))


# --------------------------------------------------------------------------------------------
# plot_model: neuron diagrams


def test_plot_model_small_network_as_neurons_and_connections(tmp_path):
    path = tmp_path / "net.png"
    fig = plot_model(_small_model(), to_file=str(path))
    ax = fig.axes[0]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == 2 + 3 + 2
    segments = [len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection)]
    assert segments == [2 * 3, 3 * 2]
    texts = [t.get_text() for t in ax.texts]
    assert "Input" in texts and texts.count("Dense") == 2
    assert "3 units\nrelu\n9 params\n(None, 3)" in texts
    assert "2 units\nsoftmax\n8 params\n(None, 2)" in texts
    assert {"x0", "x1"} <= set(texts)
    _check_png(path)
    _texts_do_not_overlap(fig)


def test_plot_model_every_neuron_draws_its_activation():
    fig = plot_model(_small_model(), to_file=None)
    glyphs = [line for line in fig.axes[0].get_lines()]
    assert len(glyphs) == 3 + 2  # one curve per neuron, none on the inputs
    relu = glyphs[0]
    y = relu.get_ydata()
    half = len(y) // 2
    assert np.ptp(y[:half]) < 1e-9 and np.all(np.diff(y[half + 1:]) > 0)  # flat, then rising


def test_plot_model_activation_layer_joins_its_dense_layer():
    model = lamina.Sequential()
    model.add(layers.Dense(units=5, input_shape=(3,)))
    model.add(layers.Activation("relu"))
    fig = plot_model(model, to_file=None, show_layer_names=True)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert sum(isinstance(p, Circle) for p in fig.axes[0].patches) == 3 + 5
    assert any(t.endswith("(Dense\n+ Activation)") for t in texts)
    assert "5 units\nrelu\n20 params\n(None, 5)" in texts


def test_plot_model_show_weights_colours_connections_by_sign():
    model = _small_model()
    kernel = model.layers[0].kernel.numpy()
    fig = plot_model(model, to_file=None, show_weights=True)
    first = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)][0]
    colors = first.get_colors()
    blue = matplotlib.colors.to_rgba("#1f77b4")[:3]
    expected = [w >= 0 for w in kernel.ravel()]
    assert [tuple(c[:3]) == pytest.approx(blue) for c in colors] == expected
    widths = first.get_linewidths()
    assert widths[np.argmax(np.abs(kernel.ravel()))] == pytest.approx(max(widths))


def test_plot_model_tutorial_networks_up_to_32_units_are_neurons():
    model = lamina.Sequential([
        layers.Dense(units=16, input_shape=(1,), activation="relu"),
        layers.Dense(units=32, activation="relu"),
        layers.Dense(units=2, activation="sigmoid"),
    ])
    fig = plot_model(model, to_file=None)
    assert sum(isinstance(p, Circle) for p in fig.axes[0].patches) == 1 + 16 + 32 + 2
    _texts_do_not_overlap(fig)


# --------------------------------------------------------------------------------------------
# plot_model: block diagrams


def test_plot_model_large_network_as_blocks_with_shapes_and_parameters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _red_wine_model()
    fig = plot_model(model, show_layer_activations=True)  # Keras's default file: model.png
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == 5 and len(arrows) == 4
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("Dense") == 4 and "InputLayer" in texts
    assert "(None, 512)   262,656 params" in texts
    assert "(None, 1)   513 params" in texts
    assert "activation: relu" in texts
    assert any("531,969 params" in t for t in texts)
    _check_png(tmp_path / "model.png")
    _texts_do_not_overlap(fig)
    # Boxes go top to bottom, each below the one before.
    ys = [b.get_y() for b in boxes]
    assert ys == sorted(ys, reverse=True)


def test_plot_model_blocks_left_to_right_and_options():
    model = _red_wine_model()
    fig = plot_model(model, to_file=None, rankdir="LR", show_layer_names=True, show_shapes=False,
                     show_dtype=True, show_trainable=True)
    boxes = [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
    xs = [b.get_x() for b in boxes]
    assert xs == sorted(xs)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "dense (Dense)" in texts
    assert not any("(None, 512)" in t for t in texts)
    assert any("dtype: float32" in t and "trainable" in t for t in texts)
    _texts_do_not_overlap(fig)


def test_plot_model_small_network_can_be_drawn_as_blocks():
    fig = plot_model(_small_model(), to_file=None, style="blocks")
    assert sum(isinstance(p, FancyBboxPatch) for p in fig.axes[0].patches) == 3


def test_plot_model_functional_branches():
    inputs = lamina.Input(shape=(4,))
    a = layers.Dense(8, activation="relu")(inputs)
    b = layers.Dense(8)(a)
    c = layers.Dense(3)(inputs)
    model = lamina.Model(inputs, [b, c])
    fig = plot_model(model, to_file=None, show_layer_names=True)
    ax = fig.axes[0]
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == 4
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == 3
    centers = {}
    for text in ax.texts:
        name = text.get_text().split(" ")[0]
        centers.setdefault(name, text.get_position())
    # The second Dense of the branch sits under the first one.
    assert centers["dense_1"][0] == pytest.approx(centers["dense"][0])
    assert centers["dense_1"][1] < centers["dense"][1]
    _texts_do_not_overlap(fig)


def test_plot_model_errors():
    unbuilt = lamina.Sequential([layers.Dense(3), layers.Dense(1)])
    with pytest.raises(ValueError, match="not built yet.*input_shape"):
        plot_model(unbuilt, to_file=None)
    with pytest.raises(ValueError, match="style='neurons'.*32 units"):
        plot_model(_red_wine_model(), to_file=None, style="neurons")
    with pytest.raises(ValueError, match="'rankdir'.*'TB'"):
        plot_model(_small_model(), to_file=None, rankdir="up")
    with pytest.raises(TypeError, match="unexpected keyword"):
        plot_model(_small_model(), to_file=None, colour="red")


# --------------------------------------------------------------------------------------------
# plot_function


def test_plot_function_single_unit_title_and_line(tmp_path):
    model = lamina.Sequential([layers.Dense(1, input_shape=[1])])
    model.set_weights([np.array([[0.5]], "float32"), np.array([-0.25], "float32")])
    path = tmp_path / "unit.png"
    fig = plot_function(model, to_file=str(path), ylim=(-1, 1))
    ax = fig.axes[0]
    assert ax.get_title() == "Weight: 0.50\nBias: -0.25"
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), 0.5 * line.get_xdata() - 0.25, atol=1e-6)
    assert ax.get_xlim() == (-1.0, 1.0) and ax.get_ylim() == (-1.0, 1.0)
    assert ax.get_xlabel() == "Input: x" and ax.get_ylabel() == "Target y"
    _check_png(path)


def test_plot_function_relu_unit_and_plain_functions():
    model = lamina.Sequential([layers.Dense(1, activation="relu", input_shape=[1])])
    model.set_weights([np.array([[2.0]], "float32"), np.array([0.5], "float32")])
    fig = plot_function(model, x_range=(-2, 2))
    assert fig.axes[0].get_title().endswith("Activation: relu")
    y = fig.axes[0].get_lines()[0].get_ydata()
    assert y.min() == 0.0 and y.max() == pytest.approx(4.5)
    fig = plot_function(lamina.activations.relu, x_range=(-3, 3))
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), np.maximum(line.get_xdata(), 0), atol=1e-6)
    assert fig.axes[0].get_title() == "relu"


def test_plot_function_several_outputs_and_errors():
    model = lamina.Sequential([layers.Dense(3, input_shape=[1])])
    fig = plot_function(model)
    assert len(fig.axes[0].get_lines()) == 3
    with pytest.raises(ValueError, match=r"one number per sample.*\(None, 11\)"):
        plot_function(_red_wine_model())
    with pytest.raises(ValueError, match="low < high"):
        plot_function(model, x_range=(1, -1))


def test_missing_matplotlib_names_the_install_command(monkeypatch):
    from lamina import visualization as plotting

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plotting.plot_history(HISTORY)


def test_lazy_exports():
    import lamina.utils as utils

    for name in ("plot_history", "plot_model", "plot_function"):
        assert name in utils.__all__
        assert getattr(utils, name).__doc__
