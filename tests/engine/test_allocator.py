"""The engine fixes glibc's allocator policy once: when, with what, and when it keeps out."""

import pytest

from lamina.engine import allocator as memory


class FakeGlibc:
    def __init__(self, accept=True):
        self.calls, self.accept = [], accept

    def gnu_get_libc_version(self):
        return b"2.39"

    def mallopt(self, parameter, value):
        self.calls.append((parameter, value))
        return 1 if self.accept else 0


WANT = [(memory.M_MMAP_THRESHOLD, 32 * 2**20), (memory.M_TRIM_THRESHOLD, 256 * 2**20)]


def test_glibc_on_linux_gets_both_thresholds():
    libc = FakeGlibc()
    assert memory.keep_freed_memory(libc, {}, "linux") == WANT
    assert libc.calls == WANT


@pytest.mark.parametrize("environ", [
    {"LAMINA_MALLOC_TUNING": "0"},  # the opt-out
    {"MALLOC_MMAP_THRESHOLD_": "131072"},  # glibc's own tunables: the user's choice stands
    {"MALLOC_TRIM_THRESHOLD_": "0"},
    {"MALLOC_TOP_PAD_": "0"},
    {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"},
])
def test_the_users_settings_and_the_opt_out_are_left_alone(environ):
    libc = FakeGlibc()
    assert memory.keep_freed_memory(libc, environ, "linux") == []
    assert libc.calls == []


def test_other_systems_and_other_c_libraries_are_left_alone():
    assert memory.keep_freed_memory(FakeGlibc(), {}, "darwin") == []

    class Musl:
        def mallopt(self, parameter, value):
            raise AssertionError("musl's mallopt must not be called")

    assert memory.keep_freed_memory(Musl(), {}, "linux") == []


def test_a_refused_setting_is_not_reported_as_set():
    assert memory.keep_freed_memory(FakeGlibc(accept=False), {}, "linux") == []


def test_compiling_a_plan_has_applied_it_once_for_the_process():
    import numpy as np

    import lamina

    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
    model.compile("sgd", "mse")
    for _ in range(3):  # (the engine compiles its plan within the first calls)
        model.train_on_batch(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"))
    assert memory._done == [True]
    assert memory.keep_freed_memory() == []  # (a second call does nothing)
