"""audit layer: the planner's template procedure record — every date field a step.

A :class:`Template` mirrors the procedure record model (:class:`~titlerules.facts.Procedure`)
with mutable attribute bags the compiled rules read like records: each date field is a
:class:`Slot` (a step of the round), each list of items with dates holds one element per
member of the item's first enumerated field (one publicity window per kind, one filing per
kind, one complaint per publicity period).  The meeting dates are fixed; every other fact is
unknown (``None``) unless a base record gives it.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from titlerules.facts.enums import ZhEnum

__all__ = ["Slot", "Template", "build_template"]


@dataclass
class Slot:
    id: str
    path: str
    node: types.SimpleNamespace
    attr: str
    label: str
    label_en: str
    window: str | None = None


@dataclass
class Template:
    root: types.SimpleNamespace
    slots: dict[str, Slot] = field(default_factory=dict)
    by_path: dict[str, str] = field(default_factory=dict)
    views: list[types.SimpleNamespace] = field(default_factory=list)

    def add(self, slot: Slot) -> None:
        self.slots[slot.id] = slot
        self.by_path[slot.path] = slot.id

    def clear(self) -> None:
        self.set(dict.fromkeys(self.slots))

    def set(self, values: dict[str, dt.date | None]) -> None:
        for slot_id, value in values.items():
            slot = self.slots[slot_id]
            setattr(slot.node, slot.attr, value)
            if slot.node is self.root:  # a step of the record itself: in every view too
                for view in self.views:
                    setattr(view, slot.attr, value)

    def view(self, steps: Iterable[str]) -> types.SimpleNamespace:
        """The record as a rule reading ``steps`` needs it: the lists keep only the elements
        holding one of those steps (a rule that filters filings by kind reads one filing,
        not eight), so evaluating it many times is cheap.  Elements share the template's
        nodes, so :meth:`set` reaches the view too."""
        owners = {id(self.slots[s].node) for s in steps}
        view = types.SimpleNamespace(**vars(self.root))
        for name, value in vars(self.root).items():
            if isinstance(value, list) and value and isinstance(value[0], types.SimpleNamespace):
                setattr(view, name, [item for item in value if id(item) in owners])
        self.views.append(view)
        return view


def _flat(annotation: Any) -> Iterator[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _flat(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _flat(arg)
    else:
        yield annotation


def _is_date_field(annotation: Any) -> bool:
    return any(t is dt.date for t in _flat(annotation))


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for t in _flat(annotation):
        if isinstance(t, type) and issubclass(t, BaseModel):
            return t
    return None


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    for t in _flat(annotation):
        if typing.get_origin(t) is list:
            (item,) = typing.get_args(t)
            return _model_of(item)
    return None


def _has_dates(model: type[BaseModel]) -> bool:
    return any(_is_date_field(f.annotation) for f in model.model_fields.values())


def _discriminator(model: type[BaseModel]) -> tuple[str, type[ZhEnum]] | None:
    """The first enumerated field of a list item (a window's kind, a filing's kind)."""
    for name, info in model.model_fields.items():
        for t in _flat(info.annotation):
            if isinstance(t, type) and issubclass(t, ZhEnum):
                return name, t
    return None


def _build(
    template: Template,
    model: type[BaseModel],
    base: BaseModel | None,
    path: str,
    step: str,
    label: str,
    window: str | None = None,
) -> types.SimpleNamespace:
    node = types.SimpleNamespace()
    for name, info in model.model_fields.items():
        zh = info.description or name
        here, step_here = f"{path}.{name}", f"{step}.{name}" if step else name
        base_value = getattr(base, name, None) if base is not None else None
        if _is_date_field(info.annotation):
            setattr(node, name, None)
            template.add(
                Slot(
                    id=step_here,
                    path=here,
                    node=node,
                    attr=name,
                    label=f"{label}·{zh}" if label else zh,
                    label_en=step_here,
                    window=window if name in ("start", "end") else None,
                )
            )
            continue
        sub = _model_of(info.annotation)
        if sub is not None:
            setattr(node, name, _build(template, sub, base_value, here, step_here, zh))
            continue
        item = _list_item_model(info.annotation)
        if item is not None and _has_dates(item):
            setattr(node, name, _elements(template, item, base_value, here, step_here, zh))
            continue
        setattr(node, name, base_value)
    return node


def _element_label(
    found: tuple[str, type[ZhEnum]] | None, member: ZhEnum | None, list_zh: str
) -> str:
    """会前公示, 会后备案 (an element named by its kind), or 信访举报（会前公示）."""
    if member is None or found is None:
        return list_zh
    if found[0] == "kind":
        return member.zh
    return f"{list_zh}（{member.zh}）"


def _elements(
    template: Template, item: type[BaseModel], base: Any, path: str, step: str, path_zh: str
) -> list[types.SimpleNamespace]:
    found = _discriminator(item)
    members: list[ZhEnum | None] = list(found[1]) if found is not None else [None]
    out = []
    for index, member in enumerate(members):
        base_item = None
        if isinstance(base, list):
            for candidate in base:
                if found is None or getattr(candidate, found[0], None) is member:
                    base_item = candidate
                    break
        key = member.value if member is not None else str(index)
        label = _element_label(found, member, path_zh)
        element = _build(
            template,
            item,
            base_item,
            f"{path}[{index}]",
            f"{step}[{key}]",
            label,
            window=f"{step}[{key}]",
        )
        if found is not None:
            setattr(element, found[0], member)
        out.append(element)
    return out


def build_template(base: BaseModel | None, start: dt.date, end: dt.date) -> Template:
    from titlerules.facts import Procedure

    template = Template(root=types.SimpleNamespace())
    template.root = _build(template, Procedure, base, "procedure", "", "")
    for meeting_field in ("start", "end"):
        slot_id = f"meeting.{meeting_field}"
        template.slots.pop(slot_id, None)
        template.by_path.pop(f"procedure.{slot_id}", None)
    template.root.meeting.start = start
    template.root.meeting.end = end
    if template.root.year is None:
        template.root.year = start.year
    return template
