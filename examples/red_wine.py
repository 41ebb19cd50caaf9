"""The first tutorial's red-wine network, trained with lamina on the bundled data.

Run: python examples/red_wine.py
"""

import lamina as keras
from lamina import layers
from lamina.datasets import red_wine

keras.utils.set_random_seed(0)
(X_train, y_train), (X_valid, y_valid) = red_wine.load_data()
print(X_train.shape)

model = keras.Sequential([
    layers.Dense(512, activation="relu", input_shape=[11]),
    layers.Dense(512, activation="relu"),
    layers.Dense(512, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mae")
model.summary()
history = model.fit(
    X_train, y_train,
    validation_data=(X_valid, y_valid),
    batch_size=256,
    epochs=10,
)
print(f"validation MAE after {len(history.epoch)} epochs: {history.history['val_loss'][-1]:.4f}")
