"""Our L-BFGS (nst_edu.lbfgs) takes the same steps as torch.optim.LBFGS, which it replaces."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from nst_edu.lbfgs import lbfgs


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
