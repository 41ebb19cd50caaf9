"""Text and categorical preprocessing layers: lookups, text vectorization, hashing, buckets.

They compute on the host (strings and dictionaries are not array arithmetic):
each call is one ``host`` step, so a traced model replays it with each batch.
"""

from lamina.layers.text_preprocessing.discretization import Discretization
from lamina.layers.text_preprocessing.encoding import CategoryEncoding
from lamina.layers.text_preprocessing.hashed_crossing import HashedCrossing
from lamina.layers.text_preprocessing.hashing import Hashing
from lamina.layers.text_preprocessing.lookups import IntegerLookup, StringLookup
from lamina.layers.text_preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "Discretization", "HashedCrossing", "Hashing", "IntegerLookup", "StringLookup",
           "TextVectorization"]
