"""A sentiment classifier on raw text: TextVectorization -> Embedding -> average -> Dense.

The corpus is generated (no download): short reviews built from positive and negative
phrases with neutral filler, labelled 1 (positive) or 0 (negative), 5% of them wrongly. The recipe is Keras's
"text classification from scratch" scaled down: adapt the vectorizer on the training
texts, vectorize in the data pipeline for training, then put the vectorizer in front of
the trained layers to get a model that reads raw strings.

Run: python examples/sentiment.py      (or: lamina run examples/sentiment.py)
"""

import numpy as np

import lamina as keras
import lamina.data
from lamina import layers

POSITIVE = ["great", "wonderful", "loved it", "brilliant acting", "a joy", "superb",
            "moving story", "highly recommended", "fantastic", "delightful"]
NEGATIVE = ["awful", "boring", "hated it", "terrible acting", "a mess", "dull",
            "weak story", "not recommended", "painful", "disappointing"]
FILLER = ["the film", "this movie", "the plot", "honestly", "overall", "the cast", "it was",
          "i think", "the ending", "really"]


def make_reviews(n, rng):
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(2))
        words = list(rng.choice(FILLER, size=3))
        words += list(rng.choice(POSITIVE if label else NEGATIVE, size=2))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + rng.choice([".", "!", "..."]))
        labels.append(label if rng.random() > 0.05 else 1 - label)  # 5% mislabelled
    return np.array(texts), np.array(labels, dtype="float32")


keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x_train, y_train = make_reviews(800, rng)
x_test, y_test = make_reviews(200, rng)
print("example review:", x_train[0], "->", int(y_train[0]))

vectorize = layers.TextVectorization(max_tokens=200, output_sequence_length=12)
vectorize.adapt(x_train)
print("vocabulary size:", vectorize.vocabulary_size(), "first tokens:",
      vectorize.get_vocabulary()[:6])

train = keras.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(800, seed=0)
train = train.batch(32).map(lambda text, label: (vectorize(text), label))
test = keras.data.Dataset.from_tensor_slices((x_test, y_test)).batch(64).map(
    lambda text, label: (vectorize(text), label))

model = keras.Sequential([
    keras.Input(shape=(12,), dtype="int64"),
    layers.Embedding(200, 16),
    layers.GlobalAveragePooling1D(),
    layers.Dense(1, activation="sigmoid"),
])
model.summary()
model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy",
              metrics=["accuracy"])
model.fit(train, epochs=8, verbose=2)
loss, accuracy = model.evaluate(test, verbose=0)
print(f"test accuracy: {accuracy:.3f}")

# End to end: the vectorizer in front of the trained layers, so the model reads strings.
raw = keras.Input(shape=(1,), dtype="string")
end_to_end = keras.Model(raw, model(vectorize(raw)))
samples = np.array([["What a wonderful film, highly recommended!"],
                    ["Boring plot and terrible acting."]])
for text, p in zip(samples[:, 0], end_to_end(samples).numpy()[:, 0]):
    print(f"predicted: {p:.2f} positive for '{text}'")
