"""The language server over standard input and output (pygls): ``titlerules lsp``.

Each open policy (``.policy``, ``.yaml``, ``.yml``, ``.json``) is checked on open and on
every change, as ``titlerules lint`` checks it; its diagnostics, and those of the files it
imports, are published and cleared when fixed.  Changes that arrive while a check runs are
checked together, once: the text checked is always the newest.  The requests are answered by
:mod:`titlerules.lsp.analysis`; while a text does not parse, hover, completion and
definitions use the last version of it that did.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from titlerules._version import __version__
from titlerules.lsp.analysis import (
    Analysis,
    analyse,
    completion,
    definition,
    formatting,
    hover,
    internal_error,
    protocol_diagnostics,
    quick_fixes,
    references,
    symbols,
)


class PolicyServer(LanguageServer):
    """The server, with what it keeps per document: the last analysis, the last one that
    parsed, and the files it published diagnostics for (to clear them)."""

    def __init__(self) -> None:
        super().__init__("titlerules", __version__)
        self.analyses: dict[str, Analysis] = {}
        self.parsed: dict[str, Analysis] = {}
        self.published: dict[str, set[str]] = {}
        self.pending: set[str] = set()

    def schedule(self, uri: str) -> None:
        """Check the document once the changes already received are applied."""
        if uri not in self.pending:
            self.pending.add(uri)
            asyncio.get_running_loop().call_soon(self.flush, uri)

    def flush(self, uri: str) -> None:
        if uri in self.pending:
            self.pending.discard(uri)
            if uri in self.workspace.text_documents:
                self.refresh(uri)

    def path_of(self, uri: str) -> Path:
        return Path(to_fs_path(uri) or uri)

    def refresh(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        path = self.path_of(uri)
        try:
            analysis = analyse(path, document.source)
        except Exception as exc:  # a bug in titlerules: say so in the editor, keep serving
            analysis = Analysis(path, document.source, None, [internal_error(exc, path)])
        self.analyses[uri] = analysis
        if analysis.resolved is not None:
            self.parsed[uri] = analysis
        by_file = protocol_diagnostics(analysis)
        sent: set[str] = set()
        open_documents = self.workspace.text_documents
        for file, found in by_file.items():
            target = uri if file == str(analysis.path) else (from_fs_path(file) or file)
            if target != uri and target in open_documents:
                continue  # an open file has its own diagnostics, of the text the editor holds
            sent.add(target)
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(
                    uri=target, diagnostics=found, version=document.version
                )
                if target == uri
                else lsp.PublishDiagnosticsParams(uri=target, diagnostics=found)
            )
        for stale in self.published.get(uri, set()) - sent:
            if stale in open_documents and stale != uri:
                continue
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=stale, diagnostics=[])
            )
        self.published[uri] = sent

    def analysis(self, uri: str) -> tuple[Analysis, Analysis | None]:
        """The document's current analysis, and the last one that parsed."""
        if uri not in self.analyses or uri in self.pending:
            self.pending.discard(uri)
            self.refresh(uri)
        return self.analyses[uri], self.parsed.get(uri)


def build() -> PolicyServer:
    server = PolicyServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PolicyServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PolicyServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PolicyServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PolicyServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.pending.discard(uri)
        for target in ls.published.pop(uri, set()):
            ls.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=target, diagnostics=[])
            )
        ls.analyses.pop(uri, None)
        ls.parsed.pop(uri, None)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: PolicyServer, params: lsp.HoverParams) -> lsp.Hover | None:
        current, parsed = ls.analysis(params.text_document.uri)
        resolved = parsed.resolved if parsed is not None else None
        text = hover(current, resolved, params.position)
        if text is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: PolicyServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        current, parsed = ls.analysis(params.text_document.uri)
        return definition(current, parsed.resolved if parsed else None, params.position)

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def on_references(ls: PolicyServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        current, parsed = ls.analysis(params.text_document.uri)
        return references(
            current,
            parsed.resolved if parsed else None,
            params.position,
            params.context.include_declaration,
        )

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(ls: PolicyServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        current, _ = ls.analysis(params.text_document.uri)
        return symbols(current)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
    def on_completion(ls: PolicyServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        current, parsed = ls.analysis(params.text_document.uri)
        items = completion(current, parsed.resolved if parsed else None, params.position)
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(
        ls: PolicyServer, params: lsp.DocumentFormattingParams
    ) -> list[lsp.TextEdit] | None:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        return formatting(ls.path_of(uri), document.source)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    def on_code_action(ls: PolicyServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        return quick_fixes(uri, document.source, list(params.context.diagnostics))

    return server


def main() -> None:
    """Serve over standard input and output until the client says exit."""
    build().start_io()
