"""Second tutorial, "Keras Sequential Model": two inputs, 3 hidden ReLU units, 2 softmax outputs.

The tutorial writes ``model = Sequential(layers)`` one line before it defines
``layers``; as a reader would, this script defines the list first.

Run: lamina run examples/ann_01_sequential.py
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from keras.models import Sequential
from keras.layers import Dense, Activation
layers = [
    Dense(units=3, input_shape=(2,), activation='relu'),
    Dense(units=2, activation='softmax')
]
model = Sequential(layers)

model.summary()
