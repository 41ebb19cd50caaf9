"""First tutorial: before training a unit's weights are random; draw the function it computes.

Run it a few times to see different random weights (the tutorial's code as
written). ``lamina run --save-figures out/ examples/intro_02_random_weights.py``
saves the figure instead of opening a window.
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from tensorflow import keras
from tensorflow.keras import layers

import tensorflow as tf
import matplotlib.pyplot as plt

model = keras.Sequential([
    layers.Dense(1, input_shape=[1]),
])

x = tf.linspace(-1.0, 1.0, 100)
y = model.predict(x)

plt.figure(dpi=100)
plt.plot(x, y, 'k')
plt.xlim(-1, 1)
plt.ylim(-1, 1)
plt.xlabel("Input: x")
plt.ylabel("Target y")
w, b = model.weights # you could also use model.get_weights() here
plt.title("Weight: {:0.2f}\nBias: {:0.2f}".format(w[0][0], b[0]))
plt.show()
