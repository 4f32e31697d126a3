"""The PDF brief: every figure's smallest text at ``MIN_PRINT_PT`` or more on A4 and Letter.

Figures record their smallest font when saved (``figures.save``); the brief sizes each one
from its pixels, dpi and that font (``brief.printed_figure``). The real report's PDF is read
back (pdfplumber) in tests/test_browser.py.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from test_publish import small_results  # noqa: E402

from marketlib import brief, figures  # noqa: E402


def _figure(folder, name: str, size: tuple[float, float], font: float):
    fig, ax = plt.subplots(figsize=size, dpi=100)
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=font)
    ax.set_title("t", fontsize=font + 2)
    path = figures.save(fig, folder, name)
    plt.close(fig)
    return path


def test__save_records_the_smallest_font(tmp_path):
    path = _figure(tmp_path, "f", (6, 3), 8.5)
    with Image.open(path) as im:
        assert float(im.info[figures.MIN_FONT_KEY]) == 8.5


@pytest.mark.parametrize(
    ("size", "font", "own_page", "legible"),
    [
        ((6, 3), 11, False, True),  # fits the column at its own size
        ((8, 4.5), 11, False, True),  # shrunk to 3.1 in high: 11 pt prints at about 7.6 pt
        ((8, 4.5), 8, False, True),  # shrinking would print 5.5 pt: it grows instead
        ((8, 11), 9.5, True, True),  # a tall figure gets its own page
        ((8, 30), 9, None, False),  # too tall even for a page at 7 pt: not printed
    ],
)
def test__each_figure_prints_its_smallest_text_at_7_pt(tmp_path, size, font, own_page, legible):
    fig = brief.printed_figure(_figure(tmp_path, "f", size, font))
    assert fig.legible is legible
    assert own_page is None or fig.own_page is own_page
    assert fig.width_in <= brief.BOX_WIDTH_IN + 1e-9
    assert fig.height_in <= brief.FULL_PAGE_FIGURE_IN + 1e-9
    if legible:
        assert fig.min_font_pt >= brief.MIN_PRINT_PT - 1e-6
        assert own_page or fig.height_in <= brief.INLINE_MAX_IN
    else:
        assert fig.min_font_pt < brief.MIN_PRINT_PT


def test__the_brief_sizes_figures_and_says_which_it_could_not_print(tmp_path):
    _figure(tmp_path / "figures", "summary_adjusted_ratios", (8, 4.5), 8)
    _figure(tmp_path / "figures", "arbitrage_countries", (8, 30), 9)
    page = brief.brief_html(small_results(), tmp_path)
    want = brief.printed_figure(tmp_path / "figures" / "summary_adjusted_ratios.png")
    assert f'width="{round(want.width_in * 96)}"' in page
    assert page.count("<img") == 1
    assert "Pay by country within each group: too large to print legibly" in page
    assert "it is in the HTML report" in page
