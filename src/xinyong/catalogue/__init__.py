"""The catalogue: the closed list of what may be collected, by whom, and how it is shown."""

from xinyong.catalogue.loader import default_catalogue, load_catalogue
from xinyong.catalogue.model import (
    Catalogue,
    Disclosure,
    FieldSpec,
    FieldType,
    Polarity,
    Provider,
    PublicityPeriod,
    RecordType,
    Severity,
    SubjectKind,
)

__all__ = [
    "Catalogue",
    "Disclosure",
    "FieldSpec",
    "FieldType",
    "Polarity",
    "Provider",
    "PublicityPeriod",
    "RecordType",
    "Severity",
    "SubjectKind",
    "default_catalogue",
    "load_catalogue",
]
