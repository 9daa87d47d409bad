"""Demo operating norms and stakeholder incentives for the county team (all fictional).

Called by the demo seed after the team and its charter exist:
`seed_norms_and_incentives(teams[COUNTY], users)`. Goes through the same services as the pages,
acting as the team's lead.

Imports: `norms.services`, auth and teams.
"""

from __future__ import annotations

from datetime import time, timedelta

from teamwork.auth.models import User
from teamwork.norms.services import NormsInput, save_incentive, save_norms, team_agencies
from teamwork.teams.models import Team
from teamwork.teams.services import today

LEAD = "lead@example.org"

NORMS = NormsInput(
    cadence="monthly",
    meeting_day="Second Tuesday of the month",
    meeting_time=time(9, 30),
    meeting_place="Northfield County Courthouse, room 204",
    video_link="https://video.example.org/northfield-somt",
    designees_may_attend=True,
    designees_may_vote=False,
    expectations=[
        "Read the agenda and the case summaries before the meeting.",
        "When you cannot attend, send a designee who can speak for your agency, and brief "
        "them beforehand.",
        "Share what your agency learns about an offender promptly, within the limits of your "
        "agency's confidentiality rules.",
        "Keep case information discussed at the table confidential.",
        "Respect every discipline's role and expertise: disagree with ideas, not people.",
        "Follow through on the tasks you take on, and say early when you cannot.",
    ],
    discussion=(
        "The moderator keeps a speaking queue: raise your hand (or use the raise-hand button "
        "on the video call) to join it, and speakers are called in the order they joined.\n"
        "Before any round of thumbs, the moderator goes round the table (round-robin) so that "
        "every agency speaks once before anyone speaks twice; members joining by video are "
        "called first, and anyone may pass.\n"
        "Each turn lasts up to three minutes. The recorder notes every concern in the minutes, "
        "and a concern raised is answered before the vote."
    ),
)

# agency -> (what it brings, what it hopes to gain, days until the next review)
INCENTIVES: dict[str, tuple[str, str, int]] = {
    "Northfield County Probation Department": (
        "Supervision of every sex offender on probation in the county, the specialized "
        "caseload officers, and chairing the team.",
        "Consistent supervision conditions across courts, and faster information from "
        "treatment and polygraph to act on violations.",
        10,  # due soon: the demo's reminder
    ),
    "Riverbend Treatment Associates": (
        "Offender-specific treatment, treatment progress reports and risk assessments.",
        "Referrals with full case information, and officers who reinforce treatment goals.",
        45,
    ),
    "Northfield County Administrator's Office": (
        "Staff support: agendas, meeting reminders, minutes, and the meeting room.",
        "A coordinated county response it can report to the board of commissioners.",
        60,
    ),
    "Northfield Victim Advocacy Center": (
        "The voice of victims at the table, safety planning and victim notification.",
        "Advance notice of changes to supervision plans, so victims can be informed.",
        30,
    ),
    "Northfield Police Department": (
        "Registration and community notification, investigations, and field contacts.",
        "Timely word of absconders and of conditions officers should watch for.",
        90,
    ),
    "District Attorney's Office, 7th District": (
        "Charging decisions that keep sex offenses as sex offenses, and plea policy.",
        "Sentencing recommendations that include treatment and specialized supervision.",
        75,
    ),
    "Northfield Public Defender's Office": (
        "Counsel that explains to clients what the court and supervision expect of them.",
        "Clear, consistent conditions its clients can understand and comply with.",
        120,
    ),
    "Cascadia Polygraph Services": (
        "Sexual history and maintenance polygraph examinations, reported to the team.",
        "Examination results used consistently by officers and treatment providers.",
        100,
    ),
    "Northfield Child Protective Services": (
        "Child safety assessments and family reunification planning.",
        "Early word when an offender lives with, or seeks contact with, children.",
        50,
    ),
    "Northfield District Court": (
        "Orders for supervision and treatment, and the court's view of what works.",
        "Regular, reliable information on how offenders sentenced here are doing.",
        150,
    ),
}

# For an agency the demo gains later without a line above.
GENERIC = (
    "Its staff's time and its agency's information about the offenders it works with.",
    "Better information from the other agencies, and a say in the county's policies.",
    180,
)


def seed_norms_and_incentives(team: Team, users_by_email: dict[str, User]) -> None:
    """Norms (one version) and every agency's incentives, reviews all in the future."""
    lead = users_by_email[LEAD]
    save_norms(lead, team.id, NORMS)
    day = today()
    for agency in team_agencies(team.id):
        brings, hopes, days = INCENTIVES.get(agency, GENERIC)
        save_incentive(
            lead,
            team.id,
            agency=agency,
            brings=brings,
            hopes_to_gain=hopes,
            review_date=day + timedelta(days=days),
        )
