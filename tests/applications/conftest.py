"""The ``slow`` mark for the few application tests that build a very large model."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: builds a large model (run with -m slow, skip "
                                       "with -m 'not slow')")
