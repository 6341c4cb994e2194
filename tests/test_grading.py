"""nst_edu.grading: every check accepts the reference (nst_edu.losses) and rejects plausible mistakes."""
from __future__ import annotations

from typing import Callable

import pytest
import torch

from nst_edu import grading, losses
from nst_edu.losses import as_matrix

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation


@pytest.fixture(autouse=True)
def _fresh_scoreboard() -> None:
    grading.reset()


def _assert_fails(result: grading.CheckResult, *words: str) -> None:
    assert result.status == grading.FAILED, result
    assert not result.passed and not result
    for w in words:
        assert w in result.message, result


# ------------------------------------------------------------------- Gram matrix
def test_gram_accepts_reference() -> None:
    assert grading.check_gram_matrix(losses.gram_matrix).passed


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda F: as_matrix(F).T @ as_matrix(F), ["N×N"]),  # Fᵀ F: (M, M)
        (lambda F: losses.gram_matrix(F) / as_matrix(F).shape[-1], ["Σ_k F_ik F_jk"]),  # divided by M
        (lambda F: F @ F.transpose(-1, -2), ["flatten"]),  # forgets to flatten (N, H, W) maps
        (lambda F: as_matrix(F) @ as_matrix(F).T.abs(), []),  # not symmetric
        (lambda F: torch.einsum("ik,jk->ij", as_matrix(F), as_matrix(F).flip(-1)), []),  # pairs positions wrongly
    ],
)
def test_gram_rejects(wrong: Callable, words: list[str]) -> None:
    _assert_fails(grading.check_gram_matrix(wrong), *words)


# ------------------------------------------------------------------- content loss
def test_content_loss_accepts_reference() -> None:
    assert grading.check_content_loss(losses.content_loss).passed


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda F, P: ((F - P) ** 2).sum(), ["missing the ½"]),
        (lambda F, P: 0.5 * ((F - P) ** 2).mean(), ["mean instead of a sum"]),
        (lambda F, P: (F - P).norm(), ["quadratically"]),
        (lambda F, P: 0.5 * ((F - P) ** 2), ["scalar"]),  # not summed
    ],
)
def test_content_loss_rejects(wrong: Callable, words: list[str]) -> None:
    _assert_fails(grading.check_content_loss(wrong), *words)


# ------------------------------------------------------------------- style layer loss
def test_style_layer_loss_accepts_reference() -> None:
    assert grading.check_style_layer_loss(losses.style_layer_loss).passed


def _style(norm: Callable[[int, int], float]) -> Callable:
    def loss(F: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        Fm = as_matrix(F)
        N, M = Fm.shape[-2:]
        return ((Fm @ Fm.T - A) ** 2).sum() * norm(N, M)
    return loss


@pytest.mark.parametrize(
    "wrong",
    [
        _style(lambda N, M: 1 / (N**2 * M**2)),  # missing the 4
        _style(lambda N, M: 1 / (4 * N * M)),  # N M instead of N² M²
        _style(lambda N, M: 1 / (4 * N**2)),  # forgets M
        _style(lambda N, M: 0.5),  # no normalisation
        lambda F, A: _style(lambda N, M: 1 / (4 * N**2 * M**2))(F, A).sqrt(),  # not squared
    ],
)
def test_style_layer_loss_rejects(wrong: Callable) -> None:
    _assert_fails(grading.check_style_layer_loss(wrong))


# ------------------------------------------------------------------- total loss
def test_total_loss_accepts_reference() -> None:
    assert grading.check_total_loss(losses.total_loss).passed


@pytest.mark.parametrize(
    "wrong",
    [
        lambda content, style, alpha, beta: beta * content + alpha * style,  # α and β swapped
        lambda content, style, alpha, beta: alpha * content + style,  # β ignored
        lambda content, style, alpha, beta: (alpha * content + beta * style) / (alpha + beta),  # normalised weights
        lambda content, style, alpha, beta: alpha * content + beta * style + 1,  # not linear
    ],
)
def test_total_loss_rejects(wrong: Callable) -> None:
    _assert_fails(grading.check_total_loss(wrong))


def test_total_loss_with_other_parameter_names_is_an_error_not_a_crash() -> None:
    result = grading.check_total_loss(lambda c, s, a, b: a * c + b * s)
    assert result.status == grading.ERROR and "TypeError while calling total_loss" in result.message


# ------------------------------------------------------------------- gradients
def test_content_grad_accepts_reference() -> None:
    assert grading.check_content_loss_grad(losses.content_loss_grad).passed


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda F, P: F - P, ["F ≤ 0"]),  # no ReLU mask
        (lambda F, P: (P - F) * (F > 0), ["wrong sign"]),
        (lambda F, P: 2 * (F - P) * (F > 0), ["autograd"]),  # forgot the ½ of eq. (1)
        (lambda F, P: as_matrix((F - P) * (F > 0)), ["shape (2, 3, 4)"]),  # flattened result
    ],
)
def test_content_grad_rejects(wrong: Callable, words: list[str]) -> None:
    _assert_fails(grading.check_content_loss_grad(wrong), *words)


def _style_grad(scale: Callable[[int, int], float], mask: bool = True, transpose: bool = True) -> Callable:
    def grad(F: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
        Fm = as_matrix(F)
        N, M = Fm.shape[-2:]
        core = Fm.T @ (Fm @ Fm.T - A)
        g = (core.T if transpose else core.reshape(N, M)) * scale(N, M)
        g = g.reshape(F.shape)
        return g * (F > 0) if mask else g
    return grad


def test_style_grad_accepts_reference() -> None:
    assert grading.check_style_layer_loss_grad(losses.style_layer_loss_grad).passed
    assert grading.check_style_layer_loss_grad(_style_grad(lambda N, M: 1 / (N**2 * M**2))).passed


@pytest.mark.parametrize(
    "wrong, words",
    [
        (_style_grad(lambda N, M: 1 / (N**2 * M**2), mask=False), ["F ≤ 0"]),
        (_style_grad(lambda N, M: -1 / (N**2 * M**2)), ["wrong sign"]),
        (_style_grad(lambda N, M: 1 / (4 * N**2 * M**2)), ["autograd"]),  # kept the 1/4 of eq. (4)
        (_style_grad(lambda N, M: 1 / (N**2 * M**2), transpose=False), []),  # forgot the transpose
    ],
)
def test_style_grad_rejects(wrong: Callable, words: list[str]) -> None:
    _assert_fails(grading.check_style_layer_loss_grad(wrong), *words)


# ------------------------------------------------------------------- the synthesis loop
def _loop(sign: float = 1.0) -> Callable:
    def reconstruct(model, content_image, layer, init, steps):  # type: ignore[no-untyped-def]
        with torch.no_grad():
            P = model(content_image, [layer])[layer]
        x = init.clone().requires_grad_(True)
        opt = torch.optim.Adam([x], lr=0.02)
        for _ in range(steps):
            opt.zero_grad()
            loss = sign * losses.content_loss(model(x, [layer])[layer], P)
            loss.backward()
            opt.step()
        return x.detach()
    return reconstruct


def test_loop_accepts_a_working_loop() -> None:
    result = grading.check_synthesis_loop(_loop())
    assert result.passed, result
    assert result.value.shape == (1, 3, 24, 24)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (_loop(sign=-1.0), ["increased"]),  # gradient ascent
        (lambda model, content_image, layer, init, steps: init, ["barely changed"]),  # never steps
        (lambda model, content_image, layer, init, steps: content_image, ["photograph itself"]),
        (lambda model, content_image, layer, init, steps: init[0], ["shape"]),
    ],
)
def test_loop_rejects(wrong: Callable, words: list[str]) -> None:
    _assert_fails(grading.check_synthesis_loop(wrong), *words)


# ------------------------------------------------------------------- the ratio study
@pytest.mark.slow
def test_ratio_study_accepts_reference_and_rejects_swapped_or_ignored_ratio() -> None:
    from nst_edu.synthesis import synthesize
    from nst_edu.vgg import vgg19

    model = vgg19()
    y, x = torch.meshgrid(torch.linspace(0, 1, 20), torch.linspace(0, 1, 28), indexing="ij")
    content = torch.stack([x, y, 1 - x]).unsqueeze(0)  # smooth colour gradients
    style = torch.stack(
        [(torch.sin(40 * x) > 0).float(), (torch.sin(30 * y) > 0).float(), 0.5 * torch.ones_like(x)]
    ).unsqueeze(0)

    def run(ratios: list[float], swap: bool) -> dict[float, torch.Tensor]:
        return {r: synthesize(content, style, alpha=1.0 if swap else r, beta=r if swap else 1.0, steps=10, model=model,
                              progress=False).image for r in ratios}

    ratios = [1e-4, 1e-2, 1.0]
    good, swapped = run(ratios, swap=False), run(ratios, swap=True)
    ok = grading.check_ratio_study(lambda c, s, ratios, steps: good, content, style, steps=10, model=model)
    assert ok.passed, ok
    assert set(ok.value) == set(ratios)
    for wrong, words in [
        (swapped, "α and β swapped"),  # alpha=1, beta=ratio
        ({r: good[1e-2] for r in ratios}, "ratio ignored"),  # the same image whatever the ratio
        ({1e-4: good[1e-4]}, "no image for ratio"),
    ]:
        _assert_fails(
            grading.check_ratio_study(lambda c, s, ratios, steps: wrong, content, style, steps=10, model=model), words
        )


# ------------------------------------------------------------------- reporting and the scoreboard
def test_not_implemented_is_reported_without_traceback() -> None:
    def gram_matrix(F):  # type: ignore[no-untyped-def]
        raise NotImplementedError("flatten, then F @ F.T")

    result = grading.check_gram_matrix(gram_matrix)
    assert result.status == grading.NOT_IMPLEMENTED and not result.passed
    assert "not implemented yet".upper() in str(result) and "flatten, then F @ F.T" in result.message
    assert "Traceback" not in str(result)


def test_other_exceptions_give_one_line_naming_what_was_done() -> None:
    result = grading.check_content_loss(lambda F, P: F.no_such_method())
    assert result.status == grading.ERROR
    assert result.message.startswith("AttributeError while computing the content loss")
    assert "\n" not in str(result)


def test_scoreboard_and_summary() -> None:
    grading.check_gram_matrix(losses.gram_matrix)
    grading.check_content_loss(lambda F, P: (F - P).sum())
    grading.check_gram_matrix(losses.gram_matrix)  # re-running replaces, not adds
    s = grading.summary()
    assert (s.score, s.total) == (1, 2)  # points: gram_matrix and content_loss are worth 1 each
    assert str(s).splitlines()[-1] == "Score: 1/2 points checked automatically" and repr(s) == str(s)
    s = grading.summary(["gram_matrix", "content_loss", "style_layer_loss"])
    assert str(s).endswith("Score: 1/4 points checked automatically") and "style_layer_loss (2 points)" in str(s)
    grading.reset()
    assert str(grading.summary()).endswith("Score: 0/0 points checked automatically")


def test_try_run(capsys: pytest.CaptureFixture[str]) -> None:
    def f():  # type: ignore[no-untyped-def]
        raise NotImplementedError

    assert grading.try_run(f) is None
    assert "not implemented yet" in capsys.readouterr().out
    assert grading.try_run(lambda x: x + 1, 1) == 2


def test_modules_import_in_either_order() -> None:
    import subprocess
    import sys

    code = "import nst_edu.grading.synthesis; from nst_edu.grading import check_ratio_study, try_run"
    subprocess.run([sys.executable, "-c", code], check=True)
