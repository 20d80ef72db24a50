"""numpyflow/autograd/grad_mode.py: no_grad, enable_grad, set_grad_enabled, inference_mode."""

import threading

import numpyflow as nf


def _records():
    x = nf.ones(2, requires_grad=True)
    return (x * 2).requires_grad


def test_no_grad_as_context_manager_and_decorator():
    with nf.no_grad():
        assert not _records() and not nf.is_grad_enabled()
    assert _records()

    @nf.no_grad()
    def f():
        return _records()

    assert f() is False and nf.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    with nf.no_grad():
        with nf.enable_grad():
            assert _records()
        assert not _records()

        @nf.enable_grad()
        def g():
            return _records()

        assert g() is True


def test_set_grad_enabled_as_call_context_and_decorator():
    nf.set_grad_enabled(False)
    try:
        assert not _records()
    finally:
        nf.set_grad_enabled(True)
    assert _records()
    with nf.set_grad_enabled(False):
        assert not _records()
    assert _records()

    @nf.set_grad_enabled(False)
    def h():
        return _records()

    assert nf.is_grad_enabled()  # decorating switches nothing
    assert h() is False and nf.is_grad_enabled()


def test_inference_mode():
    with nf.inference_mode():
        assert not _records() and nf.is_inference_mode_enabled()
    assert not nf.is_inference_mode_enabled()
    with nf.inference_mode(False):
        assert _records()


def test_modes_restore_after_exceptions_and_nest_in_recursion():
    try:
        with nf.no_grad():
            raise ValueError
    except ValueError:
        pass
    assert nf.is_grad_enabled()

    @nf.no_grad()
    def depth(n):
        return depth(n - 1) if n else nf.is_grad_enabled()

    assert depth(5) is False and nf.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with nf.no_grad():
        t = threading.Thread(target=lambda: seen.append(nf.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]
