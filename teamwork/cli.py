"""Flask commands: `flask --app wsgi demo`, `create-user`, ..., and the background worker
(`flask worker`), with the jobs it runs (`register_jobs`): the outbox, reminders, the purge."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app

from teamwork.auth import services as auth_services
from teamwork.auth.models import User
from teamwork.demo import database_is_empty, demo_accounts, seed_demo
from teamwork.errors import DomainError
from teamwork.realtime.services import close_revoked_connections

DEMO_PASSWORD_FILE = "demo-password"  # noqa: S105 - a file name


def _demo_password_file() -> Path:
    return Path(current_app.instance_path) / DEMO_PASSWORD_FILE


def _demo_password() -> str:
    """TEAMWORK_DEMO_PASSWORD, or one generated once and kept (0600) in the instance folder."""
    configured = current_app.config["TEAMWORK_DEMO_PASSWORD"]
    if configured:
        return str(configured)
    path = _demo_password_file()
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(9)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password


def _print_accounts(password: str) -> None:
    click.echo("Demo sign-ins (password for all: " + password + "):")
    for account in demo_accounts():
        click.echo(f"  {account.email:<24} {account.name} — {account.summary}")


@click.command("demo")
def demo_command() -> None:
    """Seed the demo jurisdiction into an empty database and print its sign-ins."""
    if not database_is_empty():
        click.echo("The database already has data: the demo was not seeded again.")
        # Reprint the sign-ins only for a database that holds the demo, with a known password.
        known = current_app.config["TEAMWORK_DEMO_PASSWORD"] or _demo_password_file().exists()
        if known and auth_services.find_user(demo_accounts()[0].email) is not None:
            _print_accounts(_demo_password())
        return
    password = _demo_password()
    seed_demo(password)
    click.echo("Seeded the demo jurisdiction.")
    _print_accounts(password)


@click.command("create-user")
@click.argument("email")
@click.option("--name", prompt=True, help="The person's name.")
@click.option("--admin", is_flag=True, help="May create top-level teams.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, name: str, admin: bool, password_stdin: bool) -> None:
    """Create an account (administrators create top-level teams)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth_services.create_user(email, name, password, is_admin=admin)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.email}{' (administrator)' if user.is_admin else ''}.")


@click.command("deactivate-user")
@click.argument("email")
def deactivate_user_command(email: str) -> None:
    """Deactivate an account: it can no longer sign in and its sessions end at once."""
    user = auth_services.find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the email address {email}.")
    auth_services.deactivate_user(user)
    # Through the message queue, when one is configured, this reaches the workers' sockets.
    close_revoked_connections()
    click.echo(f"Deactivated {user.email}; their open sessions have ended.")


def _account(email: str) -> User:
    user = auth_services.find_user(email)
    if user is None:
        raise click.ClickException(f"No account has the email address {email}.")
    return user


@click.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(email: str, password_stdin: bool) -> None:
    """Set someone's password (audited); every session of theirs ends."""
    user = _account(email)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        ended = auth_services.set_password(user, password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Set the password of {user.email}; {ended} open session(s) ended.")


@click.command("reset-two-step")
@click.argument("email")
def reset_two_step_command(email: str) -> None:
    """Turn someone's two-step sign-in off (lost phone and recovery codes), audited; every
    session of theirs ends. They can sign in with their password and set it up again."""
    user = _account(email)
    try:
        ended = auth_services.reset_two_step(user)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"Two-step sign-in of {user.email} is off and their recovery codes are gone;"
        f" {ended} open session(s) ended."
    )


@click.command("reactivate-user")
@click.argument("email")
def reactivate_user_command(email: str) -> None:
    """Let a deactivated account sign in again (audited)."""
    user = _account(email)
    try:
        auth_services.reactivate_user(user)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Reactivated {user.email}; they can sign in again.")


@click.command("reencrypt-secrets")
def reencrypt_secrets_command() -> None:
    """Encrypt every two-step secret with the first key of TEAMWORK_SECRET_ENCRYPTION_KEY
    (after adding a new key in front; the old one can be removed afterwards)."""
    click.echo(f"Re-encrypted {auth_services.reencrypt_secrets()} two-step secret(s).")


def send_reminders() -> list[str]:
    """Email the reminders due today (each sweep marks what it sent, so running it twice a
    day sends nothing twice); a line per kind."""
    from teamwork.agreements.services import send_renewal_reminders
    from teamwork.database import utcnow
    from teamwork.meetings.reminders import send_action_item_reminders, send_meeting_reminders
    from teamwork.moderation.notices import prepare_upcoming_terms, send_term_notices
    from teamwork.norms.reminders import send_incentive_reminders
    from teamwork.teams.services import today
    from teamwork.workplans.reminders import send_due_reminders

    lines = [f"Sent {send_renewal_reminders()} agreement renewal reminder(s)."]
    teams = send_incentive_reminders(today())
    lines.append(f"Sent stakeholder-incentive review reminders for {len(teams)} team(s).")
    lines.append(f"Sent {send_meeting_reminders(utcnow())} meeting reminder(s).")
    lines.append(f"Prepared {prepare_upcoming_terms(today())} moderator term(s).")
    lines.append(f"Sent {send_term_notices(today())} moderator term notice(s).")
    lines.append(f"Sent {send_due_reminders(today())} workplan due-date notice(s).")
    lines.append(f"Sent {send_action_item_reminders(today())} action item due-date notice(s).")
    return lines


@click.command("send-reminders")
def send_reminders_command() -> None:
    """Queue the reminders that are due today (the worker does this daily by itself)."""
    for line in send_reminders():
        click.echo(line)


@click.command("audit-verify")
@click.option("--heads", is_flag=True, help="Also list each chain's length and last hash.")
def audit_verify_command(heads: bool) -> None:
    """Check the audit trail's hash chains: exit 1 at the first event changed or missing."""
    from teamwork.audit.services import verify_audit_trail

    found = verify_audit_trail()
    if found.problem:
        click.echo(f"Audit trail broken after {found.events} event(s): {found.problem}", err=True)
        sys.exit(1)
    click.echo(f"{found.events} events in {len(found.heads)} chain(s), chain intact.")
    # Recorded somewhere the database's writers cannot reach, it shows a later rewrite.
    click.echo(f"Head: {found.anchor}")
    if heads:
        for number, (length, head) in sorted(found.heads.items()):
            click.echo(f"  chain {number:>6}: {length:>8} events, last hash {head}")


def purge(*, dry_run: bool = False) -> dict[str, int]:
    """Remove (or count) the rows past their retention period; the count per kind."""
    from teamwork import retention
    from teamwork.audit import recorder
    from teamwork.database import utcnow
    from teamwork.extensions import db

    counts = retention.purge(utcnow(), current_app.config, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        recorder.record("retention.purged", details=counts)
        db.session.commit()
    return counts


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
def purge_command(dry_run: bool) -> None:
    """Remove rows past their retention period: ended sessions, used or expired invitations,
    stale connection rows, sent emails, ... (TEAMWORK_PURGE_*; the worker runs it daily)."""
    counts = purge(dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    for label, count in counts.items():
        click.echo(f"{verb} {count} {label}.")


def register_jobs(app: Flask) -> None:
    """The worker's jobs: each a sweep of what is due (teamwork.jobs.services)."""
    from teamwork.consensus.services import close_due_rounds, remind_due_rounds
    from teamwork.jobs.rules import Daily, Every
    from teamwork.jobs.services import register_job
    from teamwork.outbox.services import deliver_due

    config = app.config
    zone = config["TEAMWORK_DEFAULT_TIMEZONE"]

    def deliver() -> str | None:
        sent = deliver_due()
        return f"Sent {sent} email(s)." if sent else None

    def remind() -> str:
        return " ".join(send_reminders())

    def round_deadlines() -> str | None:
        # Reminders first: a round closing before the next sweep is still reminded.
        reminded, closed = remind_due_rounds(), close_due_rounds()
        words = [f"Reminded {len(reminded)} round(s)."] if reminded else []
        words += [f"Closed {len(closed)} round(s) at their deadline."] if closed else []
        return " ".join(words) or None

    def purge_rows() -> str:
        return ", ".join(f"{count} {label}" for label, count in purge().items())

    def digests() -> str:
        from teamwork.notifications.services import send_digests

        return send_digests()

    register_job("outbox", deliver, Every(config["TEAMWORK_OUTBOX_INTERVAL_SECONDS"]))
    register_job(
        "round-deadlines",
        round_deadlines,
        Every(config["TEAMWORK_ROUND_DEADLINE_INTERVAL_SECONDS"]),
    )
    register_job("reminders", remind, Daily(config["TEAMWORK_REMINDERS_HOUR"], zone))
    register_job("purge", purge_rows, Daily(config["TEAMWORK_PURGE_HOUR"], zone))
    register_job("digests", digests, Daily(config["TEAMWORK_DIGEST_HOUR"], zone))


@click.command("worker")
def worker_command() -> None:
    """Run the background worker: sends queued email, the daily reminders and purge, until
    Ctrl+C or SIGTERM. Run it beside the web workers; more than one at a time is safe."""
    import logging

    from teamwork.jobs.services import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # APScheduler logs every fire at INFO (every few seconds); our jobs log what they did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    register_jobs(app)
    click.echo("Worker started (Ctrl+C stops it).")
    run_worker(app)


@click.command("outbox")
def outbox_command() -> None:
    """List the emails waiting to be sent and those given up on."""
    from teamwork.outbox.services import waiting_messages

    waiting = waiting_messages()
    if not waiting:
        click.echo("No email is waiting or failed.")
    for message in waiting:
        if message.failed_at is not None:
            state = f"FAILED {message.failed_at:%Y-%m-%d %H:%M} UTC after {message.attempts} tries"
        else:
            state = f"pending, next try {message.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC"
            if message.attempts:
                state += f" ({message.attempts} failed)"
        click.echo(f"#{message.id} to {message.to} {message.subject!r}: {state}")
        if message.last_error:
            click.echo(f"    last error: {message.last_error}")


@click.command("jobs")
def jobs_command() -> None:
    """Show the worker's jobs and the last run of each."""
    import sqlalchemy as sa

    from teamwork.extensions import db
    from teamwork.jobs.models import JobRun
    from teamwork.jobs.services import registered_jobs

    register_jobs(current_app._get_current_object())  # type: ignore[attr-defined]
    for job in registered_jobs():
        last = db.session.scalar(
            sa.select(JobRun).where(JobRun.job == job.name).order_by(JobRun.occurrence.desc())
        )
        if last is None:
            click.echo(f"{job.name}: {job.schedule}; never run")
            continue
        state = "running or died" if last.finished_at is None else "done"
        if last.error:
            state = f"failed: {last.error}"
        click.echo(
            f"{job.name}: {job.schedule}; last {last.occurrence:%Y-%m-%d %H:%M:%S} UTC"
            f" by {last.worker}, {state}"
        )


def init_app(app: Flask) -> None:
    from teamwork.search import cli as search_cli

    search_cli.init_app(app)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(deactivate_user_command)
    app.cli.add_command(audit_verify_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(outbox_command)
    app.cli.add_command(jobs_command)
    app.cli.add_command(set_password_command)
    app.cli.add_command(reset_two_step_command)
    app.cli.add_command(reactivate_user_command)
    app.cli.add_command(reencrypt_secrets_command)
