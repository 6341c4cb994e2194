"""The paper's equations against independent computations and autograd."""
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from nst_edu import losses

torch.manual_seed(0)


def _np(t):
    return t.detach().double().numpy()


@pytest.mark.parametrize("shape", [(4, 9), (3, 5, 6), (1, 7, 4, 3)])
def test_as_matrix_flattens_space_only(shape):
    F = torch.randn(shape)
    Fm = losses.as_matrix(F)
    assert Fm.shape[-2] == shape[-3 if len(shape) > 2 else -2]
    assert Fm.numel() == F.numel()


@pytest.mark.parametrize("shape", [(5,), (1, 2, 3, 4, 5)])
def test_as_matrix_refuses_other_shapes_naming_the_shape_given(shape):
    with pytest.raises(ValueError, match=re.escape(f"(B, N, H, W), got {shape}")):
        losses.as_matrix(torch.zeros(shape))


def test_content_loss_is_half_sum_of_squares():
    F, P = torch.randn(8, 12), torch.randn(8, 12)
    expected = 0.5 * sum((f - p) ** 2 for f, p in zip(_np(F).ravel(), _np(P).ravel()))
    assert float(losses.content_loss(F, P)) == pytest.approx(expected, rel=1e-5)
    assert float(losses.content_loss(F, F)) == 0.0


def test_gram_matrix_matches_loops_and_is_symmetric():
    F = torch.randn(5, 11)
    G = losses.gram_matrix(F)
    f = _np(F)
    ref = np.array([[sum(f[i, k] * f[j, k] for k in range(11)) for j in range(5)] for i in range(5)])
    np.testing.assert_allclose(_np(G), ref, rtol=1e-5, atol=1e-5)
    assert torch.allclose(G, G.T)


def test_gram_of_feature_maps_equals_gram_of_matrix():
    F = torch.randn(1, 6, 4, 5)
    G = losses.gram_matrix(F)
    assert G.shape == (1, 6, 6)
    assert torch.allclose(G[0], losses.gram_matrix(F[0].reshape(6, 20)), atol=1e-5)


def test_style_layer_loss_has_the_papers_normalisation():
    F, A = torch.randn(1, 6, 4, 5), torch.randn(6, 6)
    N, M = 6, 20
    f = _np(F).reshape(N, M)
    G = f @ f.T
    expected = ((G - _np(A)) ** 2).sum() / (4 * N**2 * M**2)
    assert float(losses.style_layer_loss(F, A)) == pytest.approx(expected, rel=1e-5)


def test_style_layer_loss_is_zero_for_own_gram():
    F = torch.rand(1, 8, 6, 6)
    assert float(losses.style_layer_loss(F, losses.gram_matrix(F))) == pytest.approx(0.0, abs=1e-6)


def test_style_loss_weights_default_equal_and_sum_to_one():
    feats = {n: torch.rand(1, 3, 4, 4) for n in ("conv1_1", "conv2_1")}
    targets = {n: torch.rand(3, 3) for n in feats}
    e = [float(losses.style_layer_loss(feats[n], targets[n])) for n in feats]
    assert float(losses.style_loss(feats, targets)) == pytest.approx(sum(e) / 2, rel=1e-5)
    assert float(losses.style_loss(feats, targets, [1.0, 0.0])) == pytest.approx(e[0], rel=1e-5)
    assert losses.layer_weights(["a", "b", "c", "d", "e"]) == {k: 0.2 for k in "abcde"}
    with pytest.raises(ValueError, match="one per"):
        losses.style_loss(feats, targets, [1.0])


def test_total_loss_is_alpha_content_plus_beta_style():
    assert losses.total_loss(2.0, 3.0, alpha=5.0, beta=7.0) == 2.0 * 5.0 + 3.0 * 7.0


def _relu_pair(shape):
    pre = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    return pre, torch.relu(pre)


def test_content_gradient_eq2_matches_autograd():
    pre, F = _relu_pair((1, 6, 5, 5))
    P = torch.relu(torch.randn(1, 6, 5, 5, dtype=torch.float64))
    (auto,) = torch.autograd.grad(losses.content_loss(F, P), pre)
    hand = losses.content_loss_grad(F.detach(), P)
    assert torch.allclose(auto, hand, atol=1e-12)
    assert (hand[F.detach() <= 0] == 0).all()  # the ReLU mask


def test_style_gradient_eq6_matches_autograd():
    pre, F = _relu_pair((1, 7, 4, 6))
    A = losses.gram_matrix(torch.relu(torch.randn(1, 7, 4, 6, dtype=torch.float64)))[0]
    (auto,) = torch.autograd.grad(losses.style_layer_loss(F, A), pre)
    hand = losses.style_layer_loss_grad(F.detach(), A)
    assert hand.shape == F.shape
    assert torch.allclose(auto, hand, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fmt", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("batch", [1, 2])
def test_gram_backward_matches_autograd_of_the_plain_product(fmt, batch):
    """The Gram matrix's own backward ((Ḡ + Ḡᵀ) F, one product) equals autograd's F @ Fᵀ rule."""
    torch.manual_seed(0)
    F = torch.rand(batch, 8, 5, 6, dtype=torch.float64).contiguous(memory_format=fmt).requires_grad_(True)
    W = torch.rand(batch, 8, 8, dtype=torch.float64)  # not symmetric: the rule must not assume it
    (losses.gram_matrix(F) * W).sum().backward()
    ours = F.grad.clone()
    F.grad = None
    Fm = F.flatten(-2)
    ((Fm @ Fm.transpose(-1, -2)) * W).sum().backward()
    assert torch.allclose(ours, F.grad, rtol=1e-12, atol=1e-12)
    assert ours.is_contiguous(memory_format=fmt)  # no layout change for the layers below
    assert torch.autograd.gradcheck(losses.gram_matrix, (F[:1].detach().requires_grad_(True),))


def test_the_moved_ratio_names_warn_at_the_callers_line_and_others_are_attribute_errors():
    from nst_edu import ratio

    said = (r"^nst_edu\.losses\.paper_ratio moved to nst_edu\.ratio\.calibrated_ratio: use that "
            r"\(the old name goes in nst-edu 0\.2\.0\)$")
    with pytest.warns(DeprecationWarning, match=said) as caught:
        moved = losses.paper_ratio
    assert moved is ratio.calibrated_ratio
    # the warning names the line that used the old name, not losses.py or the table's module (under make mutate,
    # mutmut's trampoline is a frame in between, so the test can only say where the warning is not).
    assert Path(caught[0].filename).parent.name not in ("nst_edu", "machinery")
    with pytest.raises(AttributeError, match=r"^module 'nst_edu.losses' has no attribute 'gram'$"):
        losses.gram  # noqa: B018


def test_with_no_style_layers_the_style_loss_is_a_zero_tensor():
    """Eq. (5) over no layers: a tensor 0, so the objective can add it and call .detach() on it."""
    empty = losses.style_loss({}, {})
    assert isinstance(empty, torch.Tensor) and float(empty) == 0.0


def test_layer_weights_by_name_take_each_style_layer_and_name_the_missing_ones():
    assert losses.layer_weights(["a", "b"], {"b": 2, "a": 0.5, "c": 9.0}) == {"a": 0.5, "b": 2.0}
    with pytest.raises(ValueError, match=r"^no style weight for layer\(s\) \['b'\]: give one per style layer$"):
        losses.layer_weights(["a", "b"], {"a": 1.0})
