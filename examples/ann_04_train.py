"""Second tutorial, "训练神经网络": compile with Adam(learning_rate=0.0001) and fit, as written.

The data the tutorial trains on (made up off-page): 2,100 people aged 13 to
100; most people 65 or older had side effects (label 1), most younger ones
did not. ``scaled_train_samples`` are the ages scaled to [0, 1].

Run: lamina run examples/ann_04_train.py
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from lamina.datasets import ages

scaled_train_samples, train_labels = ages.load_data()

import keras
from keras.models import Sequential
from keras.layers import Activation
from keras.layers.core import Dense
from keras.optimizers import Adam
from keras.metrics import categorical_crossentropy

model = Sequential([
    Dense(units=16, input_shape=(1,), activation='relu'), # 一个输入， 16个神经元， RELU函数
    Dense(units=32, activation='relu'),
    Dense(units=2, activation='sigmoid')
])
model.compile(
    optimizer=Adam(learning_rate=0.0001),  # 学习率
    loss='sparse_categorical_crossentropy', # 交叉熵损失函数
    metrics=['accuracy'] # 准确率
)
model.fit(
    x=scaled_train_samples, # 样本
    y=train_labels, # 标签
    batch_size=10, # 一次穿多少
    epochs=20,  # 传几次
    shuffle=True, # 清洗
    verbose=2 # 看两次日志
)

print("Final training accuracy: {:.3f}".format(model.history.history['accuracy'][-1]))
