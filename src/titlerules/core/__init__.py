"""Core layer: the one meaning of the policy language, shared by every backend.

* :mod:`titlerules.core.builtins`: each built-in function and operator declared once — its
  signature (read by the checker), its per-record implementation (the closures and the
  generated code), its leniency towards unknown arguments and its columnar lowering;
* :mod:`titlerules.core.nodes`: the resolved core IR — a checked policy's expressions with
  names, enum terms, parameters, record paths and ``as_of`` resolved and constants folded;
* :mod:`titlerules.core.lower`: the lowering from the checked IR (the one place names are
  resolved);
* :mod:`titlerules.core.trace`: the tracer protocol evaluation reports to.

The closure compiler, the code generator (:mod:`titlerules.engine`) and the Polars compiler
(:mod:`titlerules.batch`) all lower from the core IR.
"""
