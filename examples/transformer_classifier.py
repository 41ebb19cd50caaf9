"""A tiny Transformer text classifier on generated token sequences (no download).

Each "review" is a padded sequence of word ids: ids 1-10 are positive words, 11-20
negative words, 21-49 neutral ones; a review is positive when it has more positive than
negative words. The model is the encoder block of the Keras "text classification with
Transformer" recipe: an Embedding (id 0 is padding, masked out), self-attention with a
residual connection and layer normalization, a feed-forward part, average pooling over
the words (the padding left out by the mask) and a softmax over the two classes.

Run: python examples/transformer_classifier.py   (or: lamina run examples/transformer_classifier.py)
"""

import numpy as np

import lamina as keras
from lamina import layers

VOCAB, STEPS, WIDTH = 50, 20, 32


def reviews(n, rng):
    ids = rng.integers(1, VOCAB, (n, STEPS))
    for row, length in zip(ids, rng.integers(5, STEPS + 1, n)):
        row[length:] = 0  # padding at the end
    positive = ((ids >= 1) & (ids <= 10)).sum(axis=1)
    negative = ((ids >= 11) & (ids <= 20)).sum(axis=1)
    keep = positive != negative  # no ties
    return ids[keep].astype("int32"), (positive > negative)[keep].astype("int32")


keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x_train, y_train = reviews(1200, rng)
x_test, y_test = reviews(400, rng)
print("train:", x_train.shape, "test:", x_test.shape)

inputs = keras.Input(shape=(STEPS,), dtype="int32")
x = layers.Embedding(VOCAB, WIDTH, mask_zero=True)(inputs)
attended = layers.MultiHeadAttention(num_heads=2, key_dim=16)(x, x)
x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attended]))
ff = layers.Dense(WIDTH)(layers.Dense(64, activation="relu")(x))
x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, ff]))
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.summary()

model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=4, validation_split=0.1, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.3f}")

# The attention scores of one review: how much each word looks at the others.
probe = x_test[:1]
_, scores = model.layers[2](model.layers[1](probe), model.layers[1](probe),
                            return_attention_scores=True)
print("attention scores of the first review:", tuple(scores.shape))
print("predicted:", model.predict(x_test[:5], verbose=0).argmax(axis=1), "true:", y_test[:5])
