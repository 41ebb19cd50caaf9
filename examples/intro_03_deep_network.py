"""First tutorial, "Building Sequential Models": hidden ReLU layers and a linear output.

The tutorial's three blocks in order: the model, the same layers as a plain
list (they go into the model as one list, not as separate arguments), and
``compile`` with Adam and the mean absolute error.

Run: lamina run examples/intro_03_deep_network.py
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    # the hidden ReLU layers
    layers.Dense(units=4, activation='relu', input_shape=[2]),
    layers.Dense(units=3, activation='relu'),
    # the linear output layer 
    layers.Dense(units=1),
])

[
    # the hidden ReLU layers
    layers.Dense(units=4, activation='relu', input_shape=[2]),
    layers.Dense(units=3, activation='relu'),
    # the linear output layer 
    layers.Dense(units=1),
]

model.compile(
    optimizer="adam",
    loss="mae",
)

model.summary()
