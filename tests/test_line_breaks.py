"""What a line never breaks inside (show/format.py UNBROKEN): pages wrap it in a nowrap span, Word runs join it."""
from __future__ import annotations

from docx import Document

from helpers.publish.docx import _unbroken
from helpers.show.format import WORD_JOINER, joined, unbroken_html


def test_pages_keep_figures_with_units_and_chart_numbers_together():
    page = ('<html><title>局2023年法治</title><style>p{x:1}</style><h1>局2023年法治</h1><p title="约5宗">每宗约1275.48元<sup>7</sup>'
            '，见图3；&#39;d23d28fe7861 x 5 4.1</p><a class="xref">图2</a><script>var a = "12宗";</script></html>')
    out = unbroken_html(page)
    for run in ["2023年", "约1275.48元", "图3"]:
        assert f'<span class="nb">{run}</span>' in out, run
    # scripts, styles, attribute values, entities, hashes and numbers alone (a 目录's 4.1) are left as they were
    assert out.count('<span class="nb">') == 3
    assert "<title>局2023年法治</title>" in out  # raw text: a span there would show in the browser's tab
    assert '"12宗"' in out and 'title="约5宗"' in out and "&#39;d23d28fe7861 x 5 4.1</p>" in out
    assert '<a class="xref">图2</a>' in out  # an element holding one run alone: style.css keeps it whole


def test_a_footnote_mark_stays_with_the_bracket_before_it():
    # after a claim's span ending in "）" (数据说明 printed "…14434宗）" with the mark "9" alone below), and
    # after a bracket in the text itself; a mark after a figure stays in its span.fig (nowrap) untouched
    page = ('<html><li><span data-claim="check:x">不成立（14434宗）</span><sup><a href="#src-9">9</a></sup></li>'
            '<p>（见图2）<sup><a href="#src-1">1</a></sup></p>'
            '<p><span class="fig">71.59%<sup><a href="#src-7">7</a></sup></span></p></html>')
    out = unbroken_html(page)
    assert ('不成立（<span class="nb">14434宗</span><span class="nb">）<sup><a href="#src-9">9</a></sup></span>'
            '</span></li>') in out
    assert '（见<span class="nb">图2</span><span class="nb">）<sup><a href="#src-1">1</a></sup></span></p>' in out
    assert '<span class="fig">71.59%<sup><a href="#src-7">7</a></sup></span>' in out


def test_word_runs_join_each_figure_and_mark_it_english():
    # a joiner where a Chinese breaker may break (before %, a unit, between 万 and 元, after 约 or 图), none inside
    # the number: a reader who copies or searches 434.12 in Word finds the number itself
    assert joined("得22.65%（509宗") == f"得22.65{WORD_JOINER}%（509{WORD_JOINER}宗"
    assert joined("约434.12万元，见图3") == f"约{WORD_JOINER}434.12{WORD_JOINER}万{WORD_JOINER}元，见图{WORD_JOINER}3"
    paragraph = Document().add_paragraph()
    runs = _unbroken(paragraph, "合计14434宗，却达成")
    # three runs: the words, the figure with its unit (joined, lang en-US), the words
    assert [r.text for r in runs] == ["合计", f"14434{WORD_JOINER}宗", "，却达成"]
    assert [r._r.xpath("./w:rPr/w:lang/@w:eastAsia") for r in runs] == [[], ["en-US"], []]
