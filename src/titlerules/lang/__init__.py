"""Language layer: grammar -> parse tree -> IR; YAML spelling; checker; formatter.

No Lark type leaves this package.
"""
