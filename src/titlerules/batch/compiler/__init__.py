"""batch layer: the columnar compiler — a policy's core IR as Polars expressions.

:mod:`~titlerules.batch.compiler.columnar` puts it together from
:mod:`~titlerules.batch.compiler.core` (rules, records, operators),
:mod:`~titlerules.batch.compiler.functions` (built-ins, as the table of built-ins says),
:mod:`~titlerules.batch.compiler.lists` (list methods), with the values of
:mod:`~titlerules.batch.compiler.values`, the folded date steps of
:mod:`~titlerules.batch.compiler.steps` and the missing-fact masks of
:mod:`~titlerules.batch.compiler.masks`.  Reading and writing tables is the rest of
:mod:`titlerules.batch` (``io``, ``table``, ``schema``, ``command``); running a compiled
policy over a table is :mod:`titlerules.batch.runner`.
"""
