"""Widgets: each renders the frozen view model it is given and posts messages up.

Widgets import only `views` (and `model` for types); they never compute, fetch or
reach into siblings. All text they show is wrapped in `rich.text.Text` without markup
parsing, so resource names are printed literally.
"""
