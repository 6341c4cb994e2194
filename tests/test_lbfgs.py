"""Our L-BFGS (nst_edu.machinery.lbfgs) takes the same steps as torch.optim.LBFGS, which it replaces."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from nst_edu.machinery.lbfgs import lbfgs

pytestmark = pytest.mark.synthesis  # make test-robust runs it under every variation


def rosenbrock(x: torch.Tensor) -> torch.Tensor:
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def rosenbrock_closure(x: torch.Tensor, losses: list[float]):
    """The closure an optimiser calls: Rosenbrock at x, its gradient in x.grad, the loss recorded."""

    def closure() -> torch.Tensor:
        x.grad = None
        loss = rosenbrock(x)
        loss.backward()
        losses.append(loss.item())
        return loss

    return closure


def trace(x0: torch.Tensor, run) -> list[float]:
    """Loss of every evaluation made by ``run(closure, x)``, then the final x."""
    x = x0.clone().requires_grad_(True)
    losses: list[float] = []
    run(rosenbrock_closure(x, losses), x)
    return losses + x.detach().reshape(-1).tolist()


@pytest.mark.parametrize("line_search", ["strong_wolfe", None])
@pytest.mark.parametrize("history_size", [3, 100])
def test_same_evaluations_as_torch_optim(line_search, history_size):
    x0 = torch.linspace(-1.5, 1.2, 12, dtype=torch.float64).reshape(3, 4)
    kw = {"max_iter": 60, "lr": 1.0 if line_search else 1e-3, "history_size": history_size}

    def with_torch(closure, x):
        torch.optim.LBFGS([x], line_search_fn=line_search, **kw).step(closure)

    def with_ours(closure, x):
        lbfgs(closure, x, line_search=line_search, **kw)

    ref, ours = trace(x0, with_torch), trace(x0, with_ours)
    assert len(ours) == len(ref) > 60
    assert torch.allclose(torch.tensor(ours), torch.tensor(ref), rtol=1e-12, atol=1e-12)


def test_minimises_and_counts_evaluations():
    x = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    calls: list[float] = []
    evals = lbfgs(rosenbrock_closure(x, calls), x, max_iter=200, max_eval=400)
    assert evals == len(calls)
    assert calls[-1] < 1e-8 < calls[0]
    assert torch.allclose(x.detach(), torch.ones(6, dtype=torch.float64), atol=1e-4)


class Halt(Exception):
    pass


def test_a_stop_inside_the_line_search_leaves_the_last_accepted_iterate():
    x = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    calls: list[float] = []
    inner = rosenbrock_closure(x, calls)
    evaluated: list[torch.Tensor] = []

    def closure():
        if len(calls) == 7:  # every evaluation after the first is a trial step of a line search
            raise Halt
        evaluated.append(x.detach().clone())
        return inner()

    with pytest.raises(Halt):
        lbfgs(closure, x, max_iter=50, max_eval=100, line_search="strong_wolfe")
    # Not the trial point that was about to be evaluated: an accepted iterate, which was evaluated.
    here = [k for k, seen in enumerate(evaluated) if torch.equal(x.detach(), seen)]
    assert here and calls[here[0]] < calls[0]


def test_unknown_line_search_is_refused():
    x = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="strong_wolfe"):
        lbfgs(lambda: 0.0, x, max_iter=1, line_search="armijo")


def test_synthesis_does_not_import_dynamo():
    """torch.optim would import torch._dynamo (about 1.3 s at startup); the L-BFGS path must not."""
    code = (
        "import sys, torch\n"
        "from nst_edu.synthesis import synthesize\n"
        "from nst_edu.vgg import VGG19Features\n"
        "m = VGG19Features(weights=None, layers=['conv1_1', 'conv2_1'])\n"
        "s = torch.rand(1, 3, 16, 16)\n"
        "synthesize(s, s, content_layers=['conv2_1'], style_layers=['conv1_1'], model=m, steps=3, progress=False)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


# How synthesize drives it: the settings reach it, and a run does the steps it was asked for.

def _bowl(model, photo_and_painting, **kw):
    """A synthesis whose loss is only a quadratic bowl (α = β = 0): L-BFGS reaches its exact minimum
    (loss 0, gradient 0) within a few evaluations."""
    from nst_edu import synthesis

    return synthesis.synthesize(*photo_and_painting, model=model, content_layers=["conv2_1"],
                                style_layers=["conv1_1", "conv2_1"], device="cpu", progress=False,
                                alpha=0.0, beta=0.0, extra_loss=lambda x: ((x - 0.3) ** 2).sum(), **kw)


def test_a_run_does_its_steps_after_the_loss_stops_changing(model, photo_and_painting):
    # torch.optim.LBFGS's tolerances (max |g| ≤ 1e-7, a change ≤ 1e-9) would end this run at step 6;
    # minimize turns them off, so `steps` is the number of evaluations made (plots, times per step).
    r = _bowl(model, photo_and_painting, steps=30)
    assert r.history.total[5] < 1e-9 and max(r.history.total[-5:]) < 1e-9  # converged early ...
    assert r.steps == len(r.history.total) == 30 and r.stop_reason == "finished"  # ... and went on


def test_lbfgs_remembers_twenty_steps(model, photo_and_painting, monkeypatch):
    """The README's L-BFGS memory: 20 pairs by default, passed to the optimiser."""
    from nst_edu import minimize as minimize_module
    from nst_edu.machinery import lbfgs as lbfgs_module

    seen = {}
    real = lbfgs_module.lbfgs

    def spy(*args, **kw):
        seen.update(kw)
        return real(*args, **kw)

    monkeypatch.setattr(minimize_module, "lbfgs", spy)
    _bowl(model, photo_and_painting, steps=3)
    assert seen["history_size"] == 20


def test_without_a_line_search_lbfgs_takes_one_evaluation_per_step(model, photo_and_painting):
    # line_search=None: each iteration is one evaluation at step length lr (the first min(1, 1/|g|₁)·lr),
    # so on a quadratic bowl the second iteration's quasi-Newton step lands on the bottom at evaluation 3;
    # strong Wolfe spends evaluations 2–4 growing its first step and gets there at 5 (measured).
    wolfe = _bowl(model, photo_and_painting, steps=8)
    fixed = _bowl(model, photo_and_painting, steps=8, line_search=None)
    assert fixed.history.total[:2] == wolfe.history.total[:2]  # the same start and first trial
    assert fixed.history.total[2] < 1e-6 < 1.0 < wolfe.history.total[2]


def test_a_run_that_ends_inside_a_line_search_returns_its_best_trial(model, photo_and_painting):
    # Evaluations 2–4 of the bowl are trials of the first line search, each lower than the last. The
    # budget ends the run at evaluation 3: nst_edu.machinery.lbfgs puts x back where the search started (the
    # start), and minimize returns the best evaluated image, that trial, as `image`.
    start = _bowl(model, photo_and_painting, steps=1, seed=0).image
    r = _bowl(model, photo_and_painting, steps=3, seed=0)
    assert r.best_step == 3 and r.history.total[2] < r.history.total[1] < r.history.total[0]
    assert torch.equal(r.image, r.best_image) and not torch.equal(r.image, start)
