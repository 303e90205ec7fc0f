"""Analytic core of Prossima: pure Python, never imports Django."""
