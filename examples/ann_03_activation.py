"""Second tutorial, "激活函数": two ways to give a layer its activation.

``Dense(..., activation='relu')`` and ``Dense(...)`` followed by
``Activation('relu')`` compute the same function; the script checks that.

Run: lamina run examples/ann_03_activation.py
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from keras.models import Sequential
from keras.layers import Dense, Activation
model = Sequential([
    Dense(units=5, input_shape=(3,), activation='relu')
])

# 第二种方法
model2 = Sequential()
model2.add(Dense(units=5, input_shape=(3,)))
model2.add(Activation('relu'))

import numpy as np

model2.set_weights(model.get_weights())
x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
same = np.allclose(model.predict(x, verbose=0), model2.predict(x, verbose=0))
print("Both ways give the same outputs:", same)
