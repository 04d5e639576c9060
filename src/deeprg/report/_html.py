"""HTML reports: one page per run (claims, verdicts, metrics, figures) and an index."""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import quote

from deeprg.report._figures import render_figure
from deeprg.utils import atomic_write_text

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em} td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5} .v{font-weight:600;padding:.15em .5em;border-radius:.3em;white-space:nowrap}
.supported{background:#d7f5dd;color:#145a24} .not-supported{background:#fbd9d9;color:#7a1616} .inconclusive{background:#fdf0c8;color:#6b5200}
figure{margin:1em 0;display:inline-block;max-width:100%} figure img{max-width:100%;border:1px solid #eee} figcaption{font-size:.85em;color:#555;max-width:640px}
code,pre{background:#f6f6f6;padding:.1em .3em;border-radius:.2em} pre{padding:.6em;overflow-x:auto;font-size:.85em}
.muted{color:#666;font-size:.9em} .invalid{background:#eee;color:#444}
ul.claims{margin:0;padding-left:0;list-style:none} ul.claims li{margin:.25em 0}
"""


#: The only verdicts a page shows, and their CSS classes. Anything else is shown as invalid.
VERDICT_CLASSES = {"supported": "supported", "not supported": "not-supported", "inconclusive": "inconclusive"}
_STATUS = {"finished", "running", "failed"}


def _esc(x) -> str:
    """Escape for HTML text and quoted attribute values (&, <, >, " and ')."""
    return html.escape(str(x), quote=True)


def _href(*parts: str) -> str:
    """A relative link: every path segment percent-encoded, so that no name can become a
    scheme (``javascript:``), a query or another folder."""
    return _esc("/".join(quote(str(p), safe="") for p in parts))


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.6g}"
    return _esc(x)


def _duration(seconds) -> str:
    """Run times for people: '0.9 s', '42 s', '3 min 05 s'."""
    if seconds is None:
        return "-"
    seconds = float(seconds)
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def _verdict(v) -> str:
    css = VERDICT_CLASSES.get(v) if isinstance(v, str) else None
    if css is None:
        return '<span class="v invalid">not a known verdict</span>'
    return f'<span class="v {css}">{_esc(v)}</span>'


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p class='muted'>(empty)</p>"
    cols = list(rows[0].keys())
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = ""
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            if isinstance(v, dict) and "value" in v:
                v = f"{v['value']:.4f} ± {v['error']:.4f}" if v.get("error") is not None else _fmt(v["value"])
            cells.append(f"<td>{_fmt(v) if not isinstance(v, str) else _esc(v)}</td>")
        body += "<tr>" + "".join(cells) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def render_run(out_dir, title: str, config_doc: dict, result) -> Path:
    """Write figures/ (PNG+SVG) and report.html for one run; returns the report path."""
    out = Path(out_dir)
    fig_dir = out / "figures"
    figs = []
    for spec in result.figures:
        files = render_figure(spec, fig_dir)
        figs.append((spec, files))
    claims = "".join(
        f"<tr><td>{_esc(c.claim)}<div class='muted'>Source: {_esc(c.source)}</div></td><td>{_esc(c.measurement)}</td>"
        f"<td>{_esc(c.comparison)}</td><td>{_verdict(c.verdict)}<div class='muted'>{_esc(c.reason)}</div></td></tr>"
        for c in result.claims
    )
    metrics = "".join(
        f"<tr><td><code>{_esc(k)}</code></td><td>{_fmt(m.get('value'))}</td><td>{_fmt(m.get('error'))}</td><td>{_fmt(m.get('exact'))}</td><td>{_esc(m.get('note', ''))}</td></tr>"
        for k, m in result.metrics.items()
    )
    tables = "".join(f"<h3>{_esc(name)}</h3>{_table(rows)}" for name, rows in result.tables.items())
    figures = "".join(
        f'<figure><img src="{_href("figures", Path(files["png"]).name)}" alt="{_esc(spec.title)}">'
        f'<figcaption><b>{_esc(spec.title)}</b>. {_esc(spec.caption)} <a href="{_href("figures", Path(files["svg"]).name)}">SVG</a></figcaption></figure>'
        for spec, files in figs
    )
    prov = config_doc.get("provenance", {})
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_esc(title)} - deeprg</title><style>{_CSS}</style></head>
<body>
<p class="muted"><a href="../index.html">All runs</a></p>
<h1>{_esc(title)}</h1>
<p>{_esc(result.summary)}</p>
<h2>Claims and verdicts</h2>
<table><tr><th>Claim tested</th><th>Measurement</th><th>Compared with</th><th>Verdict</th></tr>{claims}</table>
<h2>Figures</h2>
{figures}
<h2>Metrics</h2>
<table><tr><th>metric</th><th>value</th><th>error</th><th>exact</th><th>note</th></tr>{metrics}</table>
{tables}
<h2>Configuration and provenance</h2>
<p class="muted">deeprg {_esc(prov.get("deeprg_version"))}, git {_esc(prov.get("git_hash"))}, host {_esc(prov.get("host"))}, {_esc(prov.get("created_utc"))}, device {_esc(prov.get("device"))}</p>
<pre>{_esc(json.dumps(config_doc.get("config", {}), indent=2))}</pre>
<p class="muted">Timings (s): {_esc(json.dumps({k: round(v, 2) for k, v in config_doc.get("timings_seconds", {}).items()}))}</p>
</body></html>
"""
    path = out / "report.html"
    atomic_write_text(path, page)
    return path


def write_index(root) -> Path:
    """DIR/index.html listing every run folder under ``root`` with its verdicts."""
    root = Path(root)
    rows = ""
    for run in sorted(p for p in root.iterdir() if p.is_dir() and (p / "config.json").exists()):
        try:
            cfg = json.loads((run / "config.json").read_text())
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        if not isinstance(cfg, dict):
            continue
        status = cfg.get("status") if cfg.get("status") in _STATUS else "unknown"
        metrics: dict = {}
        if status == "finished":
            try:
                metrics = json.loads((run / "metrics.json").read_text())
            except (OSError, json.JSONDecodeError, UnicodeDecodeError):
                status = "unknown"
            if not isinstance(metrics, dict):
                metrics, status = {}, "unknown"
        claims = metrics.get("claims", [])
        claims = claims if isinstance(claims, list) else []
        verdicts = "".join(
            f"<li>{_verdict(c.get('verdict'))} "
            + (f"<code>{_esc(c['id'])}</code> " if c.get("id") else "")
            + f"{_esc(c.get('claim', ''))}</li>"
            if isinstance(c, dict)
            else f"<li>{_verdict(None)}</li>"
            for c in claims
        )
        verdicts = f"<ul class='claims'>{verdicts}</ul>" if verdicts else "-"
        timings = cfg.get("timings_seconds")
        total = timings.get("total") if isinstance(timings, dict) else None
        title = _esc(cfg.get("title", run.name))
        link = f"<a href='{_href(run.name, 'report.html')}'>{title}</a>" if status == "finished" else title
        rows += (
            f"<tr><td>{link}</td><td>{_esc(status)}</td>"
            f"<td>{_esc(metrics.get('preset', (cfg.get('config') or {}).get('preset', '')))}</td><td>{verdicts}</td>"
            f"<td>{_esc(metrics.get('summary', ''))}</td><td>{_duration(total if isinstance(total, float | int) else None)}</td></tr>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>deeprg runs</title><style>{_CSS}</style></head>
<body><h1>deeprg: what the evidence says</h1>
<p>Each run tests claims of Mehta & Schwab (2014), Lin, Tegmark & Rolnick (2017) and related work against exact results and classical RG.</p>
<table><tr><th>Experiment</th><th>Status</th><th>Preset</th><th>Claims and verdicts</th><th>Summary</th><th>Time</th></tr>{rows}</table>
</body></html>
"""
    path = root / "index.html"
    atomic_write_text(path, page)
    return path
