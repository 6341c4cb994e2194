"""L-BFGS with a strong-Wolfe line search, for one tensor: the image being synthesised.

nst-edu optimises with L-BFGS, as the CVPR 2016 version of the paper does (§2.3; the arXiv paper says
gradient descent). This is the same algorithm as ``torch.optim.LBFGS`` (a port of
it, which in turn ports Torch7's ``optim.lbfgs`` and ``lswolfe``; BSD-3 licence), written as one
function of one tensor. Why not call ``torch.optim.LBFGS``: every ``torch.optim.Optimizer``
imports ``torch._dynamo`` on first use, which costs about 1.3 s and 100 MB of memory before the
first step (measured in ``benchmarks/step_time.py``), and a synthesis needs none of it.
``tests/test_lbfgs.py`` checks that both take the same steps.

One iteration: a search direction d from the last ``history_size`` pairs (s, y) of position and
gradient changes (two-loop recursion), then a step length t along d. With ``line_search=None``
t = lr (one loss evaluation per iteration, may diverge); with ``"strong_wolfe"`` t satisfies the
strong Wolfe conditions (a few more evaluations when it has to backtrack).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor

#: Remembered (s, y) pairs. 20, not torch's 100: at 256 px, 300 steps end at the same loss for
#: 5, 10, 20, 50 and 100 pairs (within 2 %), and each pair holds two copies of the image
#: (100 pairs: +120 MB at 256 px, +470 MB at 512 px; benchmarks/README.md).
DEFAULT_HISTORY_SIZE = 20


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, within bounds."""
    xmin_bound, xmax_bound = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:  # no real minimiser: bisect
        return (xmin_bound + xmax_bound) / 2.0
    d2 = d2_square.sqrt()
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, xmin_bound), xmax_bound)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Step length t along d with sufficient decrease (c1) and a flat enough slope (c2).

    ``evaluate(t)`` returns (loss, flat gradient) at x + t·d. First bracket an interval that
    contains an acceptable t (growing t up to 10× per try), then shrink it by cubic interpolation.
    Returns (loss, gradient, t, evaluations).
    """
    d_norm = d.abs().max()
    g = g.clone()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:  # bracketing phase
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new.clone()],
                [gtd_prev, gtd_new],
            )
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new.clone()],
                [gtd_prev, gtd_new],
            )
            break
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        f_prev, g_prev, gtd_prev = f_new, g_new.clone(), gtd_new
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # Zoom phase: shrink the bracket until a point satisfies both conditions.
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # Too close to an end of the bracket twice in a row (or outside it): move 10 % inside.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:  # not low enough: new high end
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new.clone(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:  # old low becomes the high end
                bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = (
                    bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low])
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new.clone(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


@torch.no_grad()
def lbfgs(
    closure: Callable[[], float | Tensor],
    x: Tensor,
    *,
    max_iter: int,
    max_eval: int | None = None,
    lr: float = 1.0,
    history_size: int = DEFAULT_HISTORY_SIZE,
    line_search: Literal["strong_wolfe"] | None = "strong_wolfe",
    tolerance_grad: float = 1e-7,
    tolerance_change: float = 1e-9,
) -> int:
    """Minimise ``closure`` over the tensor ``x`` in place with L-BFGS.

    Args:
        closure: evaluates the loss at the current ``x``, fills ``x.grad`` (a fresh tensor, e.g.
            after ``x.grad = None``) and returns the loss. Raising inside it ends the run, which
            is how :func:`nst_edu.synthesis.synthesize` stops at its step budget.
        x: the variable, any shape; ``requires_grad`` must be set.
        max_iter: iterations; max_eval: loss evaluations (default 1.25·max_iter).
        lr: the first trial step length of each iteration. history_size: remembered (s, y) pairs;
            each costs two flat copies of ``x``.
        line_search: "strong_wolfe" or None (fixed step ``lr``).
        tolerance_grad, tolerance_change: stop when max |gradient|, or the change in x or in the
            loss, falls below them (``torch.optim.LBFGS``'s defaults; negative turns them off).

    Returns:
        The number of loss evaluations made.
    """
    if line_search not in (None, "strong_wolfe"):
        raise ValueError(f"line_search must be 'strong_wolfe' or None, got {line_search!r}")
    max_eval = max_eval if max_eval is not None else max_iter * 5 // 4

    def evaluate() -> tuple[float, Tensor]:
        with torch.enable_grad():
            loss = closure()
        return float(loss.detach() if isinstance(loss, Tensor) else loss), x.grad.reshape(-1).clone()

    loss, flat_grad = evaluate()
    evals = 1
    if flat_grad.abs().max() <= tolerance_grad:
        return evals
    old_dirs: list[Tensor] = []  # y: gradient changes
    old_stps: list[Tensor] = []  # s: position changes
    ro: list[Tensor] = []  # 1 / (y·s)
    al: list = [None] * history_size
    H_diag: float | Tensor = 1
    d = t = prev_flat_grad = None
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        if n_iter == 1:
            d = flat_grad.neg()
        else:  # remember the last (s, y) pair, then the two-loop recursion: d = −H·g
            y = flat_grad.sub(prev_flat_grad)
            s = d.mul(t)
            ys = y.dot(s)
            if ys > 1e-10:  # curvature condition; otherwise skip the update
                if len(old_dirs) == history_size:
                    old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
                H_diag = ys / y.dot(y)
            q = flat_grad.neg()
            for i in range(len(old_dirs) - 1, -1, -1):
                al[i] = old_stps[i].dot(q) * ro[i]
                q.add_(old_dirs[i], alpha=-al[i])
            d = r = torch.mul(q, H_diag)
            for i in range(len(old_dirs)):
                be_i = old_dirs[i].dot(r) * ro[i]
                r.add_(old_stps[i], alpha=al[i] - be_i)
        prev_flat_grad = flat_grad.clone() if prev_flat_grad is None else prev_flat_grad.copy_(flat_grad)
        prev_loss = loss
        # The first step is scaled by the gradient's size; later ones start at lr.
        t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if n_iter == 1 else lr
        gtd = flat_grad.dot(d)
        if gtd > -tolerance_change:  # not a descent direction
            break
        ls_evals = 0
        if line_search == "strong_wolfe":
            x0 = x.clone()

            def along(step: float, d: Tensor = d, x0: Tensor = x0) -> tuple[float, Tensor]:
                x.add_(d.view_as(x), alpha=step)
                try:
                    return evaluate()
                finally:  # also when evaluate raises (a stop): x is the last accepted iterate, not a trial
                    x.copy_(x0)

            loss, flat_grad, t, ls_evals = _strong_wolfe(along, t, d, loss, flat_grad, gtd, max_ls=max_eval - evals)
            x.add_(d.view_as(x), alpha=t)
            opt_cond = flat_grad.abs().max() <= tolerance_grad
        else:
            x.add_(d.view_as(x), alpha=t)
            opt_cond = False
            if n_iter != max_iter:
                loss, flat_grad = evaluate()
                opt_cond = flat_grad.abs().max() <= tolerance_grad
                ls_evals = 1
        evals += ls_evals
        if n_iter == max_iter or evals >= max_eval or opt_cond:
            break
        if d.mul(t).abs().max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
            break
    return evals
