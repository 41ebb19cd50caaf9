"""A small convolutional network on the bundled 8x8 handwritten digits (no download).

The Keras "simple MNIST convnet" recipe scaled down to 8x8 images: rescale the pixels,
add the channel axis, two convolution blocks, dropout and a softmax over the ten digits.

Run: python examples/cnn_digits.py      (or: lamina run examples/cnn_digits.py)
"""

import numpy as np

import lamina as keras
from lamina import layers
from lamina.datasets import digits

keras.utils.set_random_seed(0)
(x_train, y_train), (x_test, y_test) = digits.load_data()
# Pixels are 0..16: scale them to [0, 1]; Conv2D wants a channel axis: (n, 8, 8, 1).
x_train = (x_train / 16.0).astype("float32")[..., None]
x_test = (x_test / 16.0).astype("float32")[..., None]
print("train:", x_train.shape, "test:", x_test.shape)

model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(32, kernel_size=3, padding="same", activation="relu"),
    layers.MaxPooling2D(pool_size=2),
    layers.Conv2D(64, kernel_size=3, padding="same", activation="relu"),
    layers.MaxPooling2D(pool_size=2),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
model.summary()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=15, validation_split=0.1)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.3f}")
predicted = np.argmax(model.predict(x_test[:10], verbose=0), axis=1)
print("first ten test digits:", y_test[:10].tolist(), "predicted:", predicted.tolist())
