"""Sign in and out, and the account page (accepting an invitation is in
`teamwork/teams/invitations/views.py`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from teamwork.audit import recorder as audit
from teamwork.auth import services, throttle
from teamwork.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DisableTwoStepForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegenerateRecoveryCodesForm,
    ResetPasswordForm,
    SignInCodeForm,
    TimezoneForm,
    TwoStepCodeForm,
)
from teamwork.auth.notifications import send_email_change
from teamwork.auth.sessions import current_token, sign_in, sign_out
from teamwork.errors import DomainError
from teamwork.extensions import limiter
from teamwork.forms import EmptyForm, apply_error
from teamwork.serve import yield_to_live_work

bp = Blueprint("auth", __name__)
TWO_STEP_KEY = "two_step"  # the signed cookie's slot for a sign-in waiting for its code


def _safe_next(target: str | None) -> str | None:
    """A same-site path to return to after sign-in; anything else is ignored."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int]:
    next_url = _safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("teams.dashboard"))
    yield_to_live_work()  # a sign-in can wait a few ms; a meeting's votes cannot (serve.py)
    form = LoginForm()
    if form.validate_on_submit():
        # Throttled before the password is checked (teamwork/auth/throttle.py); only failures count.
        attempt = throttle.Attempt.of(throttle.PASSWORD, form.email.data or "", request.remote_addr)
        throttle.check(attempt)
        try:
            user = services.authenticate(form.email.data or "", form.password.data or "")
        except DomainError as exc:
            form.form_errors.append(exc.message)
            email = services.normalize_email(form.email.data or "")[:254]
            audit.record_now("sign_in.failed", details={"email": email})
            throttle.record_failure(attempt)
        else:
            if user.has_two_step:
                # The password was right; the session starts only after the code.
                session[TWO_STEP_KEY] = services.issue_two_step_token(
                    user, remember=bool(form.remember.data)
                )
                return redirect(url_for("auth.two_step", next=next_url))
            yield_to_live_work()  # between the password check and writing the session
            sign_in(user, remember=bool(form.remember.data))
            flash(f"Welcome, {user.name}.", "success")
            return redirect(next_url or url_for("teams.dashboard"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("auth/login.html", form=form, next_url=next_url), status


@bp.route("/login/two-step", methods=["GET", "POST"])
def two_step() -> BaseResponse | tuple[str, int]:
    """The second step of signing in: the code from the user's authenticator app."""
    next_url = _safe_next(request.args.get("next"))
    try:
        user, remember = services.read_two_step_token(session.get(TWO_STEP_KEY))
    except DomainError as exc:
        session.pop(TWO_STEP_KEY, None)
        flash(exc.message, "error")
        return redirect(url_for("auth.login", next=next_url))
    yield_to_live_work()
    form = SignInCodeForm()
    if form.validate_on_submit():
        attempt = throttle.Attempt.of(throttle.CODE, user.email, request.remote_addr)
        throttle.check(attempt)
        try:
            codes_left = services.verify_second_factor(user, form.code.data or "")
        except DomainError as exc:
            apply_error(form, exc)
            details = {"email": user.email, "step": "code"}
            audit.record_now("sign_in.failed", details=details)
            throttle.record_failure(attempt)
        else:
            session.pop(TWO_STEP_KEY, None)
            sign_in(user, remember=remember, details={"two_step": True})
            flash(f"Welcome, {user.name}.", "success")
            if codes_left is not None:
                flash(
                    f"You signed in with a recovery code; {codes_left} are left. Make new ones"
                    " on the two-step sign-in page if you are running out.",
                    "info",
                )
            return redirect(next_url or url_for("teams.dashboard"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("auth/two_step.html", form=form, next_url=next_url), status


@bp.post("/logout")
def logout() -> BaseResponse:
    # CSRF-protected like every POST, so another site cannot sign a user out.
    if current_user.is_authenticated:
        audit.record_now("sign_out", actor=current_user)
    sign_out()
    flash("You are signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> BaseResponse | tuple[str, int]:
    profile = ProfileForm(prefix="profile", obj=current_user)
    password = ChangePasswordForm(prefix="password")
    email = ChangeEmailForm(prefix="email")
    zone = TimezoneForm(prefix="zone", data={"timezone": current_user.timezone})
    status = 200
    if request.method == "POST" and request.form.get("form") == "profile":
        if profile.validate_on_submit():
            services.update_profile(current_user, name=profile.name.data or "")
            flash("Your name is saved.", "success")
            return redirect(url_for("auth.account"))
        status = 422
    elif request.method == "POST" and request.form.get("form") == "password":
        if password.validate_on_submit():
            try:
                services.change_password(
                    current_user,
                    current_password=password.current_password.data or "",
                    new_password=password.new_password.data or "",
                    keep_token=current_token(),
                )
            except DomainError as exc:
                apply_error(password, exc)
            else:
                flash("Your password is changed. Other devices are signed out.", "success")
                return redirect(url_for("auth.account"))
        status = 422
    elif request.method == "POST" and request.form.get("form") == "email":
        if email.validate_on_submit():
            try:
                issued = services.request_email_change(
                    current_user,
                    new_email=email.new_email.data or "",
                    password=email.password.data or "",
                )
            except DomainError as exc:
                apply_error(email, exc)
            else:
                send_email_change(issued)
                flash(
                    f"We sent a link to {issued.change.new_email}. Your address changes "
                    "when you open it.",
                    "success",
                )
                return redirect(url_for("auth.account"))
        status = 422
    elif request.method == "POST" and request.form.get("form") == "timezone":
        if zone.validate_on_submit():
            try:
                services.set_timezone(current_user, zone.timezone.data or "")
            except DomainError as exc:
                apply_error(zone, exc)
            else:
                flash("Your time zone is saved.", "success")
                return redirect(url_for("auth.account"))
        status = 422
    elif request.method == "POST":
        status = 400
    return render_template(
        "auth/account.html",
        profile=profile,
        password=password,
        email=email,
        zone=zone,
        sessions=services.list_active_sessions(
            current_user, current_id=services.current_session_id()
        ),
        button=EmptyForm(),
    ), status


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_step_setup() -> BaseResponse | tuple[str, int]:
    """Turn two-step sign-in on (scan, then confirm a code) or off (password and a code)."""
    confirm, disable = TwoStepCodeForm(prefix="confirm"), DisableTwoStepForm(prefix="disable")
    regenerate = RegenerateRecoveryCodesForm(prefix="codes")
    action = request.form.get("action")
    status = 200
    if request.method == "POST":
        status = 422
        try:
            if action == "start" and EmptyForm().validate_on_submit():
                services.start_two_step_setup(current_user)
                return redirect(url_for("auth.two_step_setup"))
            if action == "confirm" and confirm.validate_on_submit():
                codes = services.confirm_two_step(current_user, confirm.code.data or "")
                flash("Two-step sign-in is on.", "success")
                # Shown in this answer only, never stored in the clear nor in the cookie.
                return render_template("auth/recovery_codes.html", codes=codes), 200
            if action == "regenerate" and regenerate.validate_on_submit():
                codes = services.regenerate_recovery_codes(
                    current_user, password=regenerate.password.data or ""
                )
                flash("New recovery codes are made; the earlier ones no longer work.", "success")
                return render_template("auth/recovery_codes.html", codes=codes), 200
            if action == "disable" and disable.validate_on_submit():
                services.disable_two_step(
                    current_user,
                    password=disable.password.data or "",
                    code=disable.code.data or "",
                )
                flash("Two-step sign-in is off.", "success")
                return redirect(url_for("auth.account"))
        except DomainError as exc:
            forms = {"disable": disable, "regenerate": regenerate}
            apply_error(forms.get(action or "", confirm), exc)
    pending = current_user.totp_secret if not current_user.has_two_step else None
    uri = services.two_step_uri(current_user) if pending else None
    return render_template(
        "auth/two_step_setup.html",
        confirm=confirm,
        disable=disable,
        regenerate=regenerate,
        codes_left=services.recovery_codes_left(current_user),
        policy=services.two_step_policy(),
        secret=pending,
        uri=uri,
        qr=_qr_svg(uri) if uri else None,
        required=services.two_step_required(current_user),
    ), status


def _qr_svg(data: str) -> Markup:
    """The otpauth address as an SVG QR code for the phone's camera (generated by segno from
    our own data: no user-supplied markup)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, scale=5, border=4, title="QR code"
    )
    return Markup(out.getvalue().decode())  # noqa: S704  # nosec B704 - segno's own SVG


# Pages someone who must set up two-step sign-in may still reach.
TWO_STEP_EXEMPT = {
    "auth.two_step_setup",
    "auth.logout",
    "auth.login",
    "auth.two_step",
    "auth.forgot_password",
    "auth.reset_password",
    "static",
}


@bp.before_app_request
def require_two_step_for_leads() -> BaseResponse | None:
    """Leads (TEAMWORK_TWO_STEP_REQUIRED=leads) or everyone (=all) set up two-step sign-in
    before any other page."""
    if (
        current_user.is_authenticated
        and request.endpoint not in TWO_STEP_EXEMPT
        and services.two_step_required(current_user)
    ):
        who = "Everyone" if services.two_step_policy() == "all" else "Leads"
        flash(f"{who} of this deployment must turn on two-step sign-in first.", "info")
        return redirect(url_for("auth.two_step_setup"))
    return None


@bp.post("/account/sign-out-elsewhere")
@login_required
def sign_out_elsewhere() -> BaseResponse:
    if EmptyForm().validate_on_submit():
        count = services.revoke_sessions(current_user, keep_token=current_token())
        flash(f"Signed out of {count} other session(s).", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> BaseResponse:
    """Sign out one of the person's own sessions (another device)."""
    if EmptyForm().validate_on_submit():
        ending_this_one = session_id == services.current_session_id()
        services.end_own_session(current_user, session_id)
        if ending_this_one:
            sign_out()
            flash("You are signed out.", "success")
            return redirect(url_for("auth.login"))
        flash("That device is signed out.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> BaseResponse | tuple[str, int]:
    """Where the link sent to a new address lands: a button, so a mail scanner opening the
    link changes nothing."""
    actor = current_user if current_user.is_authenticated else None
    change = services.find_email_change(token)
    if EmptyForm().validate_on_submit():
        user = services.confirm_email_change(token, actor=actor)
        flash(f"Your email address is now {user.email}.", "success")
        return redirect(url_for("auth.account" if actor else "auth.login"))
    return render_template("auth/confirm_email.html", change=change, button=EmptyForm()), 200


# --- Password reset by email ----------------------------------------------------------------


def _reset_account_key() -> str:
    return "reset:" + services.normalize_email(request.form.get("email", ""))[:254]


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["TEAMWORK_RESET_LIMIT_ADDRESS"],
    methods=["POST"],
    scope="reset-address",
)
@limiter.limit(
    lambda: current_app.config["TEAMWORK_RESET_LIMIT_ACCOUNT"],
    key_func=_reset_account_key,
    methods=["POST"],
    scope="reset-account",
)
def forgot_password() -> BaseResponse | tuple[str, int]:
    """Ask for a reset link. Every request counts against the limits (known address or not),
    and the answer is the same page either way."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data or "", ip_address=request.remote_addr)
        return render_template("auth/forgot_password_sent.html"), 200
    status = 422 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> BaseResponse | tuple[str, int]:
    services.find_password_reset(token)  # 410 for a used, expired or unknown link
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data or "")
        except DomainError as exc:
            if exc.status == 410:
                raise
            apply_error(form, exc)
        else:
            if current_user.is_authenticated:
                sign_out()  # this browser's session ended with all the others
            flash("Your password is set and you are signed out everywhere. Sign in.", "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("auth/reset_password.html", form=form, token=token), status
