"""The email choices form: one select per kind of notification."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from teamwork.notifications.rules import KINDS, Delivery, Kind

CHOICES = [SelectChoice(d.value, d.label) for d in Delivery]


class PreferencesForm(FlaskForm):
    """Built with a field per kind (`field_for(kind)`), in the order of `KINDS`."""

    @classmethod
    def build(cls, current: dict[Kind, Delivery], formdata: object = None) -> PreferencesForm:
        class Bound(cls):  # type: ignore[misc,valid-type]
            pass

        for kind, info in KINDS.items():
            setattr(Bound, kind.value, SelectField(info.label, choices=CHOICES))
        form = Bound(formdata=formdata) if formdata is not None else Bound()
        if formdata is None:
            for kind in KINDS:
                getattr(form, kind.value).data = current[kind].value
        return form

    def field_for(self, kind: Kind) -> SelectField:
        return getattr(self, kind.value)

    def chosen(self) -> dict[str, str]:
        return {kind.value: str(self.field_for(kind).data) for kind in KINDS}
