"""The review report's stylesheet and script (``report.css``, ``report.js``): package data
that :mod:`cleaners.run.report` inlines into every page, so the page stays one self-contained file."""
