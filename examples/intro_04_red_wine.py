"""First tutorial, "基于红葡萄酒品质数据集进行示例": the red-wine network, trained as written.

The data preparation the tutorial does off-page: a 70/30 split of the 1,599
wines and every column (``quality`` too) min-max scaled with the training
rows, as ``lamina.datasets.red_wine.load_data()`` returns it.

Run: lamina run examples/intro_04_red_wine.py
(``--max-epochs 2`` for a quick check, ``--save-figures out/`` to keep the plot)
"""

# The tutorial's code as written (lint would reorder and trim it):
# ruff: noqa

from lamina.datasets import red_wine

(X_train, y_train), (X_valid, y_valid) = red_wine.load_data()

print(X_train.shape)

from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    layers.Dense(512, activation='relu', input_shape=[11]),
    layers.Dense(512, activation='relu'),
    layers.Dense(512, activation='relu'),
    layers.Dense(1),
])

model.compile(
    optimizer='adam',
    loss='mae',
)

history = model.fit(
    X_train, y_train,
    validation_data=(X_valid, y_valid),
    batch_size=256,
    epochs=10,
)

# The tutorial plots the History after turning it into a pandas DataFrame.
import matplotlib.pyplot as plt

try:
    import pandas as pd
except ImportError:  # without pandas, lamina draws the learning curve itself
    keras.utils.plot_history(history, metrics="loss")
else:
    history_df = pd.DataFrame(history.history)
    history_df['loss'].plot()
plt.show()
print("Minimum validation loss: {:0.4f}".format(min(history.history['val_loss'])))
