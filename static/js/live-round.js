/*
 * Teamwork — applying a `vote_cast` to the round a screen shows (docs/realtime.md, "vote_cast").
 * Shared by static/js/consensus.js and static/js/meeting.js; load it before them.
 *
 * A `vote_cast` carries the round as the vote left it, except for who has voted: instead of the
 * whole `voters` list (a number per member, to every member with every vote) it names only
 * `new_voters`, the members whose votes it carries. The screen adds them to the voters it
 * knows. Votes committed by several server workers may arrive out of order, so an older
 * `vote_cast` still teaches who voted, though its counts are not used. A screen that knows
 * fewer voters than the latest count has missed a message: `incomplete` says so, and the
 * screen asks for a snapshot if the gap outlives a short wait.
 *
 * `heal` is the other half: a screen that missed a broadcast of any kind learns it from the
 * server's periodic `version_announced`, and from the page becoming visible again.
 *
 * `watchDeadline` keeps a round's deadline and time left on a screen ("Open until Fri 11 Dec,
 * 17:00 PST", "2 days 4 hours left") and asks for a sync when it passes: the server closes a
 * round past its deadline when asked for its state, so the room sees the outcome at once.
 */
(() => {
  "use strict";

  /** The voters known after adding `added` to `known` (null stays null: anonymous voting). */
  function union(known, added) {
    if (!Array.isArray(known)) return null;
    if (!Array.isArray(added) || added.every((id) => known.includes(id))) return known;
    return known.concat(added.filter((id, i) => !known.includes(id) && added.indexOf(id) === i));
  }

  /**
   * The round to show after `payload.round` (a vote_cast) reached a screen showing `round`:
   * the update with the voters merged when `newer`, else `round` with only the voters merged.
   * Returns `round` itself when nothing changes.
   */
  function applyVote(round, update, newer) {
    const anonymous = update.new_voters === null || update.new_voters === undefined;
    if (!newer) {
      if (anonymous) return round;
      const voters = union(round.voters, update.new_voters);
      return voters === round.voters ? round : { ...round, voters };
    }
    const next = { ...update, voters: anonymous ? null : union(Array.isArray(round.voters) ? round.voters : [], update.new_voters) };
    delete next.new_voters;
    // Who may vote comes with snapshots and round events, not with every vote: keep it.
    if (!("eligible_ids" in update)) next.eligible_ids = round.eligible_ids;
    return next;
  }

  /**
   * Whether this screen is missing something the round's counts say exists (a message was
   * missed): fewer voters than the count, or an eligible set of another size than `eligible`
   * (attendance changed and its broadcast has not arrived).
   */
  function incomplete(round) {
    if (!round || round.status !== "open") return false;
    if (Array.isArray(round.voters) && round.voters.length < Number(round.voted)) return true;
    return Array.isArray(round.eligible_ids) && round.eligible_ids.length !== Number(round.eligible);
  }

  const GAP_WAIT_MS = 1500;

  /**
   * Screens that heal themselves (docs/realtime.md, "Lost messages"). Every few seconds each
   * server worker sends the rooms it serves `version_announced` with the room's current
   * version. A screen showing an older one missed a broadcast: it waits GAP_WAIT_MS (a
   * broadcast on its way has arrived by then) and asks for a snapshot if it is still behind.
   * A page that becomes visible again asks for one too (a device that slept may have missed
   * messages). `matches(payload)` says whether an announcement is for this screen's room,
   * `version()` is the version shown, `sync()` asks for a snapshot. Returns a function that
   * stops listening to the page's visibility (for a socket that is replaced).
   */
  function heal(socket, { matches, version, sync }) {
    let announced = -Infinity;
    let timer = null;
    socket.on("version_announced", (payload) => {
      if (!payload || typeof payload !== "object" || !matches(payload)) return;
      const v = Number(payload.version);
      if (!Number.isFinite(v) || v <= version()) return;
      announced = Math.max(announced, v);
      if (timer !== null) return;
      // Up to half a second more at random: a room's screens behind together do not all ask
      // at the same moment (after a Redis outage, every screen of a worker may be behind).
      timer = setTimeout(() => {
        timer = null;
        if (announced > version() && socket.connected) sync();
      }, GAP_WAIT_MS + Math.random() * 500);
    });
    const onVisible = () => {
      if (document.visibilityState === "visible" && socket.connected) sync();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }

  /** "2 days 4 hours left", "3 minutes left" (the words of consensus.rules.time_left_text). */
  function timeLeftText(ms) {
    if (!(ms > 0)) return "closing now";
    let minutes = Math.floor(ms / 60000);
    if (minutes < 1) return "less than a minute left";
    const unit = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    minutes %= 60;
    let parts;
    if (days) parts = [unit(days, "day")].concat(hours ? [unit(hours, "hour")] : []);
    else if (hours) parts = [unit(hours, "hour")].concat(minutes ? [unit(minutes, "minute")] : []);
    else parts = [unit(minutes, "minute")];
    return `${parts.join(" ")} left`;
  }

  /** What to show for the round's deadline: null when it has none worth showing. */
  function deadlineWords(round, now) {
    if (!round || !round.closes_at || !round.closes_at_text) return null;
    if (round.status === "open") {
      return { until: `Open until ${round.closes_at_text}`, left: timeLeftText(Date.parse(round.closes_at) - now) };
    }
    if (round.closed_at_deadline) return { until: `Closed at its deadline, ${round.closes_at_text}`, left: "" };
    return null;
  }

  const DUE_RETRY_MS = 5000;

  /**
   * Every second, `paint(words)` with `deadlineWords(round())` (the caller writes only what
   * changed); once the open round's deadline has passed, `due()` (a sync), again every few
   * seconds while the round still shows open (a clock ahead of the server's). Returns a
   * function that paints at once (call it after each render).
   */
  function watchDeadline({ round, paint, due }) {
    let askedAt = 0;
    const tick = () => {
      const r = round();
      const now = Date.now();
      paint(deadlineWords(r, now));
      if (r && r.status === "open" && r.closes_at && Date.parse(r.closes_at) <= now && now - askedAt > DUE_RETRY_MS) {
        askedAt = now;
        // Spread over a second: a room's screens reaching zero together do not all ask at once.
        setTimeout(due, 300 + Math.random() * 1000);
      }
    };
    setInterval(tick, 1000);
    return tick;
  }

  window.TeamworkRound = Object.freeze({ applyVote, incomplete, heal, GAP_WAIT_MS, timeLeftText, deadlineWords, watchDeadline });
})();
