"""lamina.metrics against numbers recorded from real Keras 3.15.1 (keras_metrics.json).

The file is written by make_keras_metric_fixtures.py in this folder; these
tests need only NumPy.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import metrics

FIXTURE = Path(__file__).with_name("keras_metrics.json")
if not FIXTURE.exists():  # pragma: no cover - the file is committed with the tests
    pytest.skip(
        f"{FIXTURE.name} is missing: run make_keras_metric_fixtures.py", allow_module_level=True
    )
DATA = json.loads(FIXTURE.read_text())
CASES = {c["id"]: c for c in DATA["cases"]}

# Where lamina's get_config deliberately differs from Keras's.
CONFIG_DIFFERENCES = {
    # Keras drops `axis`; lamina keeps it so that a round trip rebuilds the same metric.
    "CosineSimilarity": {"axis"},
}


def dec(x):
    if x is None:
        return None
    return np.asarray(x["data"], dtype=x["dtype"]).reshape(x["shape"])


def run_case(case):
    metric = getattr(metrics, case["class"])(**case["config"])
    results = []
    for batch in case["batches"]:
        if case["class"] in ("Mean", "Sum"):
            metric.update_state(dec(batch["values"]), sample_weight=dec(batch["sample_weight"]))
        else:
            metric.update_state(
                dec(batch["y_true"]),
                dec(batch["y_pred"]),
                sample_weight=dec(batch["sample_weight"]),
            )
        results.append(np.asarray(metric.result()))
    return metric, results


@pytest.mark.filterwarnings("ignore:More independent predictors")  # r2_adjusted, as in Keras
@pytest.mark.parametrize("case_id", sorted(CASES))
def test_results_match_keras(case_id):
    case = CASES[case_id]
    metric, results = run_case(case)
    for step, (got, want) in enumerate(zip(results, case["results"])):
        want = np.asarray(want, dtype=np.float64)
        assert got.shape == want.shape, f"batch {step}: shape {got.shape} != {want.shape}"
        np.testing.assert_allclose(
            got, want, rtol=2e-6, atol=2e-7, err_msg=f"{case_id}: result after batch {step}"
        )
    metric.reset_state()
    np.testing.assert_allclose(np.asarray(metric.result()), case["after_reset"], atol=0)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_config_and_variables_match_keras(case_id):
    case = CASES[case_id]
    metric = getattr(metrics, case["class"])(**case["config"])
    config = metric.get_config()
    want = dict(case["keras_config"])
    extra = CONFIG_DIFFERENCES.get(case["class"], set())
    config = {k: v for k, v in config.items() if k not in extra}
    # Keras numbers its automatic names across the whole fixture run.
    config.pop("name"), want.pop("name")
    assert config == want
    lazy = case["class"] == "R2Score" or (
        case["class"] == "AUC"
        and case["config"].get("multi_label")
        and not case["config"].get("num_labels")
    )
    if lazy:  # these create their per-column variables with the first batch
        metric, _ = run_case(case)
    assert [v.name for v in metric.variables] == case["variables"]


def test_float32_accumulation_matches_keras_over_many_batches():
    # 300 batches: total is accumulated in float32 by Keras; a float64 total
    # would drift away from Keras's number.
    case = CASES["mean_many_batches_float32"]
    _, results = run_case(case)
    assert results[-1].dtype == np.float32
    np.testing.assert_allclose(results[-1], case["results"][-1], rtol=1e-7)


@pytest.mark.parametrize(
    "entry", DATA["functions"], ids=lambda e: f"{e['fn']}-{e['args'][0]['shape']}-{e['kwargs']}"
)
def test_functions_match_keras(entry):
    out = getattr(metrics, entry["fn"])(*[dec(a) for a in entry["args"]], **entry["kwargs"])
    want = dec(entry["out"])
    assert isinstance(out, lamina.Tensor)
    assert out.shape == want.shape
    assert out.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(out), want)


@pytest.mark.parametrize(
    "entry",
    [e for e in DATA["resolve"] if "y_true_shape" in e],
    ids=lambda e: f"{e['identifier']}-{e['y_true_shape']}-{e['y_pred_shape']}",
)
def test_compile_resolution_matches_keras(entry):
    m = metrics.get_metric(
        entry["identifier"], np.zeros(entry["y_true_shape"]), np.zeros(entry["y_pred_shape"])
    )
    assert type(m).__name__ == entry["class"]
    assert m.name == entry["name"]


def test_function_identifier_is_wrapped_and_named_like_keras():
    entry = next(e for e in DATA["resolve"] if e["identifier"] == "<function user_fn>")

    def user_fn(y_true, y_pred):
        return lamina.ops.mean(lamina.ops.abs(y_true - y_pred), axis=-1)

    m = metrics.get_metric(user_fn, np.zeros((4, 1)), np.zeros((4, 1)))
    assert type(m).__name__ == entry["class"]
    assert m.name == entry["name"]


@pytest.mark.parametrize("entry", DATA["get_errors"], ids=lambda e: e["identifier"])
def test_names_keras_rejects(entry):
    # Keras 3 rejects these names. lamina accepts the tf.keras 2 spellings whose
    # meaning is clear (loss function names, 'kld', 'logcosh'; 'crossentropy' and 'ce'
    # in compile) and rejects the rest with the list of valid names.
    accepted = {"huber", "logcosh", "kld"}
    if entry["identifier"] in accepted:
        assert isinstance(metrics.get(entry["identifier"]), metrics.Metric)
    elif entry["identifier"] in ("crossentropy", "ce"):
        m = metrics.get_metric(entry["identifier"], np.zeros((4,)), np.zeros((4, 3)))
        assert type(m).__name__ == "SparseCategoricalCrossentropy"
    else:
        with pytest.raises(ValueError, match="Valid names"):
            metrics.get(entry["identifier"])
