// The titlerules extension: the grammar and language configuration are declared in
// package.json; this starts `titlerules lsp` (setting titlerules.server.command) over stdio
// for .policy files (and the YAML/JSON policies titlerules.server.otherPolicies names).
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("titlerules");
  const [command, ...args] = settings.get("server.command", ["titlerules", "lsp"]);
  const documentSelector = [{ scheme: "file", language: "titlerules" }];
  for (const pattern of settings.get("server.otherPolicies", [])) {
    documentSelector.push({ scheme: "file", pattern });
  }
  client = new LanguageClient(
    "titlerules",
    "titlerules language server",
    { command, args, transport: TransportKind.stdio },
    { documentSelector }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
