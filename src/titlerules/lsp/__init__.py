"""The language server for policy files (``titlerules lsp``, extra ``[lsp]``).

:mod:`titlerules.lsp.analysis` answers an editor's questions about one policy text
(diagnostics, hover, definitions, references, symbols, completion, formatting, quick
fixes) with the checker, the formatter and the citation checks; :mod:`titlerules.lsp.server`
speaks the Language Server Protocol over standard input and output with pygls.  Nothing here
is imported by the rest of the package: pygls and lsprotocol are needed only to run it.
"""
