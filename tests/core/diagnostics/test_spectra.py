"""W_hh's spectrum in a snapshot: computed only for the views that read it, reused for a matrix
already decomposed, and its thread never left running (rnnviz.core.diagnostics.spectra)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rnnviz import runtime
from rnnviz.core import RNN, ModelConfig
from rnnviz.core.diagnostics import spectra
from rnnviz.core.diagnostics import summary as dg


@pytest.fixture(autouse=True)
def nothing_remembered():
    spectra.forget_spectra()
    yield
    spectra.forget_spectra()


def _case(cell="tanh", hidden=12, steps=9, seed=3):
    model = RNN(ModelConfig(input_size=3, hidden_size=hidden, output_size=3, cell=cell, num_layers=2, seed=seed))
    rng = np.random.default_rng(seed)
    _, _, trace = model.loss_and_grads(rng.standard_normal((steps, 2, 3)), rng.integers(0, 3, size=2))
    return model, trace


@pytest.mark.parametrize("cell", ["tanh", "lstm"])
def test_without_a_view_that_reads_it_the_spectrum_is_left_out_and_said_so(cell):
    model, trace = _case(cell)
    full = dg.summarize(model, trace, 1)
    shown = dg.summarize(model, trace, 1, views={"loss", "hidden", "gradients"})
    assert full.skipped == frozenset() and shown.skipped == dg.SPECTRUM_VIEWS
    assert shown.singular_values is None and shown.eigenvalues is None
    assert np.isnan(shown.spectral_radius).all() and np.isnan(shown.sigma_max).all() and np.isnan(shown.bound).all()
    # the chain and everything read off it are the same numbers (the status bar's regime needs them)
    np.testing.assert_array_equal(shown.chain_log10, full.chain_log10)
    np.testing.assert_array_equal(shown.profile, full.profile)
    assert (shown.regime, shown.horizon, shown.growth) == (full.regime, full.horizon, full.growth)


@pytest.mark.parametrize("views", [{"spectrum"}, {"chain", "loss"}, None])
def test_a_view_that_reads_the_spectrum_gets_all_of_it(views):
    model, trace = _case()
    found = dg.summarize(model, trace, 0, views=views)
    assert found.skipped == frozenset()
    for layer in range(2):
        w_hh = model.params[f"weight_hh_l{layer}"]
        np.testing.assert_allclose(found.singular_values[layer], np.linalg.svd(w_hh, compute_uv=False), rtol=1e-12)
        assert found.spectral_radius[layer] == pytest.approx(np.abs(np.linalg.eigvals(w_hh)).max(), rel=1e-12)
        assert np.isfinite(found.bound[layer]).all()


def test_a_matrix_already_decomposed_is_recognised_bit_for_bit():
    w_hh = np.random.default_rng(0).standard_normal((16, 16))
    first = spectra.spectrum_of(w_hh)
    assert spectra.spectrum_of(w_hh.copy()) is first  # the same values: reused
    with pytest.raises(ValueError):  # shared between snapshots: nobody may change it
        first.eigenvalues[0] = 0.0
    changed = w_hh.copy()
    changed[3, 5] = np.nextafter(changed[3, 5], np.inf)  # one bit: a training step's smallest change
    again = spectra.spectrum_of(changed)
    assert again is not first
    np.testing.assert_allclose(again.singular_values, np.linalg.svd(changed, compute_uv=False), rtol=1e-12)
    as_float32 = spectra.spectrum_of(w_hh.astype(np.float32))  # another dtype is another matrix
    assert as_float32 is not first


def test_a_diverged_matrix_is_never_taken_for_a_remembered_one():
    w_hh = np.random.default_rng(1).standard_normal((6, 6))
    w_hh[0, 0] = np.nan
    first = spectra.spectrum_of(w_hh)
    assert np.isnan(first.spectral_radius) and spectra.spectrum_of(w_hh) is not first


def test_a_paused_runs_next_snapshot_reuses_the_spectrum_and_a_step_does_not():
    model, trace = _case()
    before = dg.summarize(model, trace, 0)
    with spectra.SpectrumThread([model.params["weight_hh_l0"], model.params["weight_hh_l1"]]) as thread:
        assert thread.result()[0] is spectra.spectrum_of(model.params["weight_hh_l0"])
    assert thread.reused == 2
    model.params["weight_hh_l0"] *= 1.01  # a training step moved W_hh
    after = dg.summarize(model, trace, 0)
    assert after.spectral_radius[0] == pytest.approx(1.01 * before.spectral_radius[0], rel=1e-12)
    assert after.spectral_radius[1] == before.spectral_radius[1]


def test_the_spectrum_thread_is_joined_when_the_chain_fails(monkeypatch):
    model, trace = _case(hidden=40)

    def broken(*args, **kwargs):
        raise MemoryError("the chain ran out of memory")

    monkeypatch.setattr(dg, "chain_log_norms", broken)
    with pytest.raises(MemoryError):
        dg.summarize(model, trace, 0)
    assert not [t for t in threading.enumerate() if t.name == "rnnviz-spectrum"]  # none left inside LAPACK


@pytest.mark.skipif(not runtime.thread_control_available(), reason="no BLAS thread control here")
def test_beside_the_chain_only_while_blas_runs_on_one_thread():
    model, trace = _case(hidden=20)
    matrices = [model.params["weight_hh_l0"]]
    with runtime.blas_threads(1):
        with spectra.SpectrumThread(matrices) as one:
            assert one.beside
            one.result()
        full = dg.summarize(model, trace, 0)
    spectra.forget_spectra()
    with runtime.blas_threads(2):
        with spectra.SpectrumThread(matrices) as two:
            assert not two.beside and not [t for t in threading.enumerate() if t.name == "rnnviz-spectrum"]
            found = two.result()  # computed now, on this thread
        assert two.result() is found and two.reused == 0
        again = dg.summarize(model, trace, 0)
    np.testing.assert_array_equal(found[0].singular_values, full.singular_values[0])
    np.testing.assert_array_equal(again.eigenvalues[1], full.eigenvalues[1])
