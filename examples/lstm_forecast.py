"""An LSTM forecast of a synthetic time series (no download).

A daily-looking series (two seasonal waves, a slow trend and noise) is cut into windows of
the last 24 values; an LSTM reads each window and predicts the next value. The last fifth of
the series is held out: the model's error there is compared with the naive forecast
("tomorrow equals today"), then the model forecasts 12 steps ahead by feeding its own
predictions back.

Run: python examples/lstm_forecast.py      (or: lamina run examples/lstm_forecast.py)
"""

import numpy as np

import lamina as keras
from lamina import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
t = np.arange(1200, dtype="float32")
series = (np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 13) + 0.002 * t
          + 0.1 * rng.standard_normal(t.shape)).astype("float32")

WINDOW = 24
split = int(len(series) * 0.8)
mean, std = series[:split].mean(), series[:split].std()
scaled = (series - mean) / std  # statistics of the training part only


def windows(values):
    """(samples, WINDOW, 1) inputs and the value that follows each window."""
    x = np.stack([values[i:i + WINDOW] for i in range(len(values) - WINDOW)])
    return x[..., None], values[WINDOW:, None]


x_train, y_train = windows(scaled[:split])
x_test, y_test = windows(scaled[split - WINDOW:])
print("train:", x_train.shape, "test:", x_test.shape)

model = keras.Sequential([
    keras.Input(shape=(WINDOW, 1)),
    layers.LSTM(32),
    layers.Dense(1),
])
model.summary()
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, batch_size=64, epochs=8, validation_split=0.1, verbose=2)

mae = float(np.mean(np.abs(model.predict(x_test, verbose=0) - y_test))) * std
naive = float(np.mean(np.abs(x_test[:, -1] - y_test))) * std
print(f"test MAE: {mae:.3f} (naive 'same as the last value' forecast: {naive:.3f})")

# Forecast 12 steps past the end, each prediction becoming the newest input.
window = scaled[-WINDOW:].copy()
ahead = []
for _ in range(12):
    step = float(model.predict(window[None, :, None], verbose=0)[0, 0])
    ahead.append(float(step * std + mean))
    window = np.append(window[1:], step)
print("next 12 values:", [round(v, 2) for v in ahead])
