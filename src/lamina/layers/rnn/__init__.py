"""The recurrent layers: cells, the ``RNN`` that runs a cell over a sequence, and its wrappers.

``rnn.py`` is the loop (the fused primitive for lamina's cells, ``lamina.ops`` steps for any
other cell); ``lstm.py``, ``gru.py``, ``simple_rnn.py`` each hold a cell and its layer;
``conv_lstm.py`` the convolutional LSTMs; ``stacked_rnn_cells.py``, ``bidirectional.py`` and ``time_distributed.py`` the wrappers;
``dropout_rnn_cell.py`` the per-sequence dropout masks the cells share.
"""

from lamina.layers.rnn.bidirectional import Bidirectional
from lamina.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from lamina.layers.rnn.gru import GRU, GRUCell
from lamina.layers.rnn.lstm import LSTM, LSTMCell
from lamina.layers.rnn.rnn import RNN
from lamina.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from lamina.layers.rnn.stacked_rnn_cells import StackedRNNCells
from lamina.layers.rnn.time_distributed import TimeDistributed

__all__ = ["GRU", "LSTM", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
           "GRUCell", "LSTMCell", "SimpleRNN",
           "SimpleRNNCell", "StackedRNNCells", "TimeDistributed"]
