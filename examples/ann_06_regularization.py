"""Second tutorial, "学习率": an L2 penalty on the second layer's weights, and the learning rate.

The tutorial uses ``regularizers`` without importing it; the import is added.

Run: lamina run examples/ann_06_regularization.py
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from keras import regularizers
from keras.models import Sequential
from keras.layers import Dense
from keras.optimizers import Adam

model = Sequential([
    Dense(units=16, input_shape=(1,), activation='relu'),
    Dense(units=32, activation='relu', kernel_regularizer=regularizers.l2(0.01)),# 正则化
    Dense(units=2, activation='sigmoid')
])

model.compile(
    optimizer=Adam(learning_rate=0.0001), # 设置学习率
    loss='sparse_categorical_crossentropy', 
    metrics=['accuracy']
)

model.summary()
print("L2 penalty of the second layer:", float(model.losses[0]))
