"""One table of bad inputs: each must raise a clear error, never pass silently or leak NumPy.

Every case names the call, the exception type and a regex the message must match: the
argument or layer, what was expected and what arrived (and, where there is one, the fix).
No message may hold a raw NumPy/Python message or a NumPy scalar repr (``np.float64(4.0)``).
The CLI cases run ``lamina.cli.main`` in-process and check its one-line error (exit status 2,
no traceback). ``tools/safety_report.py`` counts this table for the README.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings

import numpy as np
import pytest

import lamina
from lamina import callbacks as C
from lamina import layers as L
from lamina.data import Dataset

RAW = re.compile(
    r"could not convert string|cannot reshape array|operands could not be broadcast|setting an "
    r"array element|inhomogeneous|out of bounds for|Unable to allocate|must provide an itemsize|"
    r"not aligned|output array|invalid literal|unsupported operand|not subscriptable|object has "
    r"no attribute|np\.(?:float|int|str_|bool_)\w*\(|truth value of an array|Traceback|"
    r"\[Errno \d+\]")

X = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
Y = np.ones((20, 1), "float32")
LABELS = np.arange(20) % 3


def model(units=1, activation=None, loss="mse", metrics=None):
    m = lamina.Sequential([lamina.Input((3,)), L.Dense(4, activation="relu"),
                           L.Dense(units, activation=activation)])
    m.compile(optimizer="adam", loss=loss, metrics=metrics)
    return m


def classifier():
    return model(3, "softmax", "sparse_categorical_crossentropy")


def two_inputs():
    a, b = lamina.Input((3,), name="a"), lamina.Input((2,), name="b")
    m = lamina.Model([a, b], L.Dense(1)(L.Concatenate()([a, b])))
    m.compile("adam", "mse")
    return m


def with_nan(a, row=3, col=1, value=np.nan):
    a = a.copy()
    a[row, col] = value
    return a


def fit(m, x, y=Y, **kw):
    return m.fit(x, y, verbose=0, **kw)


def fit_cb(cb, **kw):
    return model().fit(X, Y, epochs=2, verbose=0, callbacks=[cb], **kw)


F32 = "float32"
TEXT = np.array([["a", "b", "c"]] * 20)
RAGGED = [[1.0, 2.0, 3.0], [1.0, 2.0]] * 10

CASES = [
    # -- fit / evaluate / predict: shapes -------------------------------------------------------
    ("fit rank differs (20, 1, 3)", lambda: fit(model(), X[:, None, :]), ValueError,
     r"model 'sequential\w*' expects data of shape \(None, 3\).*received shape \(20, 1, 3\)"
     r".*reshape"),
    ("evaluate rank differs (20, 3, 2)",
     lambda: model().evaluate(np.repeat(X[..., None], 2, -1), Y, verbose=0), ValueError,
     r"expects data of shape \(None, 3\).*received shape \(20, 3, 2\)"),
    ("predict rank differs (20, 1, 3)", lambda: model().predict(X[:, None], verbose=0),
     ValueError, r"expects data of shape \(None, 3\).*\(20, 1, 3\)"),
    ("train_on_batch rank differs", lambda: model().train_on_batch(X[:, None], Y), ValueError,
     r"expects data of shape \(None, 3\).*\(20, 1, 3\)"),
    ("functional rank differs", lambda: fit(functional(), X[:, None]), ValueError,
     r"expects data of shape \(None, 3\).*\(20, 1, 3\)"),
    ("predict 1-D for 3 features", lambda: model().predict(X[:, 0], verbose=0), ValueError,
     r"Dense '\w+' expects inputs with at least 2 dimensions.*\(20,\)"),
    ("fit wrong feature count", lambda: fit(model(), np.zeros((20, 5), F32)), ValueError,
     r"Dense '\w+' expects inputs with last dimension 3 but got shape \(20, 5\)"),
    ("labels (20, 2) for Dense(1)", lambda: fit(model(), X, np.ones((20, 2))), ValueError,
     r"labels y have shape \(20, 2\).*output of model.*layer 'dense\w*'.*\(None, 1\).*Dense\(2\)"),
    ("evaluate labels (20, 2)", lambda: model().evaluate(X, np.ones((20, 2)), verbose=0),
     ValueError, r"labels y have shape \(20, 2\).*\(None, 1\)"),
    ("train_on_batch labels (20, 2)", lambda: model().train_on_batch(X, np.ones((20, 2))),
     ValueError, r"labels y have shape \(20, 2\).*\(None, 1\)"),
    ("test_on_batch labels (20, 4)", lambda: model().test_on_batch(X, np.ones((20, 4))),
     ValueError, r"labels y have shape \(20, 4\).*\(None, 1\)"),
    ("sparse labels as a matrix", lambda: fit(classifier(), X, np.ones((20, 2))), ValueError,
     r"labels y have shape \(20, 2\).*sparse_categorical_crossentropy.*one class id"),
    ("x and y lengths differ", lambda: fit(model(), X, Y[:10]), ValueError,
     r"x has 20 rows, y has 10"),
    ("two inputs, one array", lambda: fit(two_inputs(), X), ValueError,
     r"has 2 inputs \(a \(None, 3\), b \(None, 2\)\) but received 1 array"),
    ("named inputs, wrong keys", lambda: fit(two_inputs(), {"a": X, "c": X[:, :2]}), ValueError,
     r"inputs named \['a', 'b'\].*keys \['a', 'c'\].*missing \['b'\]"),
    # -- values -----------------------------------------------------------------------------------
    ("fit NaN in x", lambda: fit(model(), with_nan(X)), ValueError,
     r"x contains NaN in column 1 \(1 row\).*dropna"),
    ("evaluate NaN in x", lambda: model().evaluate(with_nan(X), Y, verbose=0), ValueError,
     r"x contains NaN in column 1 \(1 row\)"),
    ("evaluate NaN in y", lambda: model().evaluate(X, with_nan(Y, col=0), verbose=0),
     ValueError, r"y contains NaN in column 0"),
    ("fit inf in x", lambda: fit(model(), with_nan(X, value=np.inf)), ValueError,
     r"x contains infinite values in column 1"),
    ("fit inf in y", lambda: fit(model(), X, with_nan(Y, col=0, value=-np.inf)), ValueError,
     r"y contains infinite values"),
    ("fit text array", lambda: fit(model(), TEXT), TypeError,
     r"'x' holds text in columns 0, 1, 2 \(of 3\), e\.g\. 'a'.*needs numbers.*Encode"),
    ("evaluate text array", lambda: model().evaluate(TEXT, Y, verbose=0), TypeError,
     r"'x' holds text.*Encode"),
    ("predict text array", lambda: model().predict(TEXT, verbose=0), TypeError,
     r"'x' holds text.*Encode"),
    ("predict_on_batch text", lambda: model().predict_on_batch(TEXT[:2]), TypeError,
     r"'x' holds text"),
    ("fit one text column in a list", lambda: fit(model(), [[1, "x", 2]] * 20), TypeError,
     r"'x' holds text in column 1 \(of 3\), e\.g\. 'x'"),
    ("fit text labels", lambda: fit(model(), X, np.array(["yes", "no"] * 10)), TypeError,
     r"'y' holds text.*'yes'"),
    ("fit bytes array", lambda: fit(model(), TEXT.astype("S")), TypeError, r"'x' holds text"),
    ("fit object array", lambda: fit(model(), np.array([[1, None, 2]] * 20, dtype=object)),
     TypeError, r"'x' is an array of Python objects \(dtype object\).*numeric"),
    ("fit ragged list", lambda: fit(model(), RAGGED), ValueError,
     r"'x' is a ragged list.*20 elements.*different lengths \(2 to 3 items\).*pad_sequences"),
    ("predict ragged list", lambda: model().predict(RAGGED[:2], verbose=0), ValueError,
     r"'x' is a ragged list.*pad_sequences"),
    ("fit DataFrame with text", lambda: fit(model(), frame_with_text()), TypeError,
     r"'x' DataFrame has non-numeric columns: 'c' \((?:object|str)\)"),
    # -- labels and losses ------------------------------------------------------------------------
    ("evaluate label out of range", lambda: classifier().evaluate(X, np.full(20, 7), verbose=0),
     ValueError, r"class labels run from 7 to 7.*3 units.*classes 0 to 2"),
    ("fit label out of range", lambda: fit(classifier(), X, np.full(20, 5)), ValueError,
     r"class labels run from 5 to 5.*3 units"),
    ("labels 1..K", lambda: fit(classifier(), X, LABELS + 1), ValueError,
     r"labels run from 1 to 3.*Subtract 1"),
    ("sparse non-integer labels", lambda: fit(classifier(), X, np.full(20, 4.5)), ValueError,
     r"non-integer values \(e\.g\. 4\.5\)"),
    ("one-hot with a sparse loss", lambda: fit(classifier(), X, np.eye(3)[LABELS]), ValueError,
     r"one-hot.*sparse_categorical_crossentropy.*argmax"),
    ("integer labels with categorical",
     lambda: fit(model(3, "softmax", "categorical_crossentropy"), X, LABELS), ValueError,
     r"one integer label per sample \(shape \(20,\)\).*categorical_crossentropy.*to_categorical"),
    ("binary labels outside [0, 1]",
     lambda: fit(model(1, "sigmoid", "binary_crossentropy"), X, np.full(20, 4.0)), ValueError,
     r"binary_crossentropy expects labels between 0 and 1.*from 4 to 4"),
    ("fit without labels", lambda: model().fit(X, verbose=0), ValueError, r"fit\(\) needs labels"),
    ("evaluate without labels", lambda: model().evaluate(X, verbose=0), ValueError,
     r"evaluate\(\) needs labels"),
    # -- empty data -------------------------------------------------------------------------------
    ("fit on 0 rows", lambda: fit(model(), np.zeros((0, 3)), np.zeros((0, 1))), ValueError,
     r"fit\(\) received no data \(0 rows\): x has shape \(0, 3\)"),
    ("evaluate on 0 rows", lambda: model().evaluate(np.zeros((0, 3)), np.zeros((0, 1)),
                                                    verbose=0), ValueError,
     r"evaluate\(\) received no data \(0 rows\)"),
    ("predict on 0 rows", lambda: model().predict(np.zeros((0, 3)), verbose=0), ValueError,
     r"predict\(\) received no data \(0 rows\)"),
    # -- sample and class weights -----------------------------------------------------------------
    ("NaN sample_weight", lambda: fit(model(), X, sample_weight=np.full(20, np.nan)), ValueError,
     r"'sample_weight' contains NaN \(20 rows.*finite number.*weight of 0"),
    ("inf sample_weight", lambda: fit(model(), X, sample_weight=with_nan(np.ones((20, 1)), 2, 0,
                                                                           np.inf)), ValueError,
     r"'sample_weight' contains infinite values \(1 row, e\.g\. row 2\)"),
    ("NaN sample_weight in evaluate",
     lambda: model().evaluate(X, Y, sample_weight=np.full(20, np.nan), verbose=0), ValueError,
     r"'sample_weight' contains NaN"),
    ("text sample_weight", lambda: fit(model(), X, sample_weight=np.array(["a"] * 20)),
     TypeError, r"'sample_weight' holds text"),
    ("sample_weight length", lambda: fit(model(), X, sample_weight=np.ones(5)), ValueError,
     r"sample_weight has 5 entries but x has 20 rows"),
    ("class_weight unknown class", lambda: fit(model(), X, class_weight={7: 1.0}), ValueError,
     r"class_weight has keys \[7\] that are not classes of this model.*classes 0 to 1"),
    ("class_weight a list", lambda: fit(model(), X, class_weight=[1, 2]), TypeError,
     r"class_weight must be a dict or 'balanced'; got list"),
    # -- fit's other arguments --------------------------------------------------------------------
    ("batch_size 0", lambda: fit(model(), X, batch_size=0), ValueError,
     r"'batch_size' argument of fit must be a positive integer\. Got 0"),
    ("batch_size as text", lambda: fit(model(), X, batch_size="32"), ValueError,
     r"'batch_size' argument of fit must be a positive integer\. Got '32'"),
    ("batch_size 2.5", lambda: fit(model(), X, batch_size=2.5), ValueError,
     r"'batch_size'.*positive integer\. Got 2\.5"),
    ("batch_size a NumPy integer", lambda: fit(model(), X, batch_size=np.int64(-4)), ValueError,
     r"'batch_size'.*positive integer\. Got -4 instead"),
    ("evaluate batch_size", lambda: model().evaluate(X, Y, batch_size=-3, verbose=0), ValueError,
     r"'batch_size' argument of evaluate must be a positive integer\. Got -3"),
    ("epochs negative", lambda: fit(model(), X, epochs=-1), ValueError,
     r"'epochs' argument of fit must be a non-negative integer\. Got -1"),
    ("epochs as text", lambda: fit(model(), X, epochs="3"), ValueError,
     r"'epochs'.*non-negative integer\. Got '3'"),
    ("initial_epoch as text", lambda: fit(model(), X, initial_epoch="a"), ValueError,
     r"'initial_epoch' argument of fit must be a non-negative integer\. Got 'a'"),
    ("steps_per_epoch negative", lambda: fit(model(), X, steps_per_epoch=-1), ValueError,
     r"'steps_per_epoch' argument of fit must be a positive integer\. Got -1"),
    ("validation_freq 0", lambda: fit(model(), X, validation_freq=0), ValueError,
     r"'validation_freq' argument of fit must be a positive integer\. Got 0"),
    ("predict steps as text", lambda: model().predict(X, steps="a", verbose=0), ValueError,
     r"'steps' argument of predict must be a positive integer\. Got 'a'"),
    ("evaluate steps 0", lambda: model().evaluate(X, Y, steps=0, verbose=0), ValueError,
     r"'steps' argument of evaluate must be a positive integer\. Got 0"),
    ("verbose", lambda: model().fit(X, Y, verbose="loud"), ValueError,
     r"'verbose' argument must be 'auto', 0, 1 or 2\. Got 'loud'"),
    ("unknown fit keyword", lambda: model().fit(X, Y, foo=1), TypeError,
     r"fit\(\) got unexpected keyword arguments: \['foo'\]"),
    ("validation_split 1.5", lambda: fit(model(), X, validation_split=1.5), ValueError,
     r"'validation_split' argument of fit must be in \[0, 1\)\. Got 1\.5"),
    ("validation_split as text", lambda: fit(model(), X, validation_split="0.2"), ValueError,
     r"'validation_split'.*number in \[0, 1\)\. Got '0\.2'"),
    ("validation_split leaves nothing", lambda: fit(model(), X[:1], Y[:1], validation_split=0.5),
     ValueError, r"validation_split=0\.5 leaves no rows for training with 1 samples"),
    ("validation_data wrong features",
     lambda: fit(model(), X, validation_data=(np.ones((5, 8)), np.ones((5, 1)))), ValueError,
     r"validation_data \(x_val \(5, 8\), y_val \(5, 1\)\).*last dimension 3 but got shape "
     r"\(5, 8\)"),
    ("validation_data an array", lambda: fit(model(), X, validation_data=X), ValueError,
     r"validation_data must be a tuple \(x_val, y_val\).*got ndarray of length 20"),
    ("validation_data lengths", lambda: fit(model(), X, validation_data=(X, Y[:5])), ValueError,
     r"validation_data \(x_val \(20, 3\), y_val \(5, 1\)\).*x has 20 rows, y has 5"),
    ("validation_data NaN", lambda: fit(model(), X, validation_data=(with_nan(X), Y)),
     ValueError, r"validation_data.*x contains NaN in column 1"),
    ("validation_data wrong labels", lambda: fit(model(), X, validation_data=(X, np.ones((20, 2)))),
     ValueError, r"validation_data.*labels y have shape \(20, 2\)"),
    ("fit before compile", lambda: lamina.Sequential([lamina.Input((3,)), L.Dense(1)]).fit(X, Y),
     RuntimeError, r"must call compile\(\) before fit\(\)"),
    # -- compile ----------------------------------------------------------------------------------
    ("unknown loss", lambda: model(loss="nope"), ValueError, r"Unknown loss 'nope'\. Valid names"),
    ("unknown optimizer", lambda: model().compile("nope", "mse"), ValueError,
     r"Unknown optimizer 'nope'\. Valid names: 'adadelta'"),
    ("unknown metric", lambda: fit(model(metrics=["acuracy"]), X), ValueError,
     r"Unknown metric 'acuracy'.*Did you mean 'accuracy'"),
    # -- memory -----------------------------------------------------------------------------------
    ("Dense(10**12)", lambda: lamina.Sequential([lamina.Input((3,)), L.Dense(10**12)]),
     MemoryError, r"weight 'kernel' of Dense '\w+' \(shape \(3, 1000000000000\).*TiB.*would "
     r"need.*refused before allocating.*units"),
    ("Conv2D of 10**9 filters",
     lambda: L.Conv2D(10**9, 3).build((None, 8, 8, 64)), MemoryError,
     r"weight 'kernel' of Conv2D '\w+' \(shape \(3, 3, 64, 1000000000\)"),
    ("Embedding of 10**12 rows", lambda: L.Embedding(10**12, 8).build((None, 4)), MemoryError,
     r"Embedding '\w+'.*would need.*input_dim"),
    ("predict batch too large", lambda: wide_model().predict(BIG, batch_size=10**7, verbose=0),
     MemoryError, r"batch of 10,000,000 samples in predict\(\).*would need.*GiB.*smaller "
     r"batch_size"),
    ("fit batch too large", lambda: wide_model().fit(BIG, BIG_Y, batch_size=10**7, verbose=0,
                                                     shuffle=False), MemoryError,
     r"batch of 10,000,000 samples in fit\(\).*kept for the gradients.*smaller batch_size"),
    # -- callbacks --------------------------------------------------------------------------------
    ("EarlyStopping monitor missing", lambda: fit_cb(C.EarlyStopping(monitor="los")),
     ValueError, r"EarlyStopping is monitoring 'los', which is not in the logs.*'loss'"),
    ("EarlyStopping mode (warns)", lambda: C.EarlyStopping(mode="bad"), UserWarning,
     r"EarlyStopping mode 'bad' is unknown.*'auto'"),
    ("ModelCheckpoint save_freq", lambda: C.ModelCheckpoint("m.keras", save_freq="bad"),
     ValueError, r"'save_freq' argument of ModelCheckpoint must be 'epoch' or a positive number"),
    ("ModelCheckpoint extension", lambda: C.ModelCheckpoint("m.txt"), ValueError,
     r"ModelCheckpoint saves whole models as '\.keras' files.*m\.txt"),
    ("ModelCheckpoint weights name", lambda: C.ModelCheckpoint("m.keras", save_weights_only=True),
     ValueError, r"save_weights_only=True the filepath must end in '\.weights\.h5'"),
    ("ReduceLROnPlateau factor", lambda: C.ReduceLROnPlateau(factor=1.5), ValueError,
     r"ReduceLROnPlateau does not support a factor >= 1\.0.*factor=1\.5"),
    ("LearningRateScheduler not callable", lambda: fit_cb(C.LearningRateScheduler(5)),
     TypeError, r"LearningRateScheduler's 'schedule' must be a function.*got int 5"),
    ("CSVLogger on a folder", lambda: fit_cb(C.CSVLogger(os.getcwd())), IsADirectoryError,
     r"CSVLogger's filename .* is an existing folder; give a file name"),
    ("BackupAndRestore without a folder", lambda: C.BackupAndRestore(None), ValueError,
     r"'backup_dir' argument of BackupAndRestore must be a folder path\. Got None"),
    ("callbacks holds a non-callback", lambda: fit_cb(object()), TypeError,
     r"callbacks must be a list of lamina\.callbacks\.Callback instances.*LambdaCallback"),
    # -- layer constructors -----------------------------------------------------------------------
    ("Dense units 0", lambda: L.Dense(0), ValueError,
     r"'units' argument of Dense must be a positive integer.*Got units=0"),
    ("Dense units text", lambda: L.Dense("10"), ValueError, r"'units'.*Dense.*Got units='10'"),
    ("Dense units 2.5", lambda: L.Dense(2.5), ValueError, r"'units'.*Dense.*Got units=2\.5"),
    ("Dense activation", lambda: L.Dense(2, activation="relux"), ValueError,
     r"Unknown activation 'relux'.*Did you mean 'relu'"),
    ("Dense initializer", lambda: L.Dense(2, kernel_initializer="glorot"), ValueError,
     r"Unknown initializer 'glorot'\. Valid names"),
    ("Dense regularizer", lambda: L.Dense(2, kernel_regularizer="l3"), ValueError,
     r"Unknown regularizer 'l3'\. Valid names"),
    ("Conv2D filters 0", lambda: L.Conv2D(0, 3), ValueError,
     r"Conv2D: `filters` must be a positive integer.*got filters=0"),
    ("Conv2D kernel_size 0", lambda: L.Conv2D(2, 0), ValueError,
     r"Conv2D: `kernel_size` must be > 0; got 0"),
    ("Conv2D padding", lambda: L.Conv2D(2, 3, padding="full"), ValueError,
     r"Conv2D: `padding` must be one of \('valid', 'same'\); got 'full'"),
    ("Conv2D strides text", lambda: L.Conv2D(2, 3, strides="x"), ValueError,
     r"Conv2D: `strides` must be an int or 2 ints; got 'x'"),
    ("Conv2D data_format", lambda: L.Conv2D(2, 3, data_format="nchw"), ValueError,
     r"Conv2D: `data_format` must be 'channels_last' or 'channels_first'; got 'nchw'"),
    ("Conv2D kernel_size 2.5", lambda: L.Conv2D(2, (2.5, 2)), ValueError,
     r"Conv2D: `kernel_size` must be an int or 2 ints; got \(2\.5, 2\)"),
    ("Embedding input_dim 0", lambda: L.Embedding(0, 4), ValueError,
     r"Embedding: `input_dim` must be a positive integer; got 0"),
    ("Embedding output_dim -1", lambda: L.Embedding(10, -1), ValueError,
     r"Embedding: `output_dim` must be a positive integer; got -1"),
    ("Dropout rate 1.5", lambda: L.Dropout(1.5), ValueError,
     r"'rate' argument of Dropout must be a number in \[0, 1\).*Got rate=1\.5"),
    ("Dropout rate text", lambda: L.Dropout("a"), ValueError, r"'rate'.*Dropout.*Got rate='a'"),
    ("Dropout noise_shape", lambda: L.Dropout(0.5, noise_shape="x"), ValueError,
     r"'noise_shape' argument of Dropout must be a tuple of integers or None"),
    ("SpatialDropout2D rate", lambda: L.SpatialDropout2D(2.0), ValueError,
     r"'rate' argument of SpatialDropout2D.*Got rate=2\.0"),
    ("GaussianNoise stddev", lambda: L.GaussianNoise(-1), ValueError,
     r"'stddev' argument of GaussianNoise must be a finite number >= 0.*Got stddev=-1"),
    ("BatchNormalization momentum", lambda: L.BatchNormalization(momentum="x"), ValueError,
     r"'momentum' argument of BatchNormalization must be a number in \[0, 1\]"),
    ("BatchNormalization epsilon", lambda: L.BatchNormalization(epsilon=-1), ValueError,
     r"'epsilon' argument of BatchNormalization must be a positive number.*Got epsilon=-1"),
    ("MaxPooling2D pool_size 0", lambda: L.MaxPooling2D(0), ValueError,
     r"MaxPooling2D: `pool_size` must be > 0; got 0"),
    ("MaxPooling2D pool_size text", lambda: L.MaxPooling2D("ab"), ValueError,
     r"MaxPooling2D: `pool_size` must be an int or 2 ints; got 'ab'"),
    ("AveragePooling1D strides 0", lambda: L.AveragePooling1D(2, strides=0), ValueError,
     r"AveragePooling1D: `strides` must be > 0; got 0"),
    ("MaxPooling2D padding", lambda: L.MaxPooling2D(padding="full"), ValueError,
     r"MaxPooling2D: `padding` must be one of"),
    ("Reshape two -1", lambda: L.Reshape((-1, -1)), ValueError,
     r"'target_shape' argument of Reshape may contain -1 at most once"),
    ("Reshape target text", lambda: L.Reshape("abc"), ValueError,
     r"Reshape: `target_shape` must be a list or tuple of integers; got 'abc' \(str\)"),
    ("Flatten data_format", lambda: L.Flatten(data_format="x"), ValueError,
     r"'data_format' argument of Flatten must be 'channels_last' or 'channels_first'"),
    ("Concatenate axis text", lambda: L.Concatenate(axis="x"), ValueError,
     r"Concatenate: `axis` must be an integer; got 'x' \(str\)"),
    ("Dot axes text", lambda: L.Dot(axes="ab"), ValueError,
     r"Dot: `axes` must be a list or tuple of integers; got 'ab'"),
    ("LeakyReLU slope", lambda: L.LeakyReLU(-1), ValueError,
     r"LeakyReLU: `negative_slope` must be a number >= 0; got negative_slope=-1"),
    ("ReLU max_value text", lambda: L.ReLU(max_value="x"), ValueError,
     r"ReLU: `max_value` must be a number >= 0; got max_value='x'"),
    ("ZeroPadding2D padding", lambda: L.ZeroPadding2D(padding="x"), ValueError,
     r"ZeroPadding2D: `padding` must be an int, 2 ints or 2 \(before, after\) pairs; got 'x'"),
    ("UpSampling2D size 0", lambda: L.UpSampling2D(size=0), ValueError,
     r"UpSampling2D: `size` must be > 0; got 0"),
    ("Rescaling scale", lambda: L.Rescaling(scale="x"), ValueError,
     r"'scale' argument of Rescaling must be a number.*Got scale='x'"),
    ("Resizing height", lambda: L.Resizing(0, 5), ValueError,
     r"'height' argument of Resizing must be a positive integer.*Got height=0"),
    ("RandomFlip mode", lambda: L.RandomFlip("diagonal"), ValueError,
     r"'mode' argument of RandomFlip must be one of.*Got mode='diagonal'"),
    ("LSTM units 0", lambda: L.LSTM(0), ValueError,
     r"'units' argument of LSTMCell must be a positive integer.*Got units=0"),
    ("MultiHeadAttention heads", lambda: L.MultiHeadAttention(num_heads=0, key_dim=2),
     ValueError, r"'num_heads' argument of MultiHeadAttention must be a positive integer"),
    ("Input shape text", lambda: lamina.Input(shape="abc"), ValueError,
     r"Input: `shape` must be a tuple of integers.*got 'abc'"),
    ("Input negative size", lambda: lamina.Input(shape=(-1,)), ValueError,
     r"Input: `shape` must be a tuple of non-negative integers.*got \(-1,\)"),
    ("Activation name", lambda: L.Activation("sigmoidd"), ValueError,
     r"Unknown activation 'sigmoidd'.*Did you mean 'sigmoid'"),
    # -- layer calls ------------------------------------------------------------------------------
    ("Dense call, wrong features", lambda: built(L.Dense(2), (None, 3))(np.zeros((2, 5), F32)),
     ValueError, r"Dense '\w+' expects inputs with last dimension 3 but got shape \(2, 5\)"),
    ("Conv2D call on 3-D input", lambda: L.Conv2D(2, 3)(np.zeros((2, 5, 5), F32)), ValueError,
     r"Conv2D '\w+' expects inputs of shape \(batch, height, width, channels\).*\(2, 5, 5\)"
     r".*x\[\.\.\., None\]"),
    ("Conv2D window too large", lambda: L.Conv2D(2, 5)(np.zeros((1, 3, 3, 1), F32)), ValueError,
     r"Conv2D '\w+': the window \(5, 5\) is larger than the input.*padding='same'"),
    ("Embedding id too large", lambda: L.Embedding(5, 2)(np.array([[7]])), ValueError,
     r"Embedding '\w+' got the token id 7, but input_dim=5 allows ids 0\.\.4"),
    ("BatchNormalization axis", lambda: L.BatchNormalization(axis=5)(np.zeros((2, 3), F32)),
     ValueError, r"BatchNormalization '\w+' normalizes along axis=5.*shape \(2, 3\).*axis=-1"),
    ("LayerNormalization axis", lambda: L.LayerNormalization(axis=4)(np.zeros((2, 3), F32)),
     ValueError, r"LayerNormalization '\w+' normalizes along axis=4"),
    ("MaxPooling2D call on 2-D", lambda: L.MaxPooling2D()(np.zeros((2, 3), F32)), ValueError,
     r"MaxPooling2D '\w+' expects inputs of shape \(batch, height, width, channels\).*\(2, 3\)"),
    ("GlobalAveragePooling2D on 2-D", lambda: L.GlobalAveragePooling2D()(np.zeros((2, 3), F32)),
     ValueError, r"GlobalAveragePooling2D '\w+' expects inputs of shape.*\(2, 3\)"),
    ("Reshape call, wrong size", lambda: L.Reshape((5,))(np.zeros((2, 3), F32)), ValueError,
     r"Reshape '\w+' cannot reshape samples of shape \(3,\) \(3 values\) to \(5,\)"),
    ("Concatenate mismatched", lambda: L.Concatenate()([np.zeros((2, 3), F32),
                                                        np.zeros((3, 3), F32)]), ValueError,
     r"Concatenate '\w+': the inputs must match on every axis but.*\(2, 3\), \(3, 3\)"),
    ("Add mismatched", lambda: L.Add()([np.zeros((2, 3), F32), np.zeros((2, 4), F32)]),
     ValueError, r"Add '\w+': the inputs' shapes cannot be merged.*\(2, 3\), \(2, 4\)"),
    ("Dot on one input", lambda: L.Dot(1)(np.zeros((2, 3), F32)), ValueError,
     r"Dot '\w+' takes a list of exactly two inputs"),
    ("Softmax axis out of range", lambda: L.Softmax(axis=3)(np.zeros((2, 3), F32)), ValueError,
     r"Softmax '\w+': axis=3 does not fit inputs of shape \(2, 3\) \(valid axes: -2 to 1\)"),
    ("Cropping2D crops everything", lambda: L.Cropping2D(5)(np.zeros((1, 4, 4, 1), F32)),
     ValueError, r"Cropping2D '\w+': cropping \(\(5, 5\), \(5, 5\)\) leaves nothing.*\(1, 4, 4, 1\)"),
    ("Normalization axis", lambda: L.Normalization(axis=5)(np.zeros((2, 3), F32)), ValueError,
     r"Normalization '\w+' keeps axis=\(5,\), but its inputs of shape \(2, 3\)"),
    # -- data adapters and datasets ---------------------------------------------------------------
    ("Dataset lengths differ", lambda: Dataset.from_tensor_slices((np.zeros(5), np.zeros(4))),
     ValueError, r"from_tensor_slices: the components have different first dimensions.*5.*4"),
    ("Dataset.batch 0", lambda: Dataset.from_tensor_slices(np.zeros(5)).batch(0), ValueError,
     r"'batch_size' argument of Dataset\.batch must be a positive integer\. Got 0"),
    ("Dataset.take text", lambda: Dataset.from_tensor_slices(np.zeros(5)).take("x"), TypeError,
     r"'count' argument of Dataset\.take must be an integer\. Got 'x'"),
    ("Dataset.shuffle 0", lambda: Dataset.from_tensor_slices(np.zeros(5)).shuffle(0), ValueError,
     r"'buffer_size' argument of Dataset\.shuffle must be a positive integer\. Got 0"),
    ("Dataset.map not a function", lambda: Dataset.from_tensor_slices(np.zeros(5)).map(5),
     TypeError, r"Dataset\.map needs a function; got int 5"),
    ("Dataset ragged list", lambda: Dataset.from_tensor_slices([[1, 2], [1]]), ValueError,
     r"ragged list.*different lengths \(2, 1\).*pad_sequences"),
    ("Dataset with batch_size", lambda: model().fit(Dataset.from_tensor_slices((X, Y)).batch(4),
                                                    batch_size=8, verbose=0), ValueError,
     r"batch_size=8 was given with a Dataset.*\.batch\(n\)"),
    ("generator with y", lambda: model().fit(iter([(X, Y)]), Y, verbose=0), ValueError,
     r"When x is a generator or PyDataset it must yield the labels too"),
    ("empty generator", lambda: model().fit(iter([]), verbose=0), ValueError,
     r"generator passed to fit/evaluate yielded no batches"),
    ("generator with validation_split",
     lambda: model().fit(iter([(X, Y)]), validation_split=0.2, verbose=0), ValueError,
     r"validation_split is not available when x is a generator.*validation_data"),
    ("generator with sample_weight",
     lambda: model().fit(iter([(X, Y)]), sample_weight=np.ones(20), verbose=0), ValueError,
     r"sample_weight cannot be given with a generator.*yield \(x, y, sample_weight\)"),
    ("pad_sequences padding", lambda: lamina.utils.pad_sequences([[1]], padding="middle"),
     ValueError, r"pad_sequences: 'padding' must be 'pre' or 'post'; got 'middle'"),
    ("pad_sequences not sequences", lambda: lamina.utils.pad_sequences([[1], 5]), ValueError,
     r"pad_sequences: 'sequences' must hold sequences, but element 1 is int 5"),
]


def functional():
    i = lamina.Input((3,))
    m = lamina.Model(i, L.Dense(1)(L.Dense(4)(i)))
    m.compile("adam", "mse")
    return m


def built(layer, shape):
    layer.build(shape)
    return layer


def frame_with_text():
    pd = pytest.importorskip("pandas")
    return pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": ["x"] * 20})


# A (10**7, 10) input that takes no memory, for the batch-size cases.
BIG = np.broadcast_to(np.zeros(1, F32), (10**7, 10))
BIG_Y = np.broadcast_to(np.zeros(1, F32), (10**7, 1))


def wide_model():
    m = lamina.Sequential([lamina.Input((10,)), L.Dense(10_000), L.Dense(1)])
    m.compile("adam", "mse")
    return m


def _check(exc_type, pattern, fn):
    if issubclass(exc_type, Warning):
        with pytest.warns(exc_type) as record:
            fn()
        message = "\n".join(str(w.message) for w in record)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(exc_type) as info:
                fn()
        message = str(info.value)
    assert re.search(pattern, message, re.S), f"message does not match {pattern!r}:\n{message}"
    raw = RAW.search(message)
    assert raw is None, f"raw library text {raw.group(0)!r} in: {message}"


@pytest.mark.parametrize("name, fn, exc_type, pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_explained(name, fn, exc_type, pattern, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _check(exc_type, pattern, fn)


# -- the command line ---------------------------------------------------------------------------


def _csv(folder, name, text, encoding="utf-8"):
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    from lamina.cli import main

    folder = str(tmp_path_factory.mktemp("cli"))
    rows = "\n".join(f"{i},{i % 5},{2 * i + 1}" for i in range(30))
    files = {
        "ok": _csv(folder, "ok.csv", f"a,b,y\n{rows}\n"),
        "ragged": _csv(folder, "ragged.csv", "a,b,y\n1,2,3\n2,3\n"),
        "latin1": _csv(folder, "latin1.csv", b"a,b,y\n1,2,3\n\xe9t\xe9,3,4\n"),
        "empty": _csv(folder, "empty.csv", ""),
        "inf_train": _csv(folder, "inf_train.csv", "a,b,y\n1,inf,3\n2,3,4\n3,4,5\n"),
        "inf": _csv(folder, "inf.csv", "a,b\n1,inf\n"),
        "blank": _csv(folder, "blank.csv", "a,b\n1,\n"),
        "folder": folder,
    }
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = main(["train", files["ok"], "--target", "y", "--out",
                       os.path.join(folder, "m"), "--epochs", "1", "--verbose", "0"])
    assert status == 0
    files["model"] = os.path.join(folder, "m", "model.keras")
    return files


CLI_CASES = [
    ("train: missing target column", lambda f: ["train", f["ok"], "--target", "price"],
     r"has no column 'price'; its columns are: a, b, y"),
    ("train: empty file", lambda f: ["train", f["empty"], "--target", "y"],
     r"empty\.csv is empty.*header line"),
    ("train: ragged CSV", lambda f: ["train", f["ragged"], "--target", "y"],
     r"line 3 of .*ragged\.csv has 2 fields but the header has 3"),
    ("train: not UTF-8", lambda f: ["train", f["latin1"], "--target", "y"],
     r"latin1\.csv is not UTF-8 text.*iconv"),
    ("train: inf names the column", lambda f: ["train", f["inf_train"], "--target", "y"],
     r"column 'b' of .*inf_train\.csv holds an infinite value \(inf\) on line 2"),
    ("train: no such file", lambda f: ["train", os.path.join(f["folder"], "nope.csv"),
                                       "--target", "y"], r"there is no file '.*nope\.csv'"),
    ("predict: inf", lambda f: ["predict", f["model"], f["inf"]],
     r"column 'b' of .*inf\.csv holds an infinite value"),
    ("predict: blank cell, no --drop advice", lambda f: ["predict", f["model"], f["blank"]],
     r"column 'b' of .*blank\.csv has 1 missing value(?!.*--drop)"),
    ("predict: --out is a folder", lambda f: ["predict", f["model"], f["ok"], "--out",
                                              f["folder"]], r"--out '.*' is a folder; give a file"),
    ("predict: --out in a missing folder",
     lambda f: ["predict", f["model"], f["ok"], "--out", os.path.join(f["folder"], "no", "p.csv")],
     r"the folder '.*no' does not exist"),
    ("predict: empty file", lambda f: ["predict", f["model"], f["empty"]], r"empty\.csv is empty"),
    ("predict: no such model", lambda f: ["predict", os.path.join(f["folder"], "x.keras"),
                                          f["ok"]], r"there is no model file '.*x\.keras'"),
    ("summary: not a model", lambda f: ["summary", f["ok"]],
     r"could not load the model '.*ok\.csv'.*lamina loads '\.keras'"),
]


@pytest.mark.parametrize("name, argv, pattern", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_clear_line(name, argv, pattern, cli_files):
    from lamina.cli import main

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(argv(cli_files))
    message = err.getvalue()
    assert status == 2, message
    assert re.search(pattern, message, re.S), f"{pattern!r} not in:\n{message}"
    assert RAW.search(message) is None, message


def test_a_training_run_that_fails_on_its_data_leaves_no_output_folder(cli_files, tmp_path,
                                                                        monkeypatch):
    from lamina.cli import main

    monkeypatch.chdir(tmp_path)  # (where the default <DATA>-model folder would go)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["train", cli_files["inf_train"], "--target", "y"]) == 2
        assert main(["train", cli_files["ok"], "--target", "nope"]) == 2
    assert os.listdir(tmp_path) == []


def case_count() -> int:
    """How many bad inputs this table tries (for tools/safety_report.py)."""
    return len(CASES) + len(CLI_CASES)
