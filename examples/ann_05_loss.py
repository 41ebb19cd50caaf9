"""Second tutorial, "损失函数": the optimizer given as compile's first (positional) argument.

Run: lamina run examples/ann_05_loss.py
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from keras.models import Sequential
from keras.layers import Dense
from keras.optimizers import Adam

model = Sequential([
    Dense(16, input_shape=(1,), activation='relu'),
    Dense(32, activation='relu'),
    Dense(2, activation='sigmoid')
])
model.compile(
    Adam(learning_rate=.0001), 
    loss='sparse_categorical_crossentropy',  # 均方误差
    metrics=['accuracy']
)

print("optimizer:", type(model.optimizer).__name__,
      "learning rate:", float(model.optimizer.learning_rate))
