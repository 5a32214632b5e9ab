"""Decision logs an auditor can replay (a use of the engine).

A log is JSON Lines: one decision per line, appended as it is made.  Each entry holds what
is needed to make the decision again and to tell whether it would come out the same::

    {"format": "titlerules-decision-log", "version": 2,
     "logged_at": "2024-07-12T09:30:00+08:00", "source": "li-hua.yaml: applicant",
     "policy_id": "eryuan-2024", "policy_sha256": "…",
     "policy_source": "policies/eryuan-2024.policy",
     "engine_version": "0.1.0", "calendar_version": "holidays-…", "as_of": "2024-07-12",
     "redacted": true, "record": {"applicant": {…}}, "decision": {…},
     "prev": "<hash of the entry before, or 64 zeros>", "hash": "<sha256 of this entry>"}

The entries form a hash chain (docs/decision-log.md): ``hash`` is the sha256 of the entry's
canonical JSON without ``hash``, ``prev`` is the ``hash`` of the entry before it.  An entry
deleted, moved, copied or edited breaks the chain where it happened; the last entry's hash,
the log's *head*, published elsewhere, vouches for the whole file (a rewrite of the chain
from some entry to the end keeps it consistent, but not its head).  Version 1 logs have no
chain: they replay, but are reported as unverifiable.

Names and ID numbers are masked by default (:mod:`titlerules.redact`): a log is a record
of decisions, not a copy of the personnel files.  On replay a masked ID number is left
out of the record (no bundled policy reads it); pass ``redact=False`` to keep personal
data in a log whose policy does read it.

:func:`replay` evaluates every entry again against the current policy, with the entry's
own as-of date, and reports each entry whose decision changed, saying whether the policy
(its sha256), the engine or the calendar data changed since.  An entry logged under another
version of the policy is a difference unless ``allow_policy_change``.  The policy an entry
names is loaded only from the bundled ``policies/`` folder or a folder given in
``policy_dirs``: a log does not choose which file is run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import to_jsonable_python

from titlerules._version import __version__
from titlerules.argcheck import checked
from titlerules.engine.decision import Decision, RuleResult
from titlerules.engine.policy import Policy, load_policy
from titlerules.errors import (
    DecisionLogError,
    InputFileError,
    Location,
    TitleRulesError,
)
from titlerules.facts import Applicant, Procedure, dump_record, parse_record
from titlerules.lang.loader import POLICY_SUFFIXES
from titlerules.readers import json_error
from titlerules.redact import (
    MASK,
    PERSONAL_FIELDS,
    ROOT_MODELS,
    field_model,
    personal_values_of_record,
    redact_decision,
    redact_record,
    redact_text,
)
from titlerules.resources import policies_dir
from titlerules.uniquekeys import DuplicateJSONKeyError, loads_json

__all__ = [
    "LOG_FORMAT",
    "LOG_VERSION",
    "ChainReport",
    "DecisionLog",
    "EntryReplay",
    "LogEntry",
    "ReplayReport",
    "read_log",
    "replay",
    "verify_chain",
]

LOG_FORMAT = "titlerules-decision-log"
LOG_VERSION = 2
#: ``prev`` of a log's first entry, and the head of an empty log.
GENESIS = "0" * 64
#: Longest line read from a log (one entry), in bytes.
MAX_LINE_BYTES = 16 * 1024 * 1024


class LogEntry(BaseModel):
    """One line of a decision log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["titlerules-decision-log"] = "titlerules-decision-log"
    version: Literal[1, 2] = 2
    logged_at: dt.datetime
    source: str | None = None
    policy_id: str
    policy_sha256: str
    policy_source: str | None = None
    engine_version: str
    calendar_version: str
    as_of: dt.date | None
    redacted: bool
    record: dict[str, Any]
    decision: Decision
    prev: str | None = None
    hash: str | None = None


def entry_hash(data: Mapping[str, Any]) -> str:
    """The sha256 of an entry as JSON (``hash`` left out): sorted keys, no spaces, ASCII, so
    that it is the same whether computed from the entry written or from the line read."""
    body = {key: value for key, value in data.items() if key != "hash"}
    text = json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# ---------------------------------------------------------------- writing


class DecisionLog:
    """Appends decisions to a JSON Lines file; names and ID numbers masked unless
    ``redact=False``.  Use as a context manager, or call :meth:`close`::

        with DecisionLog("decisions.jsonl") as log:
            decision = log.evaluate(policy, record)
    """

    @checked
    def __init__(self, path: str | Path, *, redact: bool = True) -> None:
        self.path = Path(path)
        self.redact = redact
        #: The hash of the last entry: the log's head, to publish.
        self.head = _last_hash(self.path)
        #: How many entries this object has appended.
        self.written = 0
        try:
            self._file: IO[str] = self.path.open("a", encoding="utf-8", newline="\n")
        except OSError as exc:
            raise InputFileError(
                f"cannot write the decision log: {exc.strerror}",
                location=Location(file=str(self.path)),
                hint="check that the folder exists and can be written",
            ) from None

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def evaluate(
        self,
        policy: Policy,
        record: BaseModel | Mapping[str, Any],
        *,
        as_of: dt.date | None = None,
        source: str | None = None,
    ) -> Decision:
        """Decide ``record`` and log the decision; returns the decision (not masked)."""
        model = _as_model(record)
        decision = policy.evaluate(model, as_of=as_of)
        self.write(policy, model, decision, source=source)
        return decision

    def write(
        self,
        policy: Policy,
        record: BaseModel,
        decision: Decision,
        *,
        source: str | None = None,
    ) -> LogEntry:
        """Log a decision already made for ``record`` by ``policy``."""
        if not isinstance(record, Applicant | Procedure):
            raise DecisionLogError(
                f"cannot log a decision about a {type(record).__name__}",
                hint="decisions are about applicants and procedures",
                code="TR501",
            )
        data = dump_record(record)
        if self.redact:
            if source is not None:  # a file is often named after its person or ID number
                source = redact_text(source, personal_values_of_record(data))
            data = redact_record(data)
            decision = redact_decision(decision)
        receipt = decision.receipt
        entry = LogEntry(
            logged_at=dt.datetime.now(dt.UTC).astimezone(),
            source=source,
            policy_id=receipt.policy_id,
            policy_sha256=receipt.policy_sha256,
            policy_source=str(Path(policy.resolved.path).resolve()),
            engine_version=receipt.engine_version,
            calendar_version=receipt.calendar_version,
            as_of=receipt.as_of,
            redacted=self.redact,
            record=data,
            decision=decision,
            prev=self.head,
        )
        data = entry.model_dump(mode="json")
        data["hash"] = entry_hash(data)
        entry = entry.model_copy(update={"hash": data["hash"]})
        line = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a file name with undecodable bytes: escape, lose nothing
            line = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
        self._file.write(line + "\n")
        self._file.flush()
        self.head = data["hash"]
        self.written += 1
        return entry


def _last_hash(path: Path) -> str:
    """The hash the next entry of the log at ``path`` chains to: its last entry's, or
    :data:`GENESIS` for a new or empty log.

    The whole chain is checked first, as ``replay`` checks it (each entry against its hash
    and against the entry before it), reading each line as JSON only: a log whose chain does
    not verify, or an unchained (version 1) log, is not continued, since the new entries
    would vouch for it (TR501)."""
    try:
        handle = path.open("rb")
    except OSError:
        return GENESIS  # none yet; or opening it for appending says why, as the log's error
    file = str(path)
    expected = GENESIS
    hint = "check the log with 'titlerules replay'; write new decisions to a new log file"
    with handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if not raw.strip():
                continue
            where = Location(file=file, line=number)
            if len(raw) > MAX_LINE_BYTES:
                raise DecisionLogError(
                    f"line longer than {MAX_LINE_BYTES} bytes",
                    location=where,
                    hint=hint,
                    code="TR501",
                )
            data = _parse_json_line(raw, where)
            if data.get("version") == 1:
                raise DecisionLogError(
                    "cannot append to an unchained (version 1) decision log",
                    location=where,
                    hint="write new decisions to a new log file; keep the old one as it is",
                    code="TR501",
                )
            problem = None
            if data.get("hash") != entry_hash(data):
                problem = "the entry does not match its hash: it was edited after it was written"
            elif data.get("prev") != expected:
                problem = (
                    "the entry does not follow the one before it: entries were deleted, "
                    "moved or added"
                )
            if problem is not None:
                raise DecisionLogError(
                    f"cannot append to a log whose chain does not verify: {problem}",
                    location=where,
                    hint=hint,
                    code="TR501",
                )
            expected = str(data["hash"])
    return expected


def _as_model(record: BaseModel | Mapping[str, Any]) -> BaseModel:
    if isinstance(record, BaseModel):
        return record
    if len(record) == 1 and "procedure" in record:
        return parse_record(Procedure, record["procedure"], path="procedure")
    if len(record) == 1 and "applicant" in record:
        return parse_record(Applicant, record["applicant"], path="applicant")
    return parse_record(Applicant, record, path="applicant")


# ---------------------------------------------------------------- reading


@checked
def read_log(path: str | Path) -> Iterator[tuple[int, LogEntry]]:
    """(line number, entry) for every entry of a log, in order; blank lines are skipped.

    Raises :class:`DecisionLogError` at the first line that is not a log entry, with
    ``file:line`` and the field at fault.  The chain is not checked: :func:`verify_chain`.
    """
    for number, (_data, entry) in _read_lines(path):
        yield number, entry


def _read_lines(path: str | Path) -> Iterator[tuple[int, tuple[dict[str, Any], LogEntry]]]:
    file = str(path)
    try:
        handle = Path(path).open("rb")
    except FileNotFoundError:
        raise InputFileError(
            "no such decision log",
            location=Location(file=file),
            hint="give the file written by 'titlerules check --log FILE'",
        ) from None
    except IsADirectoryError:
        raise InputFileError(
            "is a folder, not a decision log",
            location=Location(file=file),
            hint="give the .jsonl file written by 'titlerules check --log FILE'",
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"cannot read: {exc.strerror}",
            location=Location(file=file),
            hint="check the file's permissions",
        ) from None
    with handle:
        number = 0
        while True:
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            where = Location(file=file, line=number)
            if not raw.strip():
                continue
            if len(raw) > MAX_LINE_BYTES:
                raise DecisionLogError(
                    f"line longer than {MAX_LINE_BYTES} bytes",
                    location=where,
                    hint="a log holds one decision per line; is this a decision log?",
                    code="TR501",
                )
            yield number, _parse_line(raw, where)


def _entries(path: str | Path) -> Iterator[tuple[int, LogEntry, str]]:
    """(line number, entry, the hash its content has) for every entry of a log."""
    for number, (data, entry) in _read_lines(path):
        yield number, entry, entry_hash(data)


def _parse_json_line(raw: bytes, where: Location) -> dict[str, Any]:
    """A log line as JSON: an object of the log's format (not yet checked as an entry)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecisionLogError(
            f"not UTF-8 text (byte {exc.start})",
            location=where,
            hint="a decision log is UTF-8 JSON Lines written by titlerules",
        ) from None
    try:
        data = loads_json(text)  # the one JSON reader: keys twice, lone surrogates refused
    except DuplicateJSONKeyError as exc:  # which of the two the entry says is ambiguous
        found = json_error(exc, text, where.file, first_line=where.line)
        raise DecisionLogError(
            found.message,
            location=found.location,
            hint="titlerules writes each key of an entry once; was the line edited?",
        ) from None
    except json.JSONDecodeError as exc:
        raise DecisionLogError(
            f"not JSON: {exc.msg}",
            location=where,
            hint="each line of a decision log is one JSON object; was the line cut short?",
        ) from None
    except ValueError as exc:  # nested too deeply, a lone surrogate, a number too long
        found = json_error(exc, text, where.file, first_line=where.line, label="not JSON")
        raise DecisionLogError(
            found.message,
            location=where,
            hint="a decision log is UTF-8 JSON Lines written by titlerules; was the line edited?",
        ) from None
    if not isinstance(data, dict) or data.get("format") != LOG_FORMAT:
        raise DecisionLogError(
            "not a titlerules decision log entry",
            location=where,
            hint=f'each entry is a JSON object with "format": "{LOG_FORMAT}"',
            code="TR501",
        )
    return data


def _parse_line(raw: bytes, where: Location) -> tuple[dict[str, Any], LogEntry]:
    data = _parse_json_line(raw, where)
    try:
        return data, LogEntry.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        place = ".".join(str(p) for p in first["loc"])
        raise DecisionLogError(
            f"invalid entry: {first['msg']}",
            location=Location(file=where.file, line=where.line, record_path=place),
            hint="the entry was changed after it was written; take the line from the original log",
            code="TR501",
        ) from None
    except RecursionError:
        raise DecisionLogError(
            "nested too deeply to read",
            location=where,
            hint="a decision log is UTF-8 JSON Lines written by titlerules",
            code="TR501",
        ) from None


# ---------------------------------------------------------------- the chain


@dataclass
class ChainReport:
    """Whether a log's entries are the ones written, in the order written.

    ``status`` is ``"verified"`` (every entry matches its hash and follows the one before;
    against ``head`` too when one was given), ``"broken"`` (``breaks`` says where) or
    ``"unverifiable"`` (a version 1 log: no chain to check, so nothing is vouched for).
    """

    status: Literal["verified", "broken", "unverifiable"]
    head: str
    entries: int
    breaks: list[tuple[int | None, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "head": self.head,
            "entries": self.entries,
            "breaks": [{"line": line, "problem": problem} for line, problem in self.breaks],
        }


@checked
def verify_chain(log_path: str | Path, *, head: str | None = None) -> ChainReport:
    """Check the hash chain of a decision log, and its head against a published ``head``."""
    return _verify(((line, entry, digest) for line, entry, digest in _entries(log_path)), head)


def _verify(entries: Iterator[tuple[int, LogEntry, str]], head: str | None) -> ChainReport:
    breaks: list[tuple[int | None, str]] = []
    expected, previous_line = GENESIS, 0
    count = chained = 0
    seen: dict[str, int] = {}
    for line, entry, digest in entries:
        count += 1
        if entry.version == 1:
            if chained:
                breaks.append((line, "an unchained (version 1) entry inside a chained log"))
            continue
        if chained == 0 and count > 1:
            breaks.append((line, "chained entries after unchained (version 1) ones"))
        chained += 1
        if entry.hash != digest:
            breaks.append((line, "the entry does not match its hash: edited after it was written"))
        if entry.prev != expected:
            breaks.append((line, _link_problem(entry, expected, previous_line, seen)))
        expected, previous_line = entry.hash or digest, line
        seen.setdefault(expected, line)
    if chained == 0 and count:
        return ChainReport("unverifiable", GENESIS, count, breaks)
    if head is not None and head.strip().lower() != expected:
        wanted = head.strip().lower()
        where = seen.get(wanted)
        if where is not None:
            problem = (
                f"the published head {wanted[:12]} is line {where}: "
                "the entries after it were added since"
            )
        else:
            problem = (
                f"the head is {expected[:12]}, the published head {wanted[:12]} is not in the "
                "log: entries at its end were removed or rewritten"
            )
        breaks.append((None, problem))
    return ChainReport("broken" if breaks else "verified", expected, count, breaks)


def _link_problem(entry: LogEntry, expected: str, previous: int, seen: dict[str, int]) -> str:
    if entry.prev is None:
        return "the entry has no 'prev': it is not part of the chain"
    if expected == GENESIS:
        return "the first entry follows another entry: entries before it are missing"
    if entry.prev == GENESIS:
        return f"the entry starts a new chain after line {previous}: another log appended?"
    earlier = seen.get(entry.prev)
    if earlier is not None:
        return f"the entry follows line {earlier}, not line {previous}: entries moved or copied"
    return (
        f"the entry does not follow line {previous}: "
        "an entry between them deleted, or the entries moved"
    )


# ---------------------------------------------------------------- replay


@dataclass
class EntryReplay:
    """The replay of one log entry."""

    line: int
    source: str | None
    record: str | None
    status: Literal["same", "changed", "error"]
    recorded_sha256: str
    current_sha256: str | None
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    old_outcome: str | None = None
    new_outcome: str | None = None

    @property
    def policy_changed(self) -> bool:
        return self.current_sha256 is not None and self.current_sha256 != self.recorded_sha256

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "source": self.source,
            "record": self.record,
            "status": self.status,
            "old_outcome": self.old_outcome,
            "new_outcome": self.new_outcome,
            "policy_changed": self.policy_changed,
            "recorded_sha256": self.recorded_sha256,
            "current_sha256": self.current_sha256,
            "changes": self.changes,
            "notes": self.notes,
            "error": self.error,
        }


@dataclass
class ReplayReport:
    """Every entry of a log, replayed."""

    log: str
    entries: list[EntryReplay]
    chain: ChainReport | None = None
    allow_policy_change: bool = False

    @property
    def differences(self) -> list[EntryReplay]:
        """Entries whose decision changed, that could not be evaluated again, or (unless
        ``allow_policy_change``) that were logged under another version of the policy."""
        return [
            e
            for e in self.entries
            if e.status != "same" or (e.policy_changed and not self.allow_policy_change)
        ]

    @property
    def verified(self) -> bool:
        """The chain holds (and matches the published head, when given)."""
        return self.chain is not None and self.chain.status == "verified"

    @property
    def policy_changed(self) -> int:
        return sum(1 for e in self.entries if e.policy_changed)

    def as_json(self) -> dict[str, Any]:
        return {
            "log": self.log,
            "entries": len(self.entries),
            "differences": len(self.differences),
            "policy_changed": self.policy_changed,
            "chain": self.chain.as_json() if self.chain is not None else None,
            "engine_version": __version__,
            "changed": [e.as_json() for e in self.differences],
        }


@checked
def replay(
    log_path: str | Path,
    *,
    policy: Policy | str | Path | None = None,
    head: str | None = None,
    allow_policy_change: bool = False,
    policy_dirs: Sequence[str | Path] = (),
) -> ReplayReport:
    """Verify the chain of a decision log, evaluate every entry again and compare.

    ``policy`` is the policy to replay against (a loaded :class:`Policy`, a bundled id or a
    file); by default each entry's own ``policy_source`` file when it lies in the bundled
    ``policies/`` folder or one of ``policy_dirs``, else the bundled policy of its
    ``policy_id``.  Each entry is evaluated as of its recorded as-of date.  ``head`` is a
    published digest the log's last entry must have.
    """
    fixed = load_policy(policy) if isinstance(policy, str | Path) else policy
    folders = [policies_dir().resolve(), *(Path(d).resolve() for d in policy_dirs)]
    loaded: dict[str, Policy | TitleRulesError] = {}
    results: list[EntryReplay] = []
    read: list[tuple[int, LogEntry, str]] = []

    def entries() -> Iterator[tuple[int, LogEntry, str]]:
        for item in _entries(log_path):
            read.append(item)
            yield item

    chain = _verify(entries(), head)
    for line, entry, _digest in read:
        current = fixed if fixed is not None else _policy_for(entry, loaded, folders)
        results.append(_replay_entry(line, entry, current))
    return ReplayReport(str(log_path), results, chain, allow_policy_change)


_BUNDLED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


def _logged_policy_file(entry: LogEntry, folders: list[Path]) -> Path | str:
    """The file an entry's policy is loaded from: its ``policy_source`` when that lies in one
    of the policy folders, else the bundled policy of its id; or why there is none."""
    source = entry.policy_source
    if source is not None and "\0" not in source:
        path = Path(source)
        if path.suffix in POLICY_SUFFIXES and path.is_file():
            real = path.resolve()
            if any(real.is_relative_to(folder) for folder in folders):
                return real
    if _BUNDLED_ID.match(entry.policy_id):
        for suffix in POLICY_SUFFIXES:
            bundled = policies_dir() / f"{entry.policy_id}{suffix}"
            if bundled.is_file() and bundled.resolve().is_relative_to(folders[0]):
                return bundled
    return (
        f"policy '{entry.policy_id}' ({source}) is not in the policy folders; "
        "give it with --policy, or its folder with --policy-dir"
    )


def _policy_for(
    entry: LogEntry, loaded: dict[str, Policy | TitleRulesError], folders: list[Path]
) -> Policy | str:
    found_file = _logged_policy_file(entry, folders)
    if isinstance(found_file, str):
        return found_file
    name = str(found_file)
    if name not in loaded:
        try:
            loaded[name] = load_policy(name)
        except TitleRulesError as exc:
            loaded[name] = exc
    found = loaded[name]
    if isinstance(found, TitleRulesError):
        return f"policy '{name}' cannot be loaded: {found.message}"
    return found


def _replay_entry(line: int, entry: LogEntry, policy: Policy | str) -> EntryReplay:
    old = entry.decision
    result = EntryReplay(
        line=line,
        source=entry.source,
        record=old.record,
        status="same",
        recorded_sha256=entry.policy_sha256,
        current_sha256=None,
        old_outcome=str(old.outcome),
    )
    if isinstance(policy, str):
        result.status, result.error = "error", policy
        return result
    result.current_sha256 = policy.sha256
    try:
        model = _record_for_replay(entry)
        new = policy.evaluate(model, as_of=entry.as_of)
    except TitleRulesError as exc:
        result.status, result.error = "error", str(exc)
        return result
    if entry.redacted:
        new = redact_decision(new)
    result.new_outcome = str(new.outcome)
    result.changes = decision_changes(old, new)
    if result.changes:
        result.status = "changed"
    if policy.id != entry.policy_id:
        result.notes.append(f"replayed against policy '{policy.id}', logged by '{entry.policy_id}'")
    if result.policy_changed:
        result.notes.append(
            f"policy edited since: sha256 {entry.policy_sha256[:12]} -> {policy.sha256[:12]}"
        )
    if entry.engine_version != new.receipt.engine_version:
        result.notes.append(f"engine {entry.engine_version} -> {new.receipt.engine_version}")
    if entry.calendar_version != new.receipt.calendar_version:
        result.notes.append(
            f"calendar data {entry.calendar_version} -> {new.receipt.calendar_version}"
        )
    return result


def _record_for_replay(entry: LogEntry) -> BaseModel:
    data = entry.record
    if len(data) != 1:
        raise DecisionLogError(
            "the logged record has not exactly one top-level key",
            hint="an entry's record is {'applicant': {...}} or {'procedure': {...}}",
            code="TR501",
        )
    key = next(iter(data))
    if key not in ("applicant", "procedure"):
        raise DecisionLogError(
            f"the logged record is a '{key}', not an applicant or a procedure",
            hint="an entry's record is {'applicant': {...}} or {'procedure': {...}}",
            code="TR501",
        )
    body = _without_masked_ids(data[key], ROOT_MODELS[key]) if entry.redacted else data[key]
    if key == "procedure":
        return parse_record(Procedure, body, path=key)
    return parse_record(Applicant, body, path=key)


def _without_masked_ids(data: Any, model: type[BaseModel] | None) -> Any:
    """A masked ID number is no ID number: leave it out (unknown) rather than fail its
    checksum."""
    if model is None:
        return data
    if isinstance(data, Mapping):
        personal = PERSONAL_FIELDS.get(model, {})
        out: dict[Any, Any] = {}
        for key, value in data.items():
            if personal.get(str(key)) == "id_number" and isinstance(value, str) and MASK in value:
                continue
            out[key] = _without_masked_ids(value, field_model(model, str(key)))
        return out
    if isinstance(data, list):
        return [_without_masked_ids(item, model) for item in data]
    return data


# ---------------------------------------------------------------- comparing decisions


def decision_changes(old: Decision, new: Decision) -> list[str]:
    """What differs between two decisions about one record, in words; empty when they agree.

    Compared: the outcome, each rule's outcome, the exceptions that applied, the facts
    read and the facts missing, the as-of date and the provisional calendar years.
    Titles, quotes and receipts' hashes are not part of a decision's substance.
    """
    changes: list[str] = []
    if old.outcome != new.outcome:
        changes.append(f"outcome: {old.outcome} -> {new.outcome}")
    old_rules = {r.id: r for r in old.rules}
    new_rules = {r.id: r for r in new.rules}
    for rule_id, rule in old_rules.items():
        if rule_id not in new_rules:
            changes.append(f"rule {rule_id}: no longer in the policy (was {rule.outcome})")
    for rule_id, rule in new_rules.items():
        before = old_rules.get(rule_id)
        if before is None:
            changes.append(f"rule {rule_id}: new in the policy ({rule.outcome})")
            continue
        changes.extend(_rule_changes(before, rule))
    if old.missing_facts != new.missing_facts:
        changes.append(f"missing facts: {old.missing_facts} -> {new.missing_facts}")
    if old.receipt.as_of != new.receipt.as_of:
        changes.append(f"as-of date: {old.receipt.as_of} -> {new.receipt.as_of}")
    old_years = old.receipt.provisional_calendar_years
    new_years = new.receipt.provisional_calendar_years
    if old_years != new_years:
        changes.append(f"provisional calendar years: {old_years} -> {new_years}")
    return changes


def _rule_changes(old: RuleResult, new: RuleResult) -> list[str]:
    changes: list[str] = []
    if old.outcome != new.outcome:
        changes.append(f"rule {new.id}: {old.outcome} -> {new.outcome}")
    if old.severity != new.severity:
        changes.append(f"rule {new.id}: severity {old.severity} -> {new.severity}")
    if old.exceptions_applied != new.exceptions_applied:
        changes.append(
            f"rule {new.id}: exceptions applied {old.exceptions_applied} -> "
            f"{new.exceptions_applied}"
        )
    if old.missing != new.missing:
        changes.append(f"rule {new.id}: missing {old.missing} -> {new.missing}")
    old_facts = {f.path: to_jsonable_python(f.value) for f in old.facts}
    new_facts = {f.path: to_jsonable_python(f.value) for f in new.facts}
    if old_facts != new_facts:
        paths = sorted(
            p for p in old_facts.keys() | new_facts.keys() if old_facts.get(p) != new_facts.get(p)
        )
        shown = ", ".join(paths[:5]) + (" ..." if len(paths) > 5 else "")
        changes.append(f"rule {new.id}: facts read differ ({shown})")
    return changes
