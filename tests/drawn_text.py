"""What a reader sees of a figure's text, measured on the drawing (Agg): labels that collide or leave the picture."""
from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg


def text_problems(fig) -> list[str]:
    """Every pair of visible texts whose boxes overlap (touching counts), and every text outside the figure."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontsize"))
             if t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    width, height = canvas.get_width_height()
    problems = []
    for k, (text, box) in enumerate(boxes):
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            problems.append(f"{text!r} leaves the figure")
        problems += [f"{text!r} overlaps {other!r}" for other, box2 in boxes[k + 1:] if box.overlaps(box2)]
    return problems
