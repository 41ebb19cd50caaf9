"""First tutorial, "Keras中的线性单元": one linear unit with three inputs, and its weights.

The model is the tutorial's code as written; the tutorial's Kaggle exercise
checker (``q_3.check()``) is left out. At the end the unit is trained on the
80 cereals it talks about (sugars, fiber, protein -> calories).

Run: lamina run examples/intro_01_linear_unit.py
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from tensorflow import keras
from tensorflow.keras import layers

# Create a network with 1 linear unit
model = keras.Sequential([
    layers.Dense(units=1, input_shape=[3])
])

# YOUR CODE HERE
w, b = model.weights
print("Weights\n{}\n\nBias\n{}".format(w, b))
# Check your answer
# q_3.check()   (Kaggle's exercise checker; not part of Keras)

# The data the tutorial talks about: calories from sugars, fiber and protein.
from lamina.datasets import cereals

(X_train, y_train), (X_valid, y_valid) = cereals.load_data()
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1.0), loss="mae")
history = model.fit(X_train, y_train, validation_data=(X_valid, y_valid),
                    batch_size=16, epochs=200, verbose=0)
w, b = model.weights
terms = " ".join("{:+.2f} * {}".format(c, name)
                 for c, name in zip(w.numpy()[:, 0], cereals.FEATURES))
print("After training: calories = {} {:+.2f}".format(terms, b.numpy()[0]))
print("Validation MAE: {:.1f} calories".format(history.history["val_loss"][-1]))
