"""Forms for drafting charter statements and proposing a decision rule."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from teamwork.charter.models import StatementKind
from teamwork.charter.services import TEXT_MAX
from teamwork.consensus.rules import DecisionRule

KIND_CHOICES = [SelectChoice(kind.value, kind.label) for kind in StatementKind]


class DraftForm(FlaskForm):
    kind = SelectField("What are you drafting?", choices=KIND_CHOICES, validators=[DataRequired()])
    statement_id = HiddenField()
    text = TextAreaField(
        "Text",
        validators=[DataRequired(), Length(max=TEXT_MAX)],
        description="Drafts can change over several meetings; each save is kept as a version.",
    )


class RuleForm(FlaskForm):
    quorum_percent = IntegerField(
        "Quorum: more than this share of voting members must vote (%)",
        validators=[Optional(), NumberRange(min=1, max=100)],
        description="50 means a majority. Leave empty to use a fixed number instead.",
    )
    quorum_count = IntegerField(
        "…or at least this many voting members",
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    block_threshold = IntegerField(
        "Thumbs down needed to block consensus",
        default=1,
        validators=[DataRequired(), NumberRange(min=1, max=1000)],
    )
    sideways_cap_percent = IntegerField(
        "Consensus fails when more than this share of votes are sideways (%)",
        validators=[Optional(), NumberRange(min=1, max=100)],
        description="Leave empty for no limit.",
    )
    down_requires_reason = BooleanField("A thumbs down needs a reason")
    sideways_requires_reason = BooleanField("A sideways vote needs a reason")
    reveal_mode = SelectField(
        "Showing the tally",
        choices=[
            SelectChoice("live", "Live: counts update as votes arrive"),
            SelectChoice(
                "simultaneous", "Simultaneous: hidden until everyone voted or the moderator reveals"
            ),
        ],
    )
    anonymous = BooleanField("Anonymous votes (no one sees who voted how)")
    fallback_after_rounds = IntegerField(
        "After this many rounds without consensus…",
        validators=[Optional(), NumberRange(min=1, max=100)],
        description="Leave empty to keep looping until consensus.",
    )
    fallback = SelectField(
        "…the proposal is",
        choices=[
            SelectChoice("keep_looping", "kept in discussion (keep looping)"),
            SelectChoice("table", "tabled"),
            SelectChoice("escalate", "escalated to the parent team"),
        ],
    )


def rule_data(form: RuleForm) -> dict[str, object]:
    """The form's answers as DecisionRule.from_dict() input (which validates them)."""
    percent = form.quorum_percent.data
    cap = form.sideways_cap_percent.data
    return {
        "quorum_share": f"{percent}/100" if percent and not form.quorum_count.data else None,
        "quorum_count": form.quorum_count.data or None,
        "block_threshold": form.block_threshold.data,
        "sideways_cap": f"{cap}/100" if cap else None,
        "down_requires_reason": bool(form.down_requires_reason.data),
        "sideways_requires_reason": bool(form.sideways_requires_reason.data),
        "reveal_mode": form.reveal_mode.data,
        "anonymous": bool(form.anonymous.data),
        "fallback_after_rounds": form.fallback_after_rounds.data or None,
        "fallback": form.fallback.data,
    }


def fill_rule_form(form: RuleForm, rule: DecisionRule) -> None:
    form.quorum_percent.data = (
        round(rule.quorum_share * 100) if rule.quorum_share is not None else None
    )
    form.quorum_count.data = rule.quorum_count
    form.block_threshold.data = rule.block_threshold
    form.sideways_cap_percent.data = (
        round(rule.sideways_cap * 100) if rule.sideways_cap is not None else None
    )
    form.down_requires_reason.data = rule.down_requires_reason
    form.sideways_requires_reason.data = rule.sideways_requires_reason
    form.reveal_mode.data = rule.reveal_mode.value
    form.anonymous.data = rule.anonymous
    form.fallback_after_rounds.data = rule.fallback_after_rounds
    form.fallback.data = rule.fallback.value
