"""The network's number format (#41, nst_edu.machinery.precision): bfloat16 where the processor computes it
natively, float32 elsewhere; the losses, the Gram sums and the gradient the optimiser sees stay float32."""
from __future__ import annotations

import pytest
import torch

from nst_edu import losses
from nst_edu.errors import NstEduError
from nst_edu.machinery import precision
from nst_edu.teaching import config


@pytest.fixture
def on_this_machine(monkeypatch: pytest.MonkeyPatch):
    """The rule as a learner's kernel meets it: no NST_EDU_PRECISION, full mode."""
    monkeypatch.delenv("NST_EDU_PRECISION", raising=False)
    monkeypatch.setenv("NST_EDU_QUICK", "0")


@pytest.mark.parametrize("native", [True, False])
def test_auto_is_bfloat16_exactly_where_it_is_native(on_this_machine, monkeypatch, native) -> None:
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: native)
    expected = "bfloat16" if native else "float32"
    assert precision.resolve("auto", "cpu", quick=False) == expected
    assert config.setup().precision == expected
    assert ("network in bfloat16" in str(config.setup())) is native
    assert precision.resolve("auto", "cpu", quick=True) == "float32"  # quick mode: the tests' float32
    assert precision.resolve("bfloat16", "cpu", quick=True) == "bfloat16"  # named: always as named
    assert precision.resolve("float32", "cpu", quick=False) == "float32"


@pytest.mark.parametrize(("env", "expected"), [("float32", "float32"), ("bfloat16", "bfloat16"), ("auto", "bfloat16")])
def test_the_environment_decides_auto_everywhere(on_this_machine, monkeypatch, env, expected) -> None:
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: True)
    monkeypatch.setenv("NST_EDU_PRECISION", env)
    assert precision.resolve("auto", "cpu", quick=True) == expected
    assert precision.resolve("float32", "cpu", quick=False) == "float32"


def test_native_means_hardware_not_onednns_emulation(monkeypatch) -> None:
    monkeypatch.setattr(precision.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True, raising=False)
    for bf16, amx, native in [(True, False, True), (False, True, True), (False, False, False)]:
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda v=bf16: v)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda v=amx: v)
        assert precision.native_bfloat16("cpu") is native
    assert precision.native_bfloat16("meta") is False


@pytest.mark.parametrize("bad", ["fp16", "half", ""])
def test_an_unknown_precision_is_refused_in_one_line(bad, monkeypatch) -> None:
    from nst_edu.machinery.settings import Runtime
    with pytest.raises(NstEduError, match="unknown precision") as info:
        Runtime(precision=bad)
    assert "\n" not in str(info.value)
    monkeypatch.setenv("NST_EDU_PRECISION", "fp16")
    with pytest.raises(NstEduError, match="NST_EDU_PRECISION='fp16' is not a precision"):
        precision.resolve("auto", "cpu", quick=False)


def test_a_gram_matrix_of_bfloat16_responses_summed_in_float32_is_within_a_percent() -> None:
    """What stays float32 and why: the responses of a bfloat16 network carry 3 significant digits; their
    Gram sums over 49,152 positions (conv1_1 at 256 × 192) are taken in float32 and stay within 1 %; the
    same sums accumulated in bfloat16 drift much further."""
    g = torch.Generator().manual_seed(0)
    F = torch.relu(torch.randn(64, 49_152, generator=g))
    exact = losses.gram_matrix(F)
    from_bf16 = losses.gram_matrix(F.bfloat16().float())
    relative = float((from_bf16 - exact).norm() / exact.norm())
    assert relative < 0.01, relative
    summed_in_bf16 = torch.zeros(64, 64, dtype=torch.bfloat16)
    for chunk in F.bfloat16().split(4096, dim=1):  # a running sum kept in bfloat16
        summed_in_bf16 += chunk @ chunk.T
    assert float((summed_in_bf16.float() - exact).norm() / exact.norm()) > 3 * relative


def test_the_optimiser_sees_a_float32_gradient_from_a_bfloat16_network(model, photo_and_painting, monkeypatch):
    from nst_edu import minimize as loop
    seen = []
    real = loop.lbfgs

    def spy(closure, x, **kw):
        loss = closure()
        seen.append((loss.dtype, x.dtype, x.grad.dtype))
        return real(closure, x, **kw)

    monkeypatch.setattr(loop, "lbfgs", spy)
    from tiny_images import run
    r = run(model, *photo_and_painting, steps=3, precision="bfloat16")
    assert seen == [(torch.float32, torch.float32, torch.float32)]
    assert r.image.dtype == torch.float32 and all(isinstance(v, float) for v in r.history.total)
