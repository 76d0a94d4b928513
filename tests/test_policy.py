"""policy.svg_problem's bound on what an SVG draws: each element counted as often as a
render draws it, through <use>, patterns, markers and clip paths; circles refused.

The bound (MAX_SVG_DRAWN, 200,000) and its measurement are in policy.py; the hostile
case r005-svg-use-bomb is the reported 2 KB file that drew 10^10 rectangles."""

from samizdat.source import policy

HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'


def svg(body):
    return (HEAD + body + "</svg>").encode()


def nested_uses(levels, fan=10, href="href"):
    """A group of `fan` uses of the group before, `levels` deep: draws fan**levels."""
    groups = ['<g id="a0"><rect width="1" height="1"/></g>']
    groups += [f'<g id="a{i}">' + f'<use {href}="#a{i - 1}"/>' * fan + "</g>"
               for i in range(1, levels + 1)]
    return svg("<defs>" + "".join(groups) + f'</defs><use {href}="#a{levels}"/>')


def test_a_figure_of_real_size_passes():
    assert policy.svg_problem(nested_uses(4)) == ""  # 10,000 rectangles
    assert policy.svg_problem(svg('<rect width="1" height="1"/>' * 50_000)) == ""


def test_nested_uses_are_counted_as_drawn():
    for href in ("href", "xlink:href"):
        assert "draws more than 200,000" in policy.svg_problem(nested_uses(10, href=href))


def test_a_use_that_draws_itself_is_refused():
    assert "circle" in policy.svg_problem(svg('<use id="u" href="#u"/>'))
    assert "circle" in policy.svg_problem(svg('<g id="g"><use href="#g"/></g>'))
    assert "circle" in policy.svg_problem(svg(
        '<defs><g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g></defs>'
        '<use href="#a"/>'))


def test_a_pattern_drawing_itself_is_refused():
    assert "circle" in policy.svg_problem(svg(
        '<defs><pattern id="p" width="1" height="1"><rect fill="url(#p)"/></pattern>'
        '</defs><rect fill="url(#p)" width="9" height="9"/>'))


def test_patterns_and_clip_paths_count_what_they_draw():
    """A pattern of 1,000 shapes filling 300 rectangles draws 300,000 shapes."""
    pattern = ('<defs><pattern id="p" width="1" height="1">'
               + '<rect width="1" height="1"/>' * 1000 + '</pattern></defs>')
    assert "draws more" in policy.svg_problem(svg(pattern + '<rect fill="url(#p)"/>' * 300))
    assert policy.svg_problem(svg(pattern + '<rect fill="url(#p)"/>' * 100)) == ""
    clip = '<defs><clipPath id="c">' + "<rect/>" * 1000 + "</clipPath></defs>"
    assert "draws more" in policy.svg_problem(svg(clip + '<g style="clip-path: url(#c)"/>'
                                                  * 300))


def test_markers_count_once_per_vertex():
    """A marker of 1,000 shapes on a path of 300 vertices draws 300,000 shapes."""
    marker = '<defs><marker id="m">' + "<circle r='1'/>" * 1000 + "</marker></defs>"
    path = "M0 0" + " L1 1" * 300
    assert "draws more" in policy.svg_problem(svg(marker + f'<path d="{path}" '
                                                  'marker-mid="url(#m)"/>'))
    assert policy.svg_problem(svg(marker + '<path d="M0 0 L1 1" marker-end="url(#m)"/>')) == ""


def test_a_long_chain_of_references_does_not_overflow_the_stack():
    chain = "".join(f'<g id="g{i}"><use href="#g{i + 1}"/></g>' for i in range(20_000))
    assert policy.svg_problem(svg("<defs>" + chain + '<g id="g20000"/></defs>'
                                  '<use href="#g0"/>')) == ""


def test_inline_svg_is_bounded_too():
    """Read from the pieces pandoc passes on (one tag each), xlink:href as written."""
    pieces = [p for p in nested_uses(10, href="xlink:href").decode().replace(">", ">\0")
              .split("\0") if p]
    small = nested_uses(2).decode()
    found = policy.inline_svg_problems([small, "<p>", *pieces])
    assert [(n, "draws more" in why) for n, why in found] == [(2, True)]


def test_a_link_to_its_own_group_is_no_circle():
    assert policy.svg_problem(svg('<g id="top"><a href="#top"><rect/></a></g>')) == ""
