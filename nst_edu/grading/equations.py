"""Checks of the paper's equations (1)-(6): a student's function against properties of the equation
(symmetry, scaling, invariances, agreement with an independent computation or with autograd)."""
from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

from nst_edu.grading.core import Checker, CheckResult, Fail, close, describe, generator, randn, run_check, scalar

_SHAPES = ((3, 5), (4, 4), (6, 2), (1, 7))  # (N, M): tall, square, wide, single filter


def _on_maps(ck: Checker, doing: str, fn: Callable, maps: Tensor, *args: Any) -> Any:
    """``fn(maps, *args)`` for feature maps (N, H, W), as VGG returns them; a function written for matrices
    only fails here with a message that says so, not with torch's shape error."""
    try:
        return ck.call(doing, fn, maps, *args)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure on maps has the same cause and fix
        text = " ".join(str(exc).split())[:160]
        raise Fail(f"feature maps F of shape (N, H, W) = {tuple(maps.shape)} should be accepted as well as a matrix "
                   f"(N, M): flatten them with as_matrix(F) first (and give the result F's shape where it must have "
                   f"it); with maps your function raised {type(exc).__name__}: {text}") from None


# ------------------------------------------------------------------- task: Gram matrix, eq. (3)
def check_gram_matrix(gram_matrix: Callable[[Tensor], Tensor]) -> CheckResult:
    """G = F Fᵀ (eq. 3): shape N×N, matches an einsum, symmetric, PSD, scales by c², ignores the
    order of spatial positions, and accepts feature maps (N, H, W)."""
    def body(ck: Checker) -> tuple[str, Any]:
        for k, (N, M) in enumerate(_SHAPES):
            F = randn(N, M, seed=k)
            G = ck.call(f"computing the Gram matrix of a random F of shape ({N}, {M})", gram_matrix, F)
            ck.expect(isinstance(G, Tensor) and tuple(G.shape) == (N, N),
                      f"for F of shape (N, M) = ({N}, {M}) G must be N×N = ({N}, {N}), got {describe(G)}: "
                      "G_ij = Σ_k F_ik F_jk sums over positions k")
            ck.expect(close(G, torch.einsum("ik,jk->ij", F, F)),
                      f"G_ij should be Σ_k F_ik F_jk (eq. 3) but differs for F of shape ({N}, {M}); "
                      "is it F·Fᵀ (not Fᵀ·F), without dividing by N or M?")
            ck.expect(close(G, G.T), "G should be symmetric (G_ij = G_ji)")
            ck.expect(torch.linalg.eigvalsh(G.double()).min() > -1e-8 * (1 + G.abs().max()),
                      "G should be positive semi-definite (no negative eigenvalues)")
            ck.doing = "scaling F by c = 3"
            ck.expect(close(gram_matrix(3 * F), 9 * G), "scaling F by c should scale G by c²")
            perm = torch.randperm(M, generator=generator(10 + k))
            ck.doing = "permuting the spatial positions (columns) of F"
            ck.expect(close(gram_matrix(F[:, perm]), G),
                      "G should not change when the spatial positions (columns of F) are shuffled")
        maps = randn(3, 4, 5, seed=7)
        G = _on_maps(ck, "computing the Gram matrix of feature maps of shape (N, H, W) = (3, 4, 5)", gram_matrix, maps)
        ck.expect(close(G, torch.einsum("ik,jk->ij", maps.reshape(3, 20), maps.reshape(3, 20))),
                  "for feature maps (N, H, W) flatten them to F of shape (N, H·W) first (hint: as_matrix)")
        return "G = F Fᵀ on several shapes; symmetric, PSD, scales by c², ignores the order of positions", None
    return run_check("gram_matrix", body)


# ------------------------------------------------------------------- task: content loss, eq. (1)
def check_content_loss(content_loss: Callable[[Tensor, Tensor], Tensor]) -> CheckResult:
    """L_content = ½ Σ (F − P)² (eq. 1): scalar, zero at F = P, quadratic in F − P, ½ not mean."""
    def body(ck: Checker) -> tuple[str, Any]:
        for k, (N, M) in enumerate(_SHAPES):
            F, P = randn(N, M, seed=k), randn(N, M, seed=20 + k)
            L = scalar(
                ck, ck.call(f"computing the content loss for F, P of shape ({N}, {M})", content_loss, F, P), "L_content"
            )
            ck.expect(
                abs(scalar(ck, content_loss(P.clone(), P), "L_content")) < 1e-12, "L_content should be 0 when F = P"
            )
            ck.expect(close(content_loss(P + 2 * (F - P), P), 4 * L),
                      "L_content should grow quadratically: doubling F − P should multiply it by 4")
            ck.expect(close(content_loss(P, F), L), "L_content should be symmetric in F and P")
            ref = 0.5 * sum(float(F[i, j] - P[i, j]) ** 2 for i in range(N) for j in range(M))
            if not close(L, ref):
                ratio = L / ref
                more = (
                    " (missing the ½?)" if abs(ratio - 2) < 1e-6 else " (a mean instead of a sum?)" if ratio < 1 else ""
                )
                raise Fail(f"L_content should be ½ Σ_ij (F_ij − P_ij)² (eq. 1): got {L:.6g}, expected {ref:.6g}{more}")
        return "½ Σ (F − P)², zero at F = P, quadratic in F − P", None
    return run_check("content_loss", body)


# ------------------------------------------------------------------- task: style layer loss, eq. (4)
def _eq4(F: Tensor, A: Tensor) -> float:
    """E_l = Σ (F Fᵀ − A)² / (4 N² M²) for a matrix F (N, M): the check's own reference."""
    N, M = F.shape
    return float(((torch.einsum("ik,jk->ij", F, F) - A) ** 2).sum()) / (4 * N**2 * M**2)


def check_style_layer_loss(style_layer_loss: Callable[[Tensor, Tensor], Tensor]) -> CheckResult:
    """E_l = 1/(4N²M²) Σ (G − A)² (eq. 4), its normalisation checked by duplicating data along N and M."""
    def body(ck: Checker) -> tuple[str, Any]:
        for k, (N, M) in enumerate(_SHAPES):
            ones = torch.ones(N, M, dtype=torch.float64)
            E1 = scalar(ck, ck.call(f"computing E_l for F = ones({N}, {M}) and A = 0", style_layer_loss, ones,
                                     torch.zeros(N, N, dtype=torch.float64)), "E_l")
            ck.expect(close(E1, 0.25),
                      f"for F of all ones (N={N}, M={M}) and A = 0, G = M everywhere, so E_l = N²M²/(4N²M²) = 1/4; "
                      f"got {E1:.6g}: check the factor 1/(4 N² M²)")
            F, Y = randn(N, M, seed=k), randn(N, M + 1, seed=30 + k)
            A = Y @ Y.T
            E = scalar(ck, ck.call(f"computing E_l for F of shape ({N}, {M})", style_layer_loss, F, A), "E_l")
            ref = _eq4(F, A)
            ck.expect(close(E, ref), f"E_l should be Σ (G − A)² / (4 N² M²) (eq. 4): got {E:.6g}, expected {ref:.6g}")
            ck.expect(abs(scalar(ck, style_layer_loss(F, F @ F.T), "E_l")) < 1e-12, "E_l should be 0 when A = G")
            ck.doing = "duplicating every position (M → 2M, A → 2A)"
            ck.expect(close(style_layer_loss(torch.cat([F, F], 1), 2 * A), E),
                      "duplicating all positions (M → 2M) doubles G and A; with the 1/M² factor E_l must not change")
            ck.doing = "duplicating every filter (N → 2N)"
            ck.expect(
                close(style_layer_loss(torch.cat([F, F], 0), A.repeat(2, 2)), E),
                "duplicating all filters (N → 2N) repeats G and A in four blocks; "
                "with the 1/N² factor E_l must not change",
            )
        maps, Y = randn(3, 4, 5, seed=8), randn(3, 9, seed=9)
        E = scalar(ck, _on_maps(ck, "computing E_l for feature maps of shape (N, H, W) = (3, 4, 5)", style_layer_loss,
                                maps, Y @ Y.T), "E_l")
        ref = _eq4(maps.reshape(3, 20), Y @ Y.T)
        ck.expect(close(E, ref), f"for feature maps (N, H, W) = (3, 4, 5) E_l should be that of their (N, H·W) matrix, "
                  f"{ref:.6g}, with M = H·W = 20; got {E:.6g} (hint: as_matrix)")
        return "1/(4N²M²) Σ (G − A)²: zero at A = G, unchanged when data is duplicated along N or M", None
    return run_check("style_layer_loss", body)


# ------------------------------------------------------------------- task: total loss, eq. (7)
def check_total_loss(total_loss: Callable[..., Any]) -> CheckResult:
    """L_total = α L_content + β L_style (eq. 7): linear in α and β, each weighting the right term."""
    def body(ck: Checker) -> tuple[str, Any]:
        c, s = torch.tensor(2.0, dtype=torch.float64), torch.tensor(5.0, dtype=torch.float64)
        t = lambda a, b, doing: scalar(ck, ck.call(doing, total_loss, c, s, alpha=a, beta=b), "L_total")  # noqa: E731
        ck.expect(close(t(1.0, 0.0, "calling total_loss(content, style, alpha=1, beta=0)"), c),
                  "with alpha=1, beta=0 the total should be the content loss (α multiplies L_content)")
        ck.expect(close(t(0.0, 1.0, "calling total_loss with alpha=0, beta=1"), s),
                  "with alpha=0, beta=1 the total should be the style loss (β multiplies L_style)")
        for a, b in ((1e-3, 1.0), (3.0, 7.0), (1.0, 1e4)):
            got = t(a, b, f"calling total_loss with alpha={a:g}, beta={b:g}")
            ck.expect(close(got, a * c + b * s), f"with alpha={a:g}, beta={b:g} expected α·L_content + β·L_style = "
                      f"{float(a * c + b * s):g}, got {got:g}")
        ck.expect(close(t(2.0, 2.0, "doubling alpha and beta"), 2 * t(1.0, 1.0, "calling with alpha=beta=1")),
                  "L_total should be linear: doubling α and β should double it")
        return "α·L_content + β·L_style, linear in α and β", None
    return run_check("total_loss", body)


# ------------------------------------------------------------------- task: gradients, eqs. (2) and (6)
def _relu_inputs(N: int, M: int, seed: int) -> tuple[Tensor, Tensor]:
    X = randn(N, M, seed=seed).requires_grad_(True)   # pre-activation
    return X, torch.relu(X)


def _check_grad(
    ck: Checker,
    grad_fn: Callable,
    loss: Callable[[Tensor, Tensor], Tensor],
    target: Callable[[int, int, int], Tensor],
    eq: str,
) -> None:
    for k, (N, M) in enumerate(_SHAPES):
        X, F = _relu_inputs(N, M, seed=40 + k)
        T = target(N, M, k)
        (auto,) = torch.autograd.grad(loss(F, T), X)  # through the ReLU: the masked gradient
        g = ck.call(f"computing the gradient for F of shape ({N}, {M})", grad_fn, F.detach(), T)
        ck.expect(isinstance(g, Tensor) and tuple(g.shape) == (N, M),
                  f"the gradient should have the shape of F ({N}, {M}), got {describe(g)}")
        dead = F.detach() <= 0
        ck.expect(
            torch.all(g[dead] == 0),
            f"the gradient should be 0 where F ≤ 0 (the ReLU mask in eq. {eq}): a rectified unit passes no gradient",
        )
        if not close(g, auto, rtol=1e-5, atol=1e-10):
            sign = " (wrong sign?)" if close(-g, auto, rtol=1e-5, atol=1e-10) else ""
            raise Fail(f"the gradient disagrees with autograd for F of shape ({N}, {M}) where F > 0{sign}: "
                        f"largest difference {float((g - auto).abs().max()):.3g}; compare with eq. {eq}")
    maps = torch.relu(randn(2, 3, 4, seed=49))
    g = _on_maps(ck, "computing the gradient for feature maps of shape (N, H, W) = (2, 3, 4)", grad_fn, maps,
                 target(2, 12, 9).reshape((2, 3, 4) if eq == "(2)" else (2, 2)))
    ck.expect(isinstance(g, Tensor) and tuple(g.shape) == (2, 3, 4),
              f"for feature maps (N, H, W) the gradient should have their shape (2, 3, 4), got {describe(g)}")


def check_content_loss_grad(content_loss_grad: Callable[[Tensor, Tensor], Tensor]) -> CheckResult:
    """∂L_content/∂F (eq. 2) equals autograd through the ReLU: (F − P) where F > 0, else 0."""
    def body(ck: Checker) -> tuple[str, Any]:
        _check_grad(ck, content_loss_grad, lambda F, P: 0.5 * ((F - P) ** 2).sum(),
                    lambda N, M, k: randn(N, M, seed=50 + k).abs(), "(2)")
        return "matches autograd and is 0 where F ≤ 0", None
    return run_check("content_loss_grad", body)


def check_style_layer_loss_grad(style_layer_loss_grad: Callable[[Tensor, Tensor], Tensor]) -> CheckResult:
    """∂E_l/∂F (eq. 6) equals autograd through the ReLU: (G − A)F/(N²M²) where F > 0, else 0."""
    def loss(F: Tensor, A: Tensor) -> Tensor:
        N, M = F.shape
        return ((F @ F.T - A) ** 2).sum() / (4 * N**2 * M**2)

    def target(N: int, M: int, k: int) -> Tensor:
        Y = torch.relu(randn(N, M + 2, seed=60 + k))
        return Y @ Y.T

    def body(ck: Checker) -> tuple[str, Any]:
        _check_grad(ck, style_layer_loss_grad, loss, target, "(6)")
        return "matches autograd and is 0 where F ≤ 0", None
    return run_check("style_layer_loss_grad", body)
