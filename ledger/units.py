"""The unit registry: which 责任单位 exist, what each is called, and what kind it is.

Plans name the same unit in several ways (人力资源社会保障厅 / 人力资源和社会保障厅,
党委编办 / 机构编制委员会办公室); the registry maps every spelling to one canonical unit
so the ledger assigns, reminds and scores one unit, not two. It is data
(``ledger/data/units.json``), shipped with the package and edited by the leading-group
office: :meth:`UnitRegistry.add` and :meth:`UnitRegistry.add_alias` change it in memory,
:meth:`UnitRegistry.to_dict` gives back the JSON shape to save.

Canonical names carry their jurisdiction ("自治区人力资源社会保障厅", "自治区党委组织部",
"国家税务总局内蒙古税务局", "呼和浩特市"), because a document's unit list relies on a prefix
carried over from its first name (``自治区党委组织部、机构编制委员会办公室``): the
registry resolves a bare name as the home jurisdiction's unit, and strips the home
prefixes (``自治区``, ``内蒙古自治区``, ``党委``) when it looks a name up.

Kinds: ``department`` (government departments, and mass organisations such as 总工会,
团委, 妇联, 残联, 工商联: they take tasks and report exactly as departments do, and the
kind only decides how a unit is addressed, so a sixth kind would buy nothing),
``party_organ`` (organs of the Party committee: the ``党委`` prefix of a list carries only
to these), ``central_branch`` (branches of central bodies, which name their own
jurisdiction: the ``自治区`` prefix never carries to them), ``league_city`` (the twelve
盟市) and ``group`` (a vague group such as 各行业主管部门, kept as written; a group may
list known members).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ledger.errors import ConfigurationError

KINDS: tuple[str, ...] = ("department", "party_organ", "central_branch", "league_city", "group")

#: Endings of Party-committee organs, used to guess the kind of a name the registry
#: does not know (another province's 省委组织部, say).
_PARTY_ENDINGS = (
    "组织部",
    "宣传部",
    "统战部",
    "统一战线工作部",
    "政法委",
    "编办",
    "机构编制委员会办公室",
    "网信办",
    "社会工作部",
    "金融办",
    "政策研究室",
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class RegisteredUnit:
    """One canonical unit. ``members`` lists canonical names (groups only)."""

    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "aliases": list(self.aliases)}
        if self.members:
            data["members"] = list(self.members)
        return data


def guess_kind(name: str) -> str:
    """A best guess at the kind of a unit the registry does not know.

    Only used for new units, which the importer always reports as warnings, so a wrong
    guess is visible and the office corrects it by adding the unit to the registry.
    """
    if name.startswith("各") or name.endswith(("成员单位", "主管部门")):
        return "group"
    if name.startswith(("国家", "中国")) or "总局" in name or name.endswith(("分行", "监管局")):
        return "central_branch"
    if "党委" in name or re.match(r"^[\u4e00-\u9fff]{0,3}[省市县区]委(?!员会)", name):
        return "party_organ"
    if name.endswith(_PARTY_ENDINGS):
        return "party_organ"
    if name.endswith(("人民政府", "行政公署")):
        return "league_city"
    if re.fullmatch(r"[\u4e00-\u9fff]{2,5}[市盟州]", name):
        return "league_city"
    return "department"


class UnitRegistry:
    """Canonical units and every name they go by.

    ``home_prefixes`` are the jurisdiction prefixes of the home province (``自治区``);
    they, and the ``党委`` prefix after them, are stripped when a name is looked up, so
    ``自治区党委社会工作部``, ``党委社会工作部`` and ``社会工作部`` are one unit. A name
    with another jurisdiction's prefix (``省财政厅``) is never matched to a home unit.
    """

    def __init__(
        self,
        units: Iterable[RegisteredUnit] = (),
        *,
        home_prefixes: tuple[str, ...] = ("内蒙古自治区", "自治区"),
        party_prefix: str = "党委",
    ) -> None:
        # Longest first, so 内蒙古自治区 is stripped whole before 自治区 is tried.
        self.home_prefixes = tuple(sorted(home_prefixes, key=len, reverse=True))
        self.party_prefix = party_prefix
        self._units: dict[str, RegisteredUnit] = {}
        self._index: dict[str, str] = {}
        for unit in units:
            self.add(unit.name, unit.kind, aliases=unit.aliases, members=unit.members)

    # --- loading and saving ---------------------------------------------------------
    @classmethod
    def load_default(cls) -> UnitRegistry:
        """The registry shipped in ``ledger/data/units.json``."""
        text = resources.files("ledger").joinpath("data/units.json").read_text("utf-8")
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UnitRegistry:
        registry = cls(
            home_prefixes=tuple(data.get("home_jurisdiction", ("内蒙古自治区", "自治区"))),
            party_prefix=data.get("party_prefix", "党委"),
        )
        for entry in data.get("units", []):
            registry.add(
                entry["name"],
                entry["kind"],
                aliases=entry.get("aliases", ()),
                members=entry.get("members", ()),
            )
        return registry

    def to_dict(self) -> dict[str, Any]:
        return {
            "home_jurisdiction": list(self.home_prefixes),
            "party_prefix": self.party_prefix,
            "units": [unit.to_dict() for unit in self._units.values()],
        }

    def copy(self) -> UnitRegistry:
        """An independent copy (the importer adds unknown units to a copy, never the original)."""
        return UnitRegistry.from_dict(self.to_dict())

    # --- editing --------------------------------------------------------------------
    def add(
        self,
        name: str,
        kind: str,
        *,
        aliases: Iterable[str] = (),
        members: Iterable[str] = (),
    ) -> RegisteredUnit:
        """Add a unit (or replace one of the same canonical name)."""
        name = _clean(name)
        if not name:
            raise ConfigurationError("a unit needs a name", field="name")
        if kind not in KINDS:
            raise ConfigurationError(
                f"unit {name}: kind {kind!r} is not one of {', '.join(KINDS)}", field="kind"
            )
        unit = RegisteredUnit(
            name=name,
            kind=kind,
            aliases=tuple(_clean(a) for a in aliases if _clean(a)),
            members=tuple(_clean(m) for m in members if _clean(m)),
        )
        self._units[name] = unit
        for spelling in (name, *unit.aliases):
            for key in self._keys(spelling):
                # The first unit to claim a stripped key keeps it; exact names always win.
                if key == spelling or key not in self._index:
                    self._index[key] = name
        return unit

    def add_alias(self, name: str, alias: str) -> RegisteredUnit:
        """Teach the registry another name for a known unit."""
        unit = self.resolve(name)
        if unit is None:
            raise ConfigurationError(f"no unit called {name!r} to add an alias to", field="name")
        return self.add(unit.name, unit.kind, aliases=(*unit.aliases, alias), members=unit.members)

    # --- reading --------------------------------------------------------------------
    def resolve(self, name: str) -> RegisteredUnit | None:
        """The unit ``name`` means, tolerant of the home and ``党委`` prefixes, or None."""
        for key in self._keys(_clean(name)):
            canonical = self._index.get(key)
            if canonical is not None:
                return self._units[canonical]
        return None

    def get(self, canonical: str) -> RegisteredUnit:
        return self._units[canonical]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.resolve(name) is not None

    def __iter__(self):
        return iter(self._units.values())

    def __len__(self) -> int:
        return len(self._units)

    def is_party_organ(self, name: str) -> bool:
        unit = self.resolve(name)
        return unit.kind == "party_organ" if unit is not None else guess_kind(name) == "party_organ"

    def members_of(self, group: str) -> tuple[RegisteredUnit, ...]:
        """The known members of a group, in the registry's order (empty if none known)."""
        unit = self.resolve(group)
        if unit is None:
            return ()
        return tuple(self._units[m] for m in unit.members if m in self._units)

    def leagues_and_cities(self) -> tuple[RegisteredUnit, ...]:
        """The 盟市 in the registry's order (the official order for Inner Mongolia)."""
        return tuple(unit for unit in self._units.values() if unit.kind == "league_city")

    def strip_home(self, name: str) -> str:
        """``name`` without a leading home-jurisdiction prefix."""
        for prefix in self.home_prefixes:
            if name.startswith(prefix) and len(name) > len(prefix):
                return name[len(prefix) :]
        return name

    def _keys(self, spelling: str) -> list[str]:
        keys = [spelling]
        bare = self.strip_home(spelling)
        if bare != spelling:
            keys.append(bare)
        if bare.startswith(self.party_prefix) and len(bare) > len(self.party_prefix):
            keys.append(bare[len(self.party_prefix) :])
        return keys


def _clean(name: str) -> str:
    return _SPACE.sub("", name or "")
