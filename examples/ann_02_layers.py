"""Second tutorial, "层解释": 8 inputs, two hidden layers of 6 ReLU units, 4 softmax outputs.

The tutorial's block uses ``Dense`` in its first line and imports it only
after (it relies on an earlier cell); the import is added at the top, and the
block follows as written, list twice included.

Run: lamina run examples/ann_02_layers.py
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from keras.layers import Dense

layers = [
    Dense(units=6, input_shape=(8,), activation='relu'),
    Dense(units=6, activation='relu'),
    Dense(units=4, activation='softmax')
]
from keras.models import Sequential
from keras.layers import Dense, Activation
# 均为连接层
layers = [
    Dense(units=6, input_shape=(8,), activation='relu'),
    Dense(units=6, activation='relu'),
    Dense(units=4, activation='softmax')
]

model = Sequential(layers)

model.summary()
