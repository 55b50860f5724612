"""The report's analyses: one module per section of ``report.qmd``.

Each module has a ``run()`` function that turns ``data/`` into that section's tables, numbers and figures (written
to ``figures/`` as PNG and SVG), so any figure can be regenerated without rendering the report, e.g.
``python -m analysis.published``.
"""
