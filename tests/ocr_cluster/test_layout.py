"""Rows and blocks from line boxes."""

from ocr_cluster.fields import TextLine
from ocr_cluster.layout import Layout


def _line(text: str, box: tuple[int, int, int, int] | None, height: float | None = None):
    h = height if height is not None else (box[3] - box[1] if box else 20.0)
    return TextLine(text=text, height=h, box=box)


def test_pieces_of_a_printed_line_make_one_row():
    lines = [
        _line("Flores", (657, 205, 900, 327)),
        _line("Nossa", (847, 201, 1124, 338)),
        _line("Senhora de", (636, 349, 938, 461)),
        _line("Fatima", (913, 357, 1134, 453)),
    ]
    layout = Layout(lines)
    rows = layout.rows([0, 1, 2, 3])
    assert [layout.row_text(r) for r in rows] == ["Flores Nossa", "Senhora de Fatima"]
    assert layout.stacked(rows[0], rows[1])


def test_spaced_logo_letters_join_without_spaces():
    lines = [_line("n", (69, 559, 273, 725)), _line("O", (250, 573, 399, 717)),
             _line("g", (389, 567, 565, 764))]  # fmt: skip
    layout = Layout(lines)
    assert [layout.row_text(r) for r in layout.rows([0, 1, 2])] == ["nOg"]


def test_a_big_logo_beside_a_small_line_is_not_one_row():
    lines = [
        _line("CEASTEC", (183, 158, 392, 265)),
        _line("CEASTEC S/C LTDA.", (436, 151, 1120, 221)),
    ]
    layout = Layout(lines)
    assert len(layout.rows([0, 1])) == 2


def test_columns_do_not_stack():
    left = _line("Daniel Carlos", (609, 178, 936, 246))
    title = _line("Diretor Administrativo", (614, 238, 998, 287))
    other = _line("BELTIS", (218, 302, 479, 362))
    layout = Layout([left, title, other])
    assert layout.stacked([0], [1])
    assert not layout.stacked([1], [2])


def test_tilted_lines_with_overlapping_boxes_stack():
    lines = [_line("2 Kingdom Street", (1213, 1851, 2081, 2245), 127),
             _line("Paddington, London, W2 6BD", (1253, 1781, 2633, 2372), 134)]  # fmt: skip
    layout = Layout(lines)
    assert layout.stacked([0], [1])
    assert not layout.same_row(0, 1)


def test_lines_without_boxes_stack_in_reading_order():
    layout = Layout([_line("a", None), _line("b", None), _line("c", None)])
    assert layout.stacked([0], [1]) and not layout.stacked([0], [2])
