"""The front matter of a MyST-markdown chapter (as jupytext writes book/*.md), for the tiny
chapters that test_starters.py and test_student_edition.py build."""

MYST_HEADER = """\
---
jupytext:
  text_representation: {extension: .md, format_name: myst, format_version: 0.13}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

"""
