"""Each check's message names the real cause of a wrong answer (#45): every test feeds the wrong answer it names
and reads the one line a student would read."""
from __future__ import annotations

import pytest
import torch

from nst_edu import grading
from nst_edu.losses import as_matrix, gram_matrix, style_layer_loss


def _texture_loop(lr: float, layers=lambda given: given, attached: bool = False):  # noqa: ANN001, ANN202
    """A student's texture loop with Adam at learning rate ``lr`` on ``layers(style_layers)``."""
    def reconstruct_style(model, style_image, style_layers, init, steps):  # noqa: ANN001, ANN202
        used = layers(list(style_layers))
        with torch.no_grad():
            A = {n: gram_matrix(F) for n, F in model(style_image, used).items()}
        x = init.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([x], lr=lr)
        for _ in range(steps):
            optimizer.zero_grad()
            loss = sum(style_layer_loss(F, A[n]) for n, F in model(x, used).items()) / len(used)
            loss.backward()
            optimizer.step()
        return x * 1.0 if attached else x.detach()
    return reconstruct_style


def test_adam_at_lr_0_01_is_told_the_optimiser_is_too_slow_not_that_layers_are_missing() -> None:
    result = grading.check_texture_synthesis(_texture_loop(0.01))
    assert not result.passed
    assert "the optimiser is too slow" in result.message and "Adam" in result.message
    assert "in the loss" not in result.message


def test_the_same_loop_at_lr_0_05_passes() -> None:
    assert grading.check_texture_synthesis(_texture_loop(0.05)).passed


def test_a_loop_that_leaves_a_layer_out_is_told_so() -> None:
    result = grading.check_texture_synthesis(_texture_loop(0.05, layers=lambda given: given[:-1]))
    assert not result.passed
    assert "is every layer of style_layers in the loss" in result.message and "conv3_1" in result.message


def test_a_texture_still_attached_to_the_graph_fails() -> None:
    result = grading.check_texture_synthesis(_texture_loop(0.05, attached=True))
    assert not result.passed and "without gradients" in result.message


def test_a_content_reconstruction_still_attached_to_the_graph_fails() -> None:
    def reconstruct_content(model, content_image, layer, init, steps):  # noqa: ANN001, ANN202
        with torch.no_grad():
            P = model(content_image, [layer])[layer]
        x = init.clone().requires_grad_(True)
        optimizer = torch.optim.LBFGS([x], max_iter=steps, max_eval=steps, line_search_fn="strong_wolfe")

        def closure():  # noqa: ANN202
            optimizer.zero_grad()
            loss = 0.5 * (model(x, [layer])[layer] - P).pow(2).sum()
            loss.backward()
            return loss

        optimizer.step(closure)
        return x  # "without gradients" forgotten
    result = grading.check_synthesis_loop(reconstruct_content)
    assert not result.passed and "without gradients" in result.message
    assert grading.check_synthesis_loop(lambda *a: reconstruct_content(*a).detach()).passed


@pytest.mark.filterwarnings("ignore:The use of `x.T`")  # torch's own warning for F.T on maps
def test_a_gram_matrix_for_matrices_only_is_told_to_accept_feature_maps() -> None:
    result = grading.check_gram_matrix(lambda F: F @ F.T)  # works on (N, M), not on (N, H, W)
    assert result.status == grading.FAILED
    assert "feature maps F of shape (N, H, W)" in result.message and "as_matrix" in result.message


def test_an_eq6_gradient_for_matrices_only_is_told_to_accept_feature_maps() -> None:
    def style_layer_loss_grad(F, A):  # noqa: ANN001, ANN202 - unpacks F.shape as (N, M)
        N, M = F.shape
        return (F.T @ (F @ F.T - A)).T / (N**2 * M**2) * (F > 0).to(F.dtype)
    result = grading.check_style_layer_loss_grad(style_layer_loss_grad)
    assert result.status == grading.FAILED  # not ERROR: the student reads the cause, not torch's words
    assert "feature maps F of shape (N, H, W) = (2, 3, 4)" in result.message and "as_matrix" in result.message
    right = lambda F, A: (style_layer_loss_grad(as_matrix(F), A).reshape(F.shape))  # noqa: E731
    assert grading.check_style_layer_loss_grad(right).passed


def test_a_total_variation_of_one_channel_is_told_to_sum_every_channel() -> None:
    def tv_loss(image):  # noqa: ANN001, ANN202 - the red channel only
        red = image[:, 0]
        return (red[:, 1:, :] - red[:, :-1, :]).pow(2).sum() + (red[:, :, 1:] - red[:, :, :-1]).pow(2).sum()
    result = grading.check_tv_loss(tv_loss)
    assert not result.passed and "only colour channel 0 is counted" in result.message


def test_a_style_layer_loss_for_matrices_only_is_told_to_accept_feature_maps() -> None:
    """Task 3 of assignment 1 says F may be feature maps (N, H, W); before #45 its check never gave it any."""
    def style_layer_loss(F, A):  # noqa: ANN001, ANN202 - unpacks F.shape as (N, M)
        N, M = F.shape
        return ((F @ F.T - A) ** 2).sum() / (4 * N**2 * M**2)
    result = grading.check_style_layer_loss(style_layer_loss)
    assert result.status == grading.FAILED and "feature maps F of shape (N, H, W) = (3, 4, 5)" in result.message
    assert grading.check_style_layer_loss(lambda F, A: style_layer_loss(as_matrix(F), A)).passed
