"""BLAS threads chosen per problem (rnnviz.runtime): through threadpoolctl, restored afterwards,
one thread for products too small to split, otherwise the count whose steps were faster.

The choice is tested on given step times, never on measured ones (timing is the bench's job).
"""

from __future__ import annotations

import pytest

from rnnviz import runtime
from rnnviz.runtime import PROBE_EVERY, PROBE_STEPS, SPLIT_FLOPS, StepThreads

needs_control = pytest.mark.skipif(not runtime.thread_control_available(),
                                   reason="numpy's BLAS here offers threadpoolctl no thread control")
pytestmark = pytest.mark.usefixtures("default_blas_threads")  # the library's count, not the suite's one


@pytest.fixture
def no_user_choice(monkeypatch):
    for name in runtime.USER_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@needs_control
def test_blas_threads_sets_and_restores_the_count():
    before = runtime.blas_thread_count()
    with runtime.blas_threads(1):
        assert runtime.blas_thread_count() == 1
    assert runtime.blas_thread_count() == before
    with runtime.blas_threads(None):
        assert runtime.blas_thread_count() == before
    assert "threads" in runtime.describe_blas()


@needs_control
def test_the_window_takes_one_blas_thread_only_when_the_user_chose_none(monkeypatch, no_user_choice):
    with runtime.blas_threads(2):  # restores the suite's count afterwards
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
        assert runtime.one_thread_for_the_window() is False
        assert runtime.blas_thread_count() == 2
        monkeypatch.delenv("OPENBLAS_NUM_THREADS")
        assert runtime.one_thread_for_the_window() is True
        assert runtime.blas_thread_count() == 1


def run_steps(choice: StepThreads, seconds_on: dict[int, float], steps: int) -> list[int]:
    """Counts used by ``steps`` steps whose time depends only on the count."""
    used = []
    for _ in range(steps):
        used.append(choice.current)
        choice.after_step(seconds_on[choice.current])
    return used


def test_products_too_small_to_split_always_get_one_thread(no_user_choice):
    choice = StepThreads(SPLIT_FLOPS / 2, most=2)
    assert choice.candidates == (1,) and not choice.probing
    assert set(run_steps(choice, {1: 0.01, 2: 0.001}, PROBE_EVERY + 10)) == {1}
    assert "too small" in choice.describe()


@pytest.mark.parametrize("faster", [1, 2])
def test_large_products_get_the_count_whose_steps_were_faster(faster, no_user_choice):
    choice = StepThreads(SPLIT_FLOPS * 10, most=2)
    assert choice.candidates == (2, 1) and choice.probing
    times = {faster: 0.010, 3 - faster: 0.025}
    probe = 2 * (PROBE_STEPS + 1)
    used = run_steps(choice, times, probe)
    assert used == [2] * (PROBE_STEPS + 1) + [1] * (PROBE_STEPS + 1)  # each count: one warm-up, then timed
    assert not choice.probing and choice.current == faster
    # steady until the next probe, which measures again: the load may have changed
    assert set(run_steps(choice, times, PROBE_EVERY)) == {faster}
    assert choice.probing
    slower_now = {faster: 0.05, 3 - faster: 0.02}
    run_steps(choice, slower_now, probe)
    assert choice.current == 3 - faster


def test_the_first_step_on_each_count_is_not_counted(no_user_choice):
    choice = StepThreads(SPLIT_FLOPS * 10, most=2)
    # a slow first step on 2 threads (warming up) must not make 1 thread win
    for seconds in [9.0] + [0.01] * PROBE_STEPS + [0.02] * (PROBE_STEPS + 1):
        choice.after_step(seconds)
    assert choice.current == 2


def test_a_count_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    choice = StepThreads(SPLIT_FLOPS * 10, most=2)
    assert len(choice.candidates) == 1 and not choice.probing
    assert "environment" in choice.describe()


@needs_control
def test_training_threads_sets_the_chosen_count_for_the_next_step_and_restores(no_user_choice):
    from types import SimpleNamespace

    from rnnviz.core.config import ModelConfig

    before = runtime.blas_thread_count()
    config = ModelConfig(input_size=4, hidden_size=512, output_size=4, cell="lstm")  # 2*16*512*2048: large
    with runtime.training_threads(config, batch=16) as on_step:
        seen = []
        for _ in range(2 * (PROBE_STEPS + 1)):
            seen.append(runtime.blas_thread_count())
            assert on_step(SimpleNamespace(wall_time=0.01 if seen[-1] == 1 else 0.03)) is True
        assert runtime.blas_thread_count() == 1  # one thread was faster
    assert runtime.blas_thread_count() == before
    if before >= 2:
        assert seen[0] >= 2 and seen[-1] == 1


@needs_control
def test_the_count_never_changes_while_a_diagnostics_thread_is_inside_lapack():
    import threading

    before = runtime.blas_thread_count()
    inside, leave, changed = threading.Event(), threading.Event(), threading.Event()

    def lapack_call():  # what rnnviz.core.diagnostics.lapack does around dgeev / dgesdd
        with runtime.BLAS_CALLS:
            inside.set()
            leave.wait(10)

    def change():
        with runtime.blas_threads(1 if before != 1 else 2):
            changed.set()

    holder = threading.Thread(target=lapack_call)
    holder.start()
    assert inside.wait(10)
    changer = threading.Thread(target=change)
    changer.start()
    assert not changed.wait(0.2)  # waits for the LAPACK call to end
    assert runtime.blas_thread_count() == before
    leave.set()
    holder.join(10)
    changer.join(10)
    assert changed.is_set() and runtime.blas_thread_count() == before  # then set, and restored
