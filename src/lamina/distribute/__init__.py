"""``lamina.distribute``: data-parallel training over MPI, as ``tf.distribute``.

``MultiWorkerMirroredStrategy`` trains one replica per process, started by
``mpiexec -n N python train.py`` (the ``mpi`` extra installs mpi4py and
``mpiexec``); ``docs/scaling.md`` shows how to run it on a cluster. Build and
compile the model inside ``strategy.scope()`` and call ``fit`` as usual.

Example:
    >>> import lamina
    >>> strategy = lamina.distribute.MultiWorkerMirroredStrategy()
    >>> with strategy.scope():
    ...     model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(1)])
    ...     model.compile(optimizer="adam", loss="mse")
    >>> strategy.num_replicas_in_sync
    1
"""

from __future__ import annotations

from lamina.distribute.strategy import (
    MirroredStrategy,
    MultiWorkerMirroredStrategy,
    OneDeviceStrategy,
    Strategy,
    get_strategy,
    has_strategy,
)

__all__ = ["MirroredStrategy", "MultiWorkerMirroredStrategy", "OneDeviceStrategy", "Strategy",
           "get_strategy", "has_strategy"]
