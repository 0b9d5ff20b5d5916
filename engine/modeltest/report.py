"""The coverage for people: a table for the terminal and one self-contained HTML file with every diagram
drawn by the bpmn-js viewer, reached elements and flows marked green and missed ones red, as Camunda's
process test coverage shows them. The viewer's script and styles are handed in (the web layer vendors
them), and written into the file, so it opens anywhere — from a CI artefact as well as from disk."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from engine.modeltest.coverage import Coverage

COVERED, MISSED = "dekking-geraakt", "dekking-gemist"


@dataclass(frozen=True)
class ViewerAssets:
    script: str  # bpmn-js navigated viewer (UMD: defines window.BpmnJS)
    styles: str  # its CSS


def percent_text(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " %"


def table(result: Coverage) -> str:
    """Per process and in total: reached/all elements, reached/all flows, and both together in percent;
    then what no scenario reached, by id and name, so the owner knows which scenario is missing."""
    rows = [("proces", "elementen", "stromen", "samen")]
    for process in result.models.processes:
        rows.append(_row(process.key, result.figures(process)))
    rows.append(_row("totaal", result.total()))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["Dekking: elementen en sequenceflows die de scenario's bereikten"]
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    for process in result.models.processes:
        missed = result.missed(process)
        if missed:
            lines.append(f"Niet bereikt in {process.key}: " + ", ".join(process.label(item) for item in missed))
    return "\n".join(lines)


def _row(name: str, figures: tuple[int, int, int, int]) -> tuple[str, str, str, str]:
    reached_elements, elements, reached_flows, flows = figures
    return (name, f"{reached_elements}/{elements}", f"{reached_flows}/{flows}",
            percent_text(Coverage.percent(figures)))


def html(result: Coverage, assets: ViewerAssets) -> str:
    diagrams, sections = [], []
    for path in sorted({p.file for p in result.models.processes}):
        processes = [p for p in result.models.processes if p.file == path]
        reached = [item for p in processes for item in result.covered(p, [*p.nodes, *p.flows])]
        missed = [item for p in processes for item in result.missed(p)]
        diagrams.append({"file": path.name, "xml": path.read_text(encoding="utf-8"),
                         "covered": reached, "missed": missed})
        sections.append(_section(result, path.name, processes))
    data = json.dumps(diagrams, ensure_ascii=False).replace("</", "<\\/")
    return PAGE.format(styles=assets.styles, table=_html_table(result), sections="\n".join(sections),
                       data=data, viewer=assets.script, script=SCRIPT, covered=COVERED, missed=MISSED,
                       total=percent_text(Coverage.percent(result.total())))


def _html_table(result: Coverage) -> str:
    rows = [_row(p.key, result.figures(p)) for p in result.models.processes]
    body = "".join(f"<tr><th scope=\"row\"><a href=\"#{escape(r[0])}\">{escape(r[0])}</a></th>"
                   + "".join(f"<td>{escape(cell)}</td>" for cell in r[1:]) + "</tr>" for r in rows)
    total = _row("totaal", result.total())
    foot = "<tr><th scope=\"row\">totaal</th>" + "".join(f"<td>{escape(c)}</td>" for c in total[1:]) + "</tr>"
    return ("<table><caption>Dekking per proces</caption><thead><tr><th scope=\"col\">proces</th>"
            "<th scope=\"col\">elementen</th><th scope=\"col\">sequenceflows</th><th scope=\"col\">samen</th>"
            f"</tr></thead><tbody>{body}</tbody><tfoot>{foot}</tfoot></table>")


def _section(result: Coverage, file: str, processes) -> str:
    parts = []
    for process in processes:
        missed = result.missed(process)
        items = "".join(f"<li>{escape(process.label(item))}</li>" for item in missed) or "<li>niets</li>"
        parts.append(f"<h2 id=\"{escape(process.key)}\">{escape(process.key)} — {escape(process.name)} "
                     f"({percent_text(Coverage.percent(result.figures(process)))})</h2>"
                     f"<details><summary>Niet bereikt ({len(missed)})</summary><ul>{items}</ul></details>")
    return f"<section>{''.join(parts)}<div class=\"diagram\" data-file=\"{escape(file)}\"></div></section>"


SCRIPT = """
(function () {
  'use strict';
  var diagrams = JSON.parse(document.getElementById('dekking-data').textContent);
  function mark(canvas, ids, marker) {
    ids.forEach(function (id) {
      try { canvas.addMarker(id, marker); } catch (ignored) { /* not drawn in this diagram */ }
    });
  }
  diagrams.forEach(function (diagram) {
    var container = document.querySelector('.diagram[data-file="' + diagram.file + '"]');
    var viewer = new window.BpmnJS({ container: container, height: 520 });
    viewer.importXML(diagram.xml).then(function () {
      var canvas = viewer.get('canvas');
      canvas.zoom('fit-viewport', 'auto');
      mark(canvas, diagram.covered, 'dekking-geraakt');
      mark(canvas, diagram.missed, 'dekking-gemist');
      container.setAttribute('data-rendered', 'true');
    }).catch(function (error) {
      container.textContent = 'Het diagram kon niet getoond worden (' + error.message + ').';
      container.setAttribute('data-rendered', 'error');
    });
  });
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<title>Modeltesten: dekking {total}</title>
<style>
{styles}
body {{ font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; }}
main {{ max-width: 80rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }}
table {{ border-collapse: collapse; margin: 1rem 0 2rem; }}
th, td {{ border-bottom: 1px solid #ccc; padding: .3rem .9rem; text-align: left; }}
caption {{ text-align: left; font-weight: bold; padding-bottom: .4rem; }}
.legenda span {{ display: inline-block; padding: 0 .5rem; margin-right: .6rem; border: 2px solid; }}
.legenda .geraakt {{ border-color: #1d6b34; background: #e7f4ea; }}
.legenda .gemist {{ border-color: #b3261e; background: #fbe9e7; }}
.diagram {{ border: 1px solid #ccc; height: 520px; margin-bottom: 2.5rem; }}
.diagram .{covered}:not(.djs-connection) .djs-visual > :first-child {{
  stroke: #1d6b34 !important; fill: #e7f4ea !important; }}
.diagram .{covered}.djs-connection .djs-visual > path {{ stroke: #1d6b34 !important; stroke-width: 2.5px !important; }}
.diagram .{missed}:not(.djs-connection) .djs-visual > :first-child {{
  stroke: #b3261e !important; fill: #fbe9e7 !important; stroke-dasharray: 4 2; }}
.diagram .{missed}.djs-connection .djs-visual > path {{ stroke: #b3261e !important; stroke-dasharray: 6 3; }}
</style>
</head>
<body>
<main>
<h1>Dekking van de modeltesten: {total}</h1>
<p class="legenda"><span class="geraakt">bereikt</span><span class="gemist">niet bereikt</span>
Elementen en sequenceflows die de scenario's in <code>tests/*.yaml</code> bereikten,
gelezen uit het auditspoor van de testrun.</p>
{table}
{sections}
</main>
<script type="application/json" id="dekking-data">{data}</script>
<script>{viewer}</script>
<script>{script}</script>
</body>
</html>
"""
