/*
 * Teamwork — the live consensus screens: the voting screen (data-mode="vote"), the
 * moderator console (data-mode="console") and the read-only room display for the projector
 * (data-mode="room": no controls and no per-user data). Protocol: docs/realtime.md.
 *
 * - The page renders from the JSON blocks the server put in it (state, you, members), so it is
 *   right before the socket connects; every server event then carries the whole state with a
 *   version, and only a higher version replaces what is shown.
 * - A vote gets one request_id per intended vote; it is re-sent with the same id after a
 *   timeout or a reconnection until the server acknowledges it (the server counts it once).
 * - Server text is only ever inserted with textContent (no innerHTML anywhere).
 *
 * Needs the vendored socket.io client (global `io`), static/js/dom.js and static/js/live-round.js,
 * loaded before this file.
 */
(() => {
  "use strict";

  const root = document.getElementById("cs-root");
  if (!root) return;

  // ---- Constants ------------------------------------------------------------------------

  const MODE = ["console", "room"].includes(root.dataset.mode) ? root.dataset.mode : "vote";
  const PROPOSAL_ID = Number(root.dataset.proposalId);
  const ACK_TIMEOUT_MS = 5000;
  const SNAPSHOT_GRACE_MS = 2000;
  const TALLY_ANNOUNCE_MS = 3000;
  const REASON_MAX = 2000;

  const CHOICES = {
    up: { word: "Thumbs up", label: "Thumbs up — in favour", phrase: "thumbs up", send: "Send my thumbs up" },
    sideways: { word: "Sideways", label: "Sideways — no strong feeling", phrase: "sideways vote", send: "Send my sideways vote" },
    down: { word: "Thumbs down", label: "Thumbs down — opposed", phrase: "thumbs down", send: "Send my thumbs down" },
  };
  const CHOICE_ORDER = ["up", "sideways", "down"];

  const PROPOSAL_STATUS = {
    discussion: "In discussion",
    voting: "Voting",
    consensus: "Decided by consensus",
    tabled: "Tabled",
    escalated: "Sent to the parent team",
    withdrawn: "Withdrawn",
  };

  // ---- Small helpers --------------------------------------------------------------------

  // The shared DOM helpers (static/js/dom.js).
  const { $, readJSON, h, setText, show, newRequestId, readableText } = window.TeamworkDom;

  function icon(choice) {
    const meta = CHOICES[choice];
    if (!meta) return null;
    // A vendored SVG drawn as a mask (teamwork.css, .tw-thumb): no emoji font needed.
    return h("span", { class: `cs-icon tw-thumb tw-thumb-${choice}`, "aria-hidden": "true" });
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }


  // ---- State ----------------------------------------------------------------------------

  let state = readJSON("cs-state");
  if (!state || !state.proposal) return;
  let you = readJSON("cs-you") || { membership_id: null, can_vote: false, can_moderate: false, my_vote: null };
  let members = readJSON("cs-members");
  if (!Array.isArray(members)) members = Array.isArray(state.members) ? state.members : [];
  let version = Number(root.dataset.version) || 0;

  /** This user's own vote: {round_id, choice, reason, version} or null. */
  let myVote = null;
  adoptYourVote(you, version);

  /** Votes waiting for their acknowledgement, by key ("me" or "member:<id>"). */
  const pending = new Map();

  const ui = {
    connection: "connecting", // connecting | live | reconnecting | refused
    everConnected: false,
    sendStatus: null, // {kind: "sending"|"waiting"|"recorded", text}
    confirmChoice: null, // "down"/"sideways" while the reason step is shown
    busyAction: null, // console: the round action awaiting its ack
    lastTallyAnnounced: 0,
    tallyTimer: null,
  };

  function roundOf(s) {
    return s && s.round ? s.round : null;
  }

  function isOpen(s) {
    const r = roundOf(s);
    return Boolean(r && r.status === "open");
  }

  function memberName(id) {
    const found = members.find((m) => m.id === id);
    return found ? found.name : null;
  }

  /** Take this user's vote from a snapshot, unless an acknowledgement told us something newer. */
  function adoptYourVote(newYou, atVersion) {
    const r = roundOf(state);
    if (myVote && r && myVote.round_id === r.id && (myVote.version || 0) > atVersion) return;
    myVote =
      newYou && newYou.my_vote && r
        ? { round_id: r.id, choice: newYou.my_vote.choice, reason: newYou.my_vote.reason || "", version: atVersion }
        : null;
  }

  function currentVote() {
    const r = roundOf(state);
    return myVote && r && myVote.round_id === r.id ? myVote : null;
  }

  // ---- Announcements (one polite live region) -------------------------------------------

  const live = $("cs-live");

  function announce(text) {
    if (!live || !text) return;
    live.append(h("p", null, text));
    while (live.childElementCount > 4) live.firstElementChild.remove();
  }

  function tallySentence(s) {
    const r = roundOf(s);
    if (!r) return "";
    const progress = `${r.voted} of ${r.eligible} have voted.`;
    if (r.tally_visible && r.tally) {
      return `Tally: ${r.tally.up} thumbs up, ${r.tally.sideways} sideways, ${r.tally.down} thumbs down. ${progress}`;
    }
    return progress;
  }

  function announceTallySoon() {
    if (ui.tallyTimer) return; // the scheduled one will read the latest state
    const wait = Math.max(0, ui.lastTallyAnnounced + TALLY_ANNOUNCE_MS - Date.now());
    ui.tallyTimer = setTimeout(() => {
      ui.tallyTimer = null;
      ui.lastTallyAnnounced = Date.now();
      if (isOpen(state)) announce(tallySentence(state));
    }, wait);
  }

  function outcomeTitle(r) {
    if (r.outcome === "consensus") return "Consensus reached";
    if (r.outcome === "no_consensus") return "No consensus";
    return "Round withdrawn";
  }

  /** Say what changed between two states (screen readers; the screen itself just re-renders). */
  function announceChanges(prev, next) {
    const a = roundOf(prev);
    const b = roundOf(next);
    if (b && (!a || a.id !== b.id) && b.status === "open") {
      announce(`Round ${b.number} is open.${you.can_vote && MODE === "vote" ? " You can vote now." : ""}`);
    } else if (b && b.status === "closed" && (!a || a.id !== b.id || a.status === "open")) {
      let text = `Round ${b.number} closed: ${outcomeTitle(b)}.`;
      if (b.outcome === "withdrawn") text = `Round ${b.number} was withdrawn by the moderator.`;
      if (b.reasons && b.reasons.length) text += ` ${b.reasons.join(" ")}`;
      if (b.tally) text += ` ${b.tally.up} thumbs up, ${b.tally.sideways} sideways, ${b.tally.down} thumbs down.`;
      announce(text);
    } else if (a && b && a.id === b.id && b.status === "open") {
      if (!a.tally_visible && b.tally_visible) {
        ui.lastTallyAnnounced = Date.now();
        announce(`The votes are shown. ${tallySentence(next)}`);
      } else if (MODE !== "room" && (a.voted !== b.voted || JSON.stringify(a.tally) !== JSON.stringify(b.tally))) {
        // (The room display announces rounds opening, revealing and closing, not every vote.)
        announceTallySoon();
      }
    }
    const pa = prev.proposal;
    const pb = next.proposal;
    if (pa.version_number !== pb.version_number) {
      announce(`The proposal text was amended (version ${pb.version_number}).`);
    }
    if (pa.status !== pb.status && ["tabled", "withdrawn", "escalated"].includes(pb.status)) {
      announce(`The proposal is now: ${PROPOSAL_STATUS[pb.status]}.`);
    }
  }

  // ---- Applying server payloads ----------------------------------------------------------

  /** Apply {version, state, you?, members?}; snapshots may repeat the current version. */
  function applyPayload(payload, isSnapshot) {
    if (!payload || typeof payload !== "object" || !payload.state || !payload.state.proposal) return false;
    const v = Number(payload.version);
    if (!Number.isFinite(v)) return false;
    if (isSnapshot ? v < version : v <= version) return false; // stale: ignore
    const prev = state;
    version = v;
    state = payload.state;
    if (Array.isArray(payload.members)) members = payload.members;
    else if (Array.isArray(state.members)) members = state.members;
    // The room display shows only what the whole room may see: it never takes `you`.
    if (payload.you && typeof payload.you === "object" && MODE !== "room") {
      you = payload.you;
      adoptYourVote(you, v);
    } else {
      const r = roundOf(state);
      if (myVote && (!r || myVote.round_id !== r.id)) myVote = null; // a new round: no vote yet
    }
    if (roundOf(prev)?.id !== roundOf(state)?.id) ui.sendStatus = null;
    if (!isOpen(state)) ui.confirmChoice = null;
    announceChanges(prev, state);
    render();
    maybeFetchMyVote();
    return true;
  }

  // When someone else (the moderator, or this user on another device) recorded this user's
  // vote, the broadcast lists us among the voters but cannot say how we voted: ask once.
  let fetchedForRound = null;
  function maybeFetchMyVote() {
    const r = roundOf(state);
    if (!r || !Array.isArray(r.voters) || you.membership_id == null) return;
    if (!r.voters.includes(you.membership_id) || currentVote() || pending.has("me")) return;
    if (fetchedForRound === `${r.id}:${r.voted}`) return;
    fetchedForRound = `${r.id}:${r.voted}`;
    requestSync();
  }

  // ---- Socket -------------------------------------------------------------------------------

  if (typeof window.io !== "function") {
    setConnection("refused", "The live connection could not start. Reload the page.");
    render();
    return;
  }

  const socket = window.io({ query: { proposal: String(PROPOSAL_ID) }, transports: ["websocket", "polling"] });
  let snapshotSeen = false;
  let syncTimer = null;

  function requestSync() {
    if (!socket.connected) return;
    socket.timeout(ACK_TIMEOUT_MS).emit("sync", { proposal_id: PROPOSAL_ID }, (err, ack) => {
      if (err || !ack) return; // the next connect or event brings the state anyway
      if (ack.ok) {
        snapshotSeen = true;
        applyPayload(ack, true);
      } else if (ack.error && ack.error.code === "unauthenticated") {
        signedOut(ack.error.message);
      }
    });
  }

  socket.on("connect", () => {
    const wasReconnect = ui.everConnected;
    ui.everConnected = true;
    snapshotSeen = false;
    setConnection("live");
    clearTimeout(syncTimer);
    syncTimer = setTimeout(() => {
      if (!snapshotSeen) requestSync();
    }, SNAPSHOT_GRACE_MS);
    if (wasReconnect) announce("Connection restored. The screen is up to date.");
    for (const item of pending.values()) sendVote(item);
    render();
  });

  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return; // we ended it (signed out): keep that message
    if (ui.connection === "live") announce("Connection lost. Reconnecting…");
    setConnection("reconnecting");
    for (const item of pending.values()) item.waiting = true;
    if (reason === "io server disconnect") {
      // The server ended this connection (e.g. the sign-in changed): try once more; a refusal
      // then explains itself through connect_error.
      socket.connect();
    }
    render();
  });

  socket.on("connect_error", (err) => {
    const code = err && err.message ? String(err.message) : "";
    if (socket.active) {
      // Network trouble: the client retries by itself.
      setConnection("reconnecting", "Can't reach the server. Trying again…");
    } else if (code === "unauthenticated") {
      signedOut();
    } else if (code === "rate_limited") {
      // Too many handshakes this minute (docs/realtime.md, "Limits"): try again after it.
      setConnection("reconnecting", "Too many connections this minute. Trying again shortly…");
      setTimeout(() => socket.connect(), 30000 + Math.random() * 30000);
    } else if (code === "not_found" || code === "forbidden") {
      setConnection("refused", "You can no longer see this proposal. Reload the page.");
      showAlert("You can no longer see this proposal (you may have been removed from the team). Reload the page.", true);
    } else {
      setConnection("refused", "The server refused the live connection. Reload the page.");
      showAlert("The server refused the live connection. Reload the page to try again.", true);
    }
    render();
  });

  for (const event of ["round_opened", "round_revealed", "round_closed", "deadline_changed", "proposal_changed"]) {
    socket.on(event, (payload) => applyPayload(payload, false));
  }
  // A vote changes only the round, so `vote_cast` carries just {version, text_version, round},
  // and names only the new voters (static/js/live-round.js). It applies to the round and text
  // this page shows; anything else means an event was missed, and a sync brings the whole state.
  let gapTimer = null;
  socket.on("vote_cast", (payload) => {
    if (!payload || typeof payload !== "object" || !payload.round) return;
    const v = Number(payload.version);
    if (!Number.isFinite(v)) return;
    const r = roundOf(state);
    if (!r || r.id !== payload.round.id || state.proposal.version_number !== payload.text_version) {
      if (v > version) requestSync();
      return;
    }
    const round = window.TeamworkRound.applyVote(r, payload.round, v > version);
    if (v > version) applyPayload({ version: v, state: { ...state, round } }, false);
    else if (round !== r) {
      state = { ...state, round };
      render();
    }
    if (window.TeamworkRound.incomplete(roundOf(state)) && gapTimer === null) {
      gapTimer = setTimeout(() => {
        gapTimer = null;
        if (window.TeamworkRound.incomplete(roundOf(state))) requestSync();
      }, window.TeamworkRound.GAP_WAIT_MS);
    }
  });
  socket.on("snapshot", (payload) => {
    snapshotSeen = true;
    applyPayload(payload, true);
  });
  // Any other missed broadcast (round_closed, proposal_changed, ...): the server's version
  // beacon, or the page becoming visible again, brings a snapshot (static/js/live-round.js).
  window.TeamworkRound.heal(socket, {
    matches: (p) => Number(p.proposal_id) === PROPOSAL_ID,
    version: () => version,
    sync: requestSync,
  });
  // The deadline's time left, every second; past it, a sync (the server closes the round).
  window.TeamworkRound.watchDeadline({ round: () => roundOf(state), paint: paintDeadline, due: requestSync });

  function signedOut(message) {
    setConnection("refused", "Signed out. Reload the page to sign in again.");
    showAlert(message || "Your sign-in has ended. Reload the page to sign in again.", true);
    socket.disconnect();
  }

  function setConnection(kind, detail) {
    ui.connection = kind;
    ui.connectionDetail = detail || "";
    const el = $("cs-connection");
    if (!el) return;
    const text = {
      connecting: "Connecting…",
      live: "Connected",
      reconnecting: "Reconnecting…",
      refused: "Not connected",
    }[kind];
    el.dataset.state = kind;
    setText(el.querySelector(".cs-connection-icon"), { connecting: "…", live: "●", reconnecting: "↻", refused: "✖" }[kind]);
    setText(el.querySelector(".cs-connection-text"), detail ? `${text} — ${detail}` : text);
  }

  // ---- Alerts ---------------------------------------------------------------------------------

  function showAlert(message, withReload) {
    const region = $("cs-alerts");
    if (!region) return;
    const p = h("p", { class: "flash flash-error" }, h("span", { class: "flash-icon", "aria-hidden": "true" }, "✖"), " ", h("strong", null, "Error:"), " ", message);
    if (withReload) {
      p.append(" ", h("a", { href: window.location.href }, "Reload the page"));
    }
    region.replaceChildren(p);
  }

  function clearAlert() {
    const region = $("cs-alerts");
    if (region && region.firstChild) region.replaceChildren();
  }

  // ---- Casting votes ---------------------------------------------------------------------------

  /**
   * One intended vote. `key` is "me" for this user's own vote, "member:<id>" for a raised hand
   * entered by the moderator. Re-sent with the same request_id until acknowledged.
   */
  function castVote({ key, choice, reason, memberId, designee }) {
    const r = roundOf(state);
    if (!r || r.status !== "open") return;
    const existing = pending.get(key);
    if (existing && existing.choice === choice && existing.reason === reason && existing.round_id === r.id) {
      return; // the same intended vote is already on its way
    }
    if (existing) clearTimeout(existing.retryTimer);
    const item = {
      key,
      round_id: r.id,
      choice,
      reason,
      memberId: memberId ?? null,
      designee: Boolean(designee),
      request_id: newRequestId(),
      attempt: 0,
      waiting: false,
      retryTimer: null,
    };
    pending.set(key, item);
    clearAlert();
    sendVote(item);
    render();
  }

  function sendVote(item) {
    clearTimeout(item.retryTimer);
    if (!socket.connected) {
      item.waiting = true;
      return;
    }
    item.waiting = false;
    item.attempt += 1;
    const attempt = item.attempt;
    const payload = { round_id: item.round_id, choice: item.choice, request_id: item.request_id };
    if (item.reason) payload.reason = item.reason;
    if (item.memberId !== null) payload.member_id = item.memberId;
    if (item.designee) payload.designee = true;
    socket.timeout(ACK_TIMEOUT_MS).emit("cast_vote", payload, (err, ack) => {
      if (pending.get(item.key) !== item || item.attempt !== attempt) return; // superseded
      if (err) {
        // No answer in time: send the same vote again (same request_id, never counted twice).
        if (socket.connected) {
          const delay = Math.min(8000, 1000 * 2 ** Math.min(3, attempt - 1));
          item.retryTimer = setTimeout(() => sendVote(item), delay);
        } else {
          item.waiting = true;
        }
        render();
        return;
      }
      pending.delete(item.key);
      if (ack && ack.ok) voteRecorded(item, ack);
      else voteRefused(item, ack && ack.error);
      render();
    });
  }

  function voteRecorded(item, ack) {
    const vote = ack.vote || {};
    const choice = vote.choice || item.choice;
    const meta = CHOICES[choice];
    const forMe = item.memberId === null || item.memberId === you.membership_id;
    if (forMe) {
      myVote = {
        round_id: vote.round_id || item.round_id,
        choice,
        reason: vote.reason || "",
        version: Number(ack.version) || version,
      };
    }
    if (item.memberId === null) {
      ui.sendStatus = { kind: "recorded", text: `Recorded: your ${meta.phrase}.` };
      announce(`Your ${meta.phrase} is recorded.`);
    } else {
      const name = memberName(item.memberId) || "the member";
      ui.sendStatus = { kind: "recorded", text: `Recorded: ${meta.word.toLowerCase()} for ${name}.` };
      announce(`${meta.word} recorded for ${name}.`);
    }
  }

  function voteRefused(item, error) {
    const code = error && error.code;
    const message = (error && error.message) || "The vote was not recorded. Please try again.";
    ui.sendStatus = null;
    if (code === "unauthenticated") {
      signedOut(message);
      return;
    }
    if (item.memberId === null && error && error.field === "reason") {
      showReasonError(message);
    }
    const who = item.memberId === null ? "" : ` (for ${memberName(item.memberId) || "the member"})`;
    showAlert(`${message}${who}`);
  }

  // ---- Voting screen: buttons and the reason step ------------------------------------------

  let lastRenderedRound; // undefined until the first render

  function reasonRequired(choice) {
    const rule = state.rule || {};
    if (choice === "down") return Boolean(rule.down_requires_reason);
    if (choice === "sideways") return Boolean(rule.sideways_requires_reason);
    return false;
  }

  function reasonBox() {
    return $("cs-reason");
  }

  function showReasonError(message) {
    const box = reasonBox();
    const err = $("cs-reason-error");
    if (!box || !err) return;
    err.replaceChildren(h("p", null, h("span", { "aria-hidden": "true" }, "⚠ "), h("strong", null, "Error:"), " ", message));
    err.hidden = false;
    box.setAttribute("aria-invalid", "true");
    box.setAttribute("aria-describedby", "cs-reason-hint cs-reason-error");
  }

  function clearReasonError() {
    const box = reasonBox();
    const err = $("cs-reason-error");
    if (err) {
      err.hidden = true;
      err.replaceChildren();
    }
    if (box) {
      box.removeAttribute("aria-invalid");
      box.setAttribute("aria-describedby", "cs-reason-hint");
    }
  }

  function onChoice(choice) {
    if (!CHOICES[choice] || !isOpen(state) || !you.can_vote) return;
    const box = reasonBox();
    clearReasonError();
    if (reasonRequired(choice)) {
      // Never send an empty reason: ask for it first, with an explicit send button.
      ui.confirmChoice = choice;
      render();
      if (box) box.focus();
      return;
    }
    ui.confirmChoice = null;
    const reason = choice === "up" || !box ? "" : box.value.trim();
    castVote({ key: "me", choice, reason });
  }

  function onConfirmSend() {
    const choice = ui.confirmChoice;
    const box = reasonBox();
    if (!choice || !box) return;
    const reason = box.value.trim();
    if (!reason) {
      showReasonError(choice === "down" ? "Write a reason first: a thumbs down needs one." : "Write a reason first: a sideways vote needs one.");
      box.focus();
      return;
    }
    if (reason.length > REASON_MAX) {
      showReasonError(`Use at most ${REASON_MAX} characters.`);
      box.focus();
      return;
    }
    clearReasonError();
    ui.confirmChoice = null;
    castVote({ key: "me", choice, reason });
    const btn = document.querySelector(`.cs-choice[data-choice="${choice}"]`);
    if (btn && !btn.disabled) btn.focus();
  }

  function onConfirmCancel() {
    const choice = ui.confirmChoice;
    ui.confirmChoice = null;
    clearReasonError();
    render();
    const btn = choice && document.querySelector(`.cs-choice[data-choice="${choice}"]`);
    if (btn && !btn.disabled) btn.focus();
  }

  // ---- Console: round actions and raised hands ---------------------------------------------

  const ACTION_BUSY = {
    set_deadline: "Saving the deadline…",
    remove_deadline: "Removing the deadline…",
    open_round: "Opening the round…",
    reveal_round: "Revealing the votes…",
    close_round: "Closing the round…",
    withdraw_round: "Withdrawing the round…",
  };

  /** The console's "Open until" fields as the server reads them ("2026-12-11T17:00", in the
   * team's zone), "" for none, or null after showing what is missing beside the fields. */
  function closesValue() {
    const date = $("cs-closes-date");
    const time = $("cs-closes-time");
    if (!date || !time) return "";
    showDeadlineError("");
    if (!date.value && !time.value) return "";
    if (!date.value || !time.value) {
      showDeadlineError(date.value ? "Choose the time of day too." : "Choose the date too.", date.value ? time : date);
      return null;
    }
    return `${date.value}T${time.value}`;
  }

  function showDeadlineError(message, field) {
    const err = $("cs-closes-error");
    if (!err) return;
    setText(err, message);
    err.hidden = !message;
    for (const input of [$("cs-closes-date"), $("cs-closes-time")]) {
      if (!input) continue;
      if (message && (!field || input === field)) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    if (message && field) field.focus();
  }

  function onRoundAction(action) {
    if (ui.busyAction || !socket.connected) return;
    const r = roundOf(state);
    let payload = { round_id: r && r.id };
    let event = action;
    if (action === "open_round" || action === "set_deadline") {
      const closes = closesValue();
      if (closes === null) return;
      if (action === "set_deadline" && !closes) {
        showDeadlineError("Choose the date and time, or remove the deadline.", $("cs-closes-date"));
        return;
      }
      payload = action === "open_round" ? { proposal_id: PROPOSAL_ID } : payload;
      if (closes) payload.closes_at = closes;
    } else if (action === "remove_deadline") event = "set_deadline";
    if (action !== "open_round" && !(r && r.status === "open")) return;
    ui.busyAction = action;
    clearAlert();
    render();
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => {
      ui.busyAction = null;
      if (ack && ack.ok && (action === "open_round" || action === "set_deadline" || action === "remove_deadline")) {
        for (const input of [$("cs-closes-date"), $("cs-closes-time")]) if (input) input.value = "";
      }
      if (!err && ack && !ack.ok && ack.error && ack.error.field === "closes_at") {
        showDeadlineError(ack.error.message, $("cs-closes-date"));
        render();
        return;
      }
      if (err) {
        showAlert("No answer from the server. Check the connection, then try again.");
        requestSync();
      } else if (ack && ack.ok) {
        ui.sendStatus = null;
      } else if (ack && ack.error && ack.error.code === "unauthenticated") {
        signedOut(ack.error.message);
      } else {
        showAlert((ack && ack.error && ack.error.message) || "That did not work. Please try again.");
        requestSync();
      }
      render();
      rescueFocus($("cs-controls-heading"));
    });
  }

  function onHand(memberId, choice, input) {
    if (!CHOICES[choice] || !isOpen(state)) return;
    const reason = input ? input.value.trim() : "";
    const name = memberName(memberId) || "this member";
    if (choice !== "up" && reasonRequired(choice) && !reason) {
      showAlert(`Type the reason ${name} gives before entering a ${CHOICES[choice].phrase}.`);
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
      return;
    }
    if (input) input.removeAttribute("aria-invalid");
    const designeeBox = document.getElementById("cs-designee");
    const designee = Boolean(designeeBox && designeeBox.checked);
    castVote({ key: `member:${memberId}`, choice, reason: choice === "up" ? "" : reason, memberId, designee });
  }

  /** If the focused control vanished or was disabled by a re-render, move focus somewhere sensible. */
  function rescueFocus(fallback) {
    const active = document.activeElement;
    const lost =
      !active ||
      active === document.body ||
      active.disabled ||
      active.closest("[hidden]") !== null ||
      !document.contains(active);
    if (lost && fallback) fallback.focus();
  }

  // ---- Rendering --------------------------------------------------------------------------------

  function render() {
    renderHeader();
    paintDeadline(window.TeamworkRound.deadlineWords(roundOf(state), Date.now()));
    renderOutcome();
    renderTally();
    renderVoters();
    renderConcerns();
    renderOpenConcerns();
    renderProposal();
    if (MODE === "vote") renderVotePanel();
    else if (MODE === "console") renderConsole();
    // The room display has no panel of its own: the shared parts above are all it shows.
  }

  function roundLine(s) {
    const r = roundOf(s);
    if (!r) return MODE === "vote" ? "No round open yet — waiting for the moderator" : "No round open yet";
    if (r.status === "open") return `Round ${r.number} — open`;
    if (r.outcome === "withdrawn") return `Round ${r.number} — withdrawn by the moderator`;
    return `Round ${r.number} — closed: ${outcomeTitle(r)}`;
  }

  function roundDetail(s) {
    const r = roundOf(s);
    const status = s.proposal.status;
    if (status === "consensus") return "The team reached consensus. The decision is recorded in the team's decision log.";
    if (status === "withdrawn") return "This proposal was withdrawn. No more rounds will be held.";
    if (status === "escalated") return "This proposal was sent to the parent team to decide.";
    if (status === "tabled") return "This proposal is tabled (set aside for now).";
    if (r && r.status === "open") {
      if (MODE === "console") return "Members can vote now.";
      if (MODE === "room") return "Members are voting now.";
      return you.can_vote ? "" : "Members are voting now.";
    }
    if (r) return MODE === "console" ? "Discuss the concerns, amend the text if needed, then open the next round." : "Waiting for the moderator to open the next round.";
    return MODE === "console" ? "Open the first round when the team has discussed the proposal." : "";
  }

  function renderHeader() {
    setText($("cs-title"), state.proposal.title);
    const prefix = { console: "Console · ", room: "Room display · " }[MODE] || "";
    const title = `${prefix}${state.proposal.title} · Teamwork`;
    if (document.title !== title) document.title = title;
    setText($("cs-round-line"), roundLine(state));
    const detail = roundDetail(state);
    setText($("cs-round-detail"), detail);
    show($("cs-round-detail"), Boolean(detail));
    show($("cs-changes-link"), Boolean(state.proposal.changed_since_last_round));
    const conn = $("cs-connection");
    if (conn && conn.dataset.state !== ui.connection) setConnection(ui.connection, ui.connectionDetail);
  }

  /** The round's deadline and time left (templates/consensus/_deadline.html), or nothing. */
  function paintDeadline(words) {
    const line = $("cs-deadline");
    if (!line) return;
    line.hidden = !words;
    if (!words) return;
    setText($("cs-deadline-until"), words.until);
    const left = $("cs-deadline-left");
    setText(left, words.left ? `(${words.left})` : "");
    show(left, Boolean(words.left));
  }

  function renderOutcome() {
    const section = $("cs-outcome");
    if (!section) return;
    const r = roundOf(state);
    const closed = Boolean(r && r.status === "closed");
    section.hidden = !closed;
    if (!closed) return;
    section.dataset.outcome = r.outcome || "";
    const mark = r.outcome === "consensus" ? "✔" : r.outcome === "no_consensus" ? "✖" : "↩";
    const heading = $("cs-outcome-heading");
    const text = r.outcome === "withdrawn" ? `Round ${r.number} was withdrawn (not counted)` : `Round ${r.number} result: ${outcomeTitle(r)}`;
    if (heading.dataset.text !== text) {
      heading.dataset.text = text;
      heading.replaceChildren(h("span", { "aria-hidden": "true" }, `${mark} `), text);
    }
    const reasons = Array.isArray(r.reasons) ? r.reasons : [];
    const list = $("cs-outcome-reasons");
    const items = reasons.length
      ? reasons.map((reason) => h("li", null, reason))
      : r.outcome === "withdrawn"
        ? [h("li", null, "The moderator ended this round without counting it.")]
        : [];
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
  }

  function renderTally() {
    const r = roundOf(state);
    setText($("cs-tally-heading"), r ? `Votes in round ${r.number}` : "Votes");
    const progress = $("cs-progress");
    const eligible = r ? Number(r.eligible) || 0 : 0;
    const voted = r ? Number(r.voted) || 0 : 0;
    // A withdrawn round was never judged, so it has no eligible count: say what happened instead.
    const withdrawn = Boolean(r && r.outcome === "withdrawn");
    let progressText = "No votes yet: no round has been opened.";
    if (withdrawn) progressText = `${plural(voted, "vote was", "votes were")} cast before the round was withdrawn.`;
    else if (r) progressText = `${voted} of ${eligible} have voted`;
    setText($("cs-progress-text"), progressText);
    if (progress) {
      progress.max = Math.max(1, eligible);
      progress.value = Math.min(voted, Math.max(1, eligible));
      show(progress, Boolean(r) && !withdrawn);
    }
    const quorum = $("cs-quorum");
    if (quorum) {
      const text = r && r.quorum_needed && !withdrawn ? `At least ${r.quorum_needed} of ${eligible} must vote for the round to count.` : "";
      setText(quorum, text);
      quorum.hidden = !text;
    }
    const visible = Boolean(r && r.tally_visible && r.tally);
    const list = $("cs-tally");
    if (list) {
      list.hidden = !visible;
      if (visible) {
        const sig = JSON.stringify(r.tally);
        if (list.dataset.sig !== sig) {
          list.dataset.sig = sig;
          list.replaceChildren(
            ...CHOICE_ORDER.map((choice) =>
              h(
                "li",
                { class: `cs-tally-item cs-tally-${choice}` },
                icon(choice),
                h("span", { class: "cs-tally-count" }, String(r.tally[choice] ?? 0)),
                h("span", { class: "cs-tally-word" }, CHOICES[choice].word),
              ),
            ),
          );
        }
      }
    }
    show($("cs-tally-hidden"), Boolean(r && !visible));
  }

  function renderVoters() {
    const section = $("cs-voters-section");
    if (!section) return;
    const r = roundOf(state);
    section.hidden = !r;
    if (!r) return;
    const note = $("cs-voters-note");
    const list = $("cs-voters");
    if (r.voters === null || r.voters === undefined) {
      setText(note, r.outcome === "withdrawn" ? "Voting was anonymous: names are not shown." : `Voting is anonymous: names are not shown. ${r.voted} of ${r.eligible} have voted.`);
      note.hidden = false;
      list.replaceChildren();
      list.hidden = true;
      return;
    }
    if (!members.length && r.voters.length) {
      // The voting page gets the names with the first snapshot: until then, just the count.
      setText(note, `${r.voters.length} of ${r.eligible} have voted. Names appear once the screen is connected.`);
      note.hidden = false;
      list.hidden = true;
      return;
    }
    const names = r.voters.map((id) => (id === you.membership_id ? `${memberName(id) || "You"} (you)` : memberName(id) || "A former member"));
    const sig = names.join("\n");
    if (list.dataset.sig !== sig) {
      list.dataset.sig = sig;
      list.replaceChildren(...names.map((name) => h("li", null, h("span", { "aria-hidden": "true" }, "✔ "), name)));
    }
    list.hidden = names.length === 0;
    setText(note, names.length ? "" : "No one has voted yet.");
    note.hidden = names.length > 0;
  }

  function renderConcerns() {
    const section = $("cs-concerns-section");
    if (!section) return;
    const r = roundOf(state);
    const concerns = r && Array.isArray(r.concerns) ? r.concerns : [];
    section.hidden = concerns.length === 0;
    const list = $("cs-concerns");
    const sig = JSON.stringify(concerns);
    if (list.dataset.sig === sig) return;
    list.dataset.sig = sig;
    list.replaceChildren(
      ...concerns.map((c) =>
        h(
          "li",
          { class: `cs-concern cs-concern-${CHOICES[c.choice] ? c.choice : "down"}` },
          h(
            "span",
            { class: "cs-concern-who" },
            icon(c.choice),
            " ",
            h("strong", null, (CHOICES[c.choice] || CHOICES.down).word),
            ` — ${c.member || "anonymous"}`,
          ),
          h("span", { class: "cs-concern-text" }, c.reason ? c.reason : "(no reason given)"),
        ),
      ),
    );
  }

  /** Console: concerns of earlier rounds not yet answered by an amendment (live, from the state). */
  function renderOpenConcerns() {
    const list = $("cs-open-concerns");
    if (!list) return;
    const concerns = Array.isArray(state.open_concerns) ? state.open_concerns : [];
    setText($("cs-open-concerns-note"), concerns.length ? "Raised in earlier rounds and not yet answered by an amendment." : "No open concerns.");
    list.hidden = concerns.length === 0;
    const sig = JSON.stringify(concerns);
    if (list.dataset.sig === sig) return;
    list.dataset.sig = sig;
    list.replaceChildren(
      ...concerns.map((c) =>
        h(
          "li",
          { class: `cs-concern cs-concern-${CHOICES[c.choice] ? c.choice : "down"}` },
          h(
            "span",
            { class: "cs-concern-who" },
            icon(c.choice),
            " ",
            h("strong", null, (CHOICES[c.choice] || CHOICES.down).word),
            ` — ${c.member || "anonymous"}, round ${c.round_number}`,
          ),
          h("span", { class: "cs-concern-text" }, c.text),
        ),
      ),
    );
  }

  /** Split into words and the spaces between them (kept, so the text reads as written). */
  function tokens(text) {
    return text.split(/(\s+)/).filter((t) => t !== "");
  }

  /**
   * Word-level comparison of a removed line with the added line that replaced it: returns
   * [removedParts, addedParts] as lists of [text, changed], or null when the lines have too
   * little in common (or are too long) for the comparison to help.
   */
  function wordDiff(before, after) {
    const a = tokens(before);
    const b = tokens(after);
    if (!a.length || !b.length || a.length * b.length > 160000) return null;
    const rows = a.length + 1;
    const cols = b.length + 1;
    const lcs = new Uint16Array(rows * cols);
    for (let i = a.length - 1; i >= 0; i -= 1) {
      for (let j = b.length - 1; j >= 0; j -= 1) {
        lcs[i * cols + j] = a[i] === b[j] ? lcs[(i + 1) * cols + j + 1] + 1 : Math.max(lcs[(i + 1) * cols + j], lcs[i * cols + j + 1]);
      }
    }
    const common = lcs[0];
    const words = (list) => list.filter((t) => t.trim()).length;
    if (common === 0) return null;
    const removed = [];
    const added = [];
    const push = (list, text, changed) => {
      const last = list[list.length - 1];
      // Spaces between two changed words belong to the change, so it reads as one phrase.
      if (last && last[1] === changed) last[0] += text;
      else list.push([text, changed]);
    };
    let i = 0;
    let j = 0;
    let same = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) {
        push(removed, a[i], false);
        push(added, b[j], false);
        if (a[i].trim()) same += 1;
        i += 1;
        j += 1;
      } else if (lcs[(i + 1) * cols + j] >= lcs[i * cols + j + 1]) {
        push(removed, a[i], !/^\s+$/.test(a[i]));
        i += 1;
      } else {
        push(added, b[j], !/^\s+$/.test(b[j]));
        j += 1;
      }
    }
    for (; i < a.length; i += 1) push(removed, a[i], !/^\s+$/.test(a[i]));
    for (; j < b.length; j += 1) push(added, b[j], !/^\s+$/.test(b[j]));
    // Only worth it when most of the line stayed the same.
    if (same < 0.4 * Math.max(words(a), words(b))) return null;
    return [removed, added];
  }

  function diffLine(kind, text, parts) {
    const add = kind === "+";
    const content = parts
      ? parts.map(([chunk, changed]) => (changed ? h("span", { class: "cs-diff-word" }, chunk) : chunk))
      : [text || " "];
    return h(
      add ? "ins" : "del",
      { class: `cs-diff-line ${add ? "cs-diff-add" : "cs-diff-del"}${parts ? " cs-diff-paired" : ""}` },
      h("span", { class: "cs-diff-mark", "aria-hidden": "true" }, add ? "+" : "−"),
      h("span", { class: "visually-hidden" }, add ? "Added: " : "Removed: "),
      content,
    );
  }

  /** The unified diff as readable lines: "+"/"−" marks, "Added:"/"Removed:" for screen readers. */
  function renderDiff(diff) {
    const box = $("cs-diff");
    if (!box || box.dataset.sig === diff) return;
    box.dataset.sig = diff;
    const out = [];
    let removed = [];
    let added = [];
    const flush = () => {
      const pairs = Math.min(removed.length, added.length);
      const compared = [];
      for (let k = 0; k < pairs; k += 1) compared.push(wordDiff(removed[k], added[k]));
      removed.forEach((text, k) => out.push(diffLine("-", text, compared[k] ? compared[k][0] : null)));
      added.forEach((text, k) => out.push(diffLine("+", text, compared[k] ? compared[k][1] : null)));
      removed = [];
      added = [];
    };
    for (const line of diff.split("\n")) {
      if (line.startsWith("---") || line.startsWith("+++")) continue;
      const kind = line[0];
      if (kind === "-") {
        if (added.length) flush();
        removed.push(line.slice(1));
        continue;
      }
      if (kind === "+") {
        added.push(line.slice(1));
        continue;
      }
      flush();
      if (line.startsWith("@@")) {
        if (out.length) {
          out.push(h("div", { class: "cs-diff-gap" }, h("span", { "aria-hidden": "true" }, "⋯"), h("span", { class: "visually-hidden" }, "Further on in the text:")));
        }
      } else if (kind === " " || kind === undefined) {
        out.push(h("div", { class: "cs-diff-line cs-diff-same" }, h("span", { class: "cs-diff-mark", "aria-hidden": "true" }, " "), h("span", { class: "visually-hidden" }, "Unchanged: "), line.slice(1) || " "));
      }
    }
    flush();
    box.replaceChildren(
      h(
        "p",
        { class: "cs-diff-key muted" },
        h("span", { class: "cs-diff-key-item" }, h("span", { class: "cs-diff-mark-key", "aria-hidden": "true" }, "+"), " added"),
        h("span", { class: "cs-diff-key-item" }, h("span", { class: "cs-diff-mark-key", "aria-hidden": "true" }, "−"), " removed"),
        h("span", { class: "cs-diff-key-item" }, "changed words in ", h("span", { class: "cs-diff-word" }, "bold")),
      ),
      ...out,
    );
  }

  function renderProposal() {
    const p = state.proposal;
    // The projector shows the words without the Markdown marks (headings' #, list markers).
    setText($("cs-text"), MODE === "room" ? readableText(p.text) : p.text);
    setText($("cs-version"), `(text version ${p.version_number})`);
    const diff = p.changed_since_last_round || "";
    show($("cs-changes"), Boolean(diff));
    if (diff) renderDiff(diff);
  }

  function renderVotePanel() {
    const r = roundOf(state);
    const open = isOpen(state);
    const mine = currentVote();
    const pendingMine = pending.get("me");
    const canVote = Boolean(you.can_vote);

    if (!canVote) {
      // Observers: no controls (the template renders none for them); hide any left over.
      show($("cs-vote-buttons"), false);
      show($("cs-reason-field"), false);
      show($("cs-my-vote"), false);
      show($("cs-vote-note"), false);
      let note = $("cs-observer-note");
      if (!note) {
        note = h("p", { id: "cs-observer-note", class: "cs-observer-note" }, "You are an observer: observers follow the discussion and see the results, but do not vote.");
        $("cs-vote").insertBefore(note, $("cs-alerts"));
      }
      return;
    }

    const final = ["consensus", "withdrawn", "escalated"].includes(state.proposal.status);
    const refused = ui.connection === "refused";
    const box = reasonBox();
    const roundId = r ? r.id : null;
    if (roundId !== lastRenderedRound) {
      // A new round starts with an empty reason (or the one the server has for this round).
      if (lastRenderedRound !== undefined && box) box.value = mine && mine.reason ? mine.reason : "";
      if (lastRenderedRound !== undefined) clearReasonError();
      lastRenderedRound = roundId;
    }

    // The explanation next to the buttons.
    // Told before trying: someone the meeting's attendance leaves out cannot vote in its rounds.
    const notEligible = Boolean(
      open && you.can_vote && r && Array.isArray(r.eligible_ids) && you.membership_id != null && !r.eligible_ids.includes(you.membership_id),
    );
    let note;
    if (final) note = "Voting has ended on this proposal.";
    else if (refused) note = "Not connected: reload the page to vote.";
    else if (notEligible)
      note = "You are not recorded as present or remote at this meeting, so you cannot vote in this round. Ask the recorder to mark your attendance.";
    else if (open) note = roundOf(state).closes_at ? `Choose one. You can change your vote until the round closes, ${roundOf(state).closes_at_text}.` : "Choose one. You can change your vote until the moderator closes the round.";
    else if (!r) note = "Voting opens when the moderator starts a round.";
    else note = "This round is closed. Voting opens again when the moderator starts the next round.";
    setText($("cs-vote-note"), note);
    show($("cs-vote-buttons"), !final);

    for (const btn of document.querySelectorAll(".cs-choice")) {
      const choice = btn.dataset.choice;
      const pressed = Boolean(mine && mine.choice === choice);
      btn.disabled = !open || refused || notEligible;
      btn.setAttribute("aria-pressed", pressed ? "true" : "false");
      const marker = btn.querySelector(".cs-mine");
      if (marker) marker.hidden = !pressed;
      btn.classList.toggle("cs-choice-sending", Boolean(pendingMine && pendingMine.choice === choice));
      btn.classList.toggle("cs-choice-asking", ui.confirmChoice === choice);
    }

    const my = $("cs-my-vote");
    if (my) {
      let text;
      if (!r) text = "";
      else if (mine) {
        text = `${open ? "Your current vote" : "Your vote in this round"}: ${CHOICES[mine.choice].word}`;
        if (mine.reason) text += ` — “${mine.reason}”`;
      } else if (open) text = "You have not voted in this round yet.";
      else text = "You did not vote in this round.";
      setText(my, text);
      my.hidden = !text;
    }

    // Sending… / waiting for the connection / Recorded.
    const status = $("cs-send-status");
    if (status) {
      let kind = null;
      let text = "";
      if (pendingMine) {
        const meta = CHOICES[pendingMine.choice];
        kind = pendingMine.waiting ? "waiting" : "sending";
        text = pendingMine.waiting
          ? `Waiting for the connection — your ${meta.phrase} will be sent when it is back.`
          : `Sending your ${meta.phrase}…`;
      } else if (ui.sendStatus && mine && open) {
        kind = ui.sendStatus.kind;
        text = ui.sendStatus.text;
      }
      status.dataset.kind = kind || "";
      status.replaceChildren();
      if (text) {
        status.append(h("span", { "aria-hidden": "true" }, kind === "recorded" ? "✔ " : kind === "waiting" ? "↻ " : "… "), text);
      }
      status.hidden = !text;
    }

    // The reason field: shown while a round is open; the send step when a reason is required.
    const field = $("cs-reason-field");
    if (field) field.hidden = !open || refused;
    if (box && mine && mine.reason && !box.value && document.activeElement !== box && !ui.confirmChoice) box.value = mine.reason;
    const rule = state.rule || {};
    let need;
    if (rule.down_requires_reason && rule.sideways_requires_reason) need = "(needed for thumbs down or sideways)";
    else if (rule.down_requires_reason) need = "(needed for thumbs down; optional for sideways)";
    else if (rule.sideways_requires_reason) need = "(needed for sideways; optional for thumbs down)";
    else need = "(optional, for thumbs down or sideways)";
    if (ui.confirmChoice) need = `(required for your ${CHOICES[ui.confirmChoice].phrase})`;
    setText($("cs-reason-need"), need);
    setText(
      $("cs-reason-hint"),
      ui.confirmChoice
        ? `Say briefly why, then press “${CHOICES[ui.confirmChoice].send}”. ${rule.anonymous ? "The team sees your reason, without your name, once the votes are shown." : "The team sees your reason, with your name, once the votes are shown."}`
        : rule.anonymous
          ? "The team sees your reason, without your name, once the votes are shown."
          : "The team sees your reason, with your name, once the votes are shown.",
    );
    if (box) {
      box.required = Boolean(ui.confirmChoice);
      if (ui.confirmChoice) box.setAttribute("aria-required", "true");
      else box.removeAttribute("aria-required");
    }
    const confirm = $("cs-confirm");
    if (confirm) {
      confirm.hidden = !ui.confirmChoice;
      if (ui.confirmChoice) {
        const send = $("cs-confirm-send");
        const label = CHOICES[ui.confirmChoice].send;
        if (send.dataset.label !== label) {
          send.dataset.label = label;
          send.replaceChildren(icon(ui.confirmChoice), " ", label);
        }
        send.classList.toggle("cs-confirm-down", ui.confirmChoice === "down");
      }
    }
  }

  function renderConsole() {
    const r = roundOf(state);
    const open = isOpen(state);
    const status = state.proposal.status;
    const connected = ui.connection === "live";
    const canOpen = !open && (status === "discussion" || status === "tabled");
    const rule = state.rule || {};

    const controls = {
      open: $("cs-open"),
      reveal: $("cs-reveal"),
      close: $("cs-close"),
      withdraw: $("cs-withdraw-round"),
    };
    show(controls.open, canOpen);
    // The deadline: chosen before opening, changed or removed while the round is open.
    const closes = $("cs-closes");
    if (closes) {
      show(closes, canOpen || open);
      setText($("cs-closes-legend"), open ? (r.closes_at ? `Deadline: ${r.closes_at_text}` : "Add a deadline") : "Open until (optional)");
      const save = $("cs-set-deadline");
      const remove = $("cs-remove-deadline");
      show(save, open);
      show(remove, open && Boolean(r.closes_at));
      setText(save, ui.busyAction === "set_deadline" ? ACTION_BUSY.set_deadline : r && r.closes_at ? "Move the deadline" : "Set the deadline");
      setText(remove, ui.busyAction === "remove_deadline" ? ACTION_BUSY.remove_deadline : "Remove the deadline");
      for (const btn of [save, remove]) {
        if (!btn) continue;
        if (ui.busyAction || !connected) btn.setAttribute("aria-disabled", "true");
        else btn.removeAttribute("aria-disabled");
      }
    }
    setText(controls.open, ui.busyAction === "open_round" ? ACTION_BUSY.open_round : `Open round ${r ? r.number + 1 : 1}`);
    show(controls.reveal, open && rule.reveal_mode === "simultaneous" && !(r && r.tally_visible));
    show(controls.close, open);
    show(controls.withdraw, open);
    setText(controls.reveal, ui.busyAction === "reveal_round" ? ACTION_BUSY.reveal_round : "Reveal votes");
    setText(controls.close, ui.busyAction === "close_round" ? ACTION_BUSY.close_round : "Close round");
    setText(controls.withdraw, ui.busyAction === "withdraw_round" ? ACTION_BUSY.withdraw_round : "Withdraw this round");
    for (const btn of Object.values(controls)) {
      if (!btn) continue;
      const blocked = Boolean(ui.busyAction) || !connected;
      // aria-disabled keeps the focused button focused while we wait for the server.
      if (blocked) btn.setAttribute("aria-disabled", "true");
      else btn.removeAttribute("aria-disabled");
      btn.setAttribute("aria-describedby", "cs-controls-note");
    }

    let note;
    if (!connected) note = "Waiting for the live connection before you can run the round.";
    else if (open) {
      note = `Round ${r.number} is open. ${r.voted} of ${r.eligible} have voted`;
      note += r.quorum_needed ? ` (at least ${r.quorum_needed} needed). ` : ". ";
      if (r.closes_at) note += `It closes itself on ${r.closes_at_text}. `;
      note += "“Close round” counts the votes now; “Withdraw this round” ends it without counting.";
    } else if (canOpen) note = r ? "No round is open. Open the next round when the team is ready." : "No round yet. Open round 1 when the team has discussed the proposal.";
    else note = `No more rounds: this proposal is ${PROPOSAL_STATUS[status] ? PROPOSAL_STATUS[status].toLowerCase() : status}.`;
    setText($("cs-controls-note"), note);

    const ctl = $("cs-control-status");
    if (ctl) {
      const text = ui.sendStatus ? ui.sendStatus.text : "";
      ctl.replaceChildren();
      if (text) ctl.append(h("span", { "aria-hidden": "true" }, "✔ "), text);
      ctl.hidden = !text || !open;
    }

    renderHands(r, open);

    // Tabling / withdrawing / amending only make sense between rounds, before a final outcome.
    const final = ["consensus", "withdrawn", "escalated"].includes(status);
    const actions = $("cs-actions");
    const actionsNote = $("cs-actions-note");
    if (actions) {
      actions.hidden = final;
      for (const btn of actions.querySelectorAll(".cs-status-button")) btn.disabled = open;
      const tableForm = actions.querySelector('input[name="status"][value="tabled"]');
      if (tableForm) show(tableForm.closest("form"), status !== "tabled");
      show($("cs-amend"), !open);
    }
    if (actionsNote) {
      let text = "";
      if (final) text = `This proposal is ${PROPOSAL_STATUS[status].toLowerCase()}: it can no longer be amended, tabled or withdrawn.`;
      else if (open) text = "Close or withdraw the open round before amending, tabling or withdrawing the proposal.";
      else if (status === "tabled") text = "The proposal is tabled. Amend it or open a new round to bring it back.";
      setText(actionsNote, text);
      actionsNote.hidden = !text;
    }
  }

  /** Console: "Not voted yet", each with raised-hand controls; rows are kept across renders. */
  function renderHands(r, open) {
    const section = $("cs-not-voted-section");
    if (!section) return;
    section.hidden = !open;
    const list = $("cs-not-voted");
    const note = $("cs-not-voted-note");
    if (!open) {
      list.replaceChildren();
      return;
    }
    if (r.voters === null || r.voters === undefined) {
      setText(note, `Voting is anonymous: only the count is shown. ${r.eligible - r.voted} of ${r.eligible} have not voted yet.`);
      list.replaceChildren();
      list.hidden = true;
      return;
    }
    list.hidden = false;
    const voted = new Set(r.voters);
    // Only those eligible now (attendance, when recorded) are waited for: the server sends the
    // set, so this list, the counts and the quorum line all agree.
    const eligible = Array.isArray(r.eligible_ids) ? new Set(r.eligible_ids) : null;
    const waiting = members.filter((m) => (!eligible || eligible.has(m.id)) && !voted.has(m.id));
    setText(
      note,
      waiting.length
        ? `${waiting.length} of ${r.eligible} have not voted. For someone in the room without a device, enter the hand they raise.`
        : "Everyone has voted.",
    );

    const wanted = new Set(waiting.map((m) => m.id));
    const focusedRow = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".cs-hand") : null;
    let nextFocus = null;
    for (const row of [...list.children]) {
      if (!wanted.has(Number(row.dataset.member))) {
        if (row === focusedRow) {
          let sib = row.nextElementSibling;
          while (sib && !wanted.has(Number(sib.dataset.member))) sib = sib.nextElementSibling;
          nextFocus = sib || "heading";
        }
        row.remove();
      }
    }
    let cursor = list.firstElementChild;
    for (const m of waiting) {
      let row = list.querySelector(`.cs-hand[data-member="${m.id}"]`);
      if (!row) row = handRow(m);
      if (row === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        list.insertBefore(row, cursor);
      }
      const busy = pending.get(`member:${m.id}`);
      for (const btn of row.querySelectorAll("button")) {
        btn.setAttribute("aria-disabled", busy || !open ? "true" : "false");
      }
      const rowStatus = row.querySelector(".cs-hand-status");
      const text = busy ? (busy.waiting ? "Waiting for the connection…" : `Sending ${CHOICES[busy.choice].phrase}…`) : "";
      setText(rowStatus, text);
      rowStatus.hidden = !text;
    }
    if (nextFocus === "heading") $("cs-not-voted-heading").focus();
    else if (nextFocus) nextFocus.querySelector("input, button").focus();
  }

  function handRow(m) {
    const inputId = `cs-hand-reason-${m.id}`;
    const isMe = m.id === you.membership_id;
    const name = `${m.name}${isMe ? " (you)" : ""}`;
    const buttons = CHOICE_ORDER.map((choice) =>
      h(
        "button",
        { type: "button", class: `cs-hand-button cs-hand-${choice} outline secondary`, dataset: { hand: choice, member: String(m.id) } },
        icon(choice),
        " ",
        { up: "Up", sideways: "Sideways", down: "Down" }[choice],
        h("span", { class: "visually-hidden" }, ` for ${m.name}`),
      ),
    );
    return h(
      "li",
      { class: "cs-hand", dataset: { member: String(m.id) } },
      h("div", { class: "cs-hand-who" }, h("strong", null, name), m.agency ? h("span", { class: "muted cs-hand-agency" }, m.agency) : null),
      h(
        "fieldset",
        { class: "cs-hand-controls" },
        h("legend", { class: "visually-hidden" }, `Enter a raised hand for ${m.name}`),
        h("label", { for: inputId, class: "visually-hidden" }, `Reason ${m.name} gives (needed for a thumbs down)`),
        h("input", { id: inputId, type: "text", class: "cs-hand-reason", maxlength: String(REASON_MAX), placeholder: "Reason, if given", autocomplete: "off" }),
        h("div", { class: "cs-hand-buttons" }, buttons),
        h("span", { class: "cs-hand-status muted", hidden: true }),
      ),
    );
  }

  // ---- Events (delegated; no inline handlers) --------------------------------------------------

  root.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const choiceBtn = target.closest(".cs-choice");
    if (choiceBtn && !choiceBtn.disabled) {
      onChoice(choiceBtn.dataset.choice);
      return;
    }
    if (target.closest("#cs-confirm-send")) {
      onConfirmSend();
      return;
    }
    if (target.closest("#cs-confirm-cancel")) {
      onConfirmCancel();
      return;
    }
    const action = target.closest("[data-action]");
    if (action && MODE === "console") {
      if (action.getAttribute("aria-disabled") !== "true") onRoundAction(action.dataset.action);
      return;
    }
    const hand = target.closest(".cs-hand-button");
    if (hand && MODE === "console") {
      if (hand.getAttribute("aria-disabled") === "true") return;
      const row = hand.closest(".cs-hand");
      onHand(Number(hand.dataset.member), hand.dataset.hand, row && row.querySelector(".cs-hand-reason"));
    }
  });

  root.addEventListener("input", (event) => {
    const target = event.target;
    if (target && target.id === "cs-reason" && target.getAttribute("aria-invalid") === "true" && target.value.trim()) {
      clearReasonError();
    }
    if (target && target.classList && target.classList.contains("cs-hand-reason")) target.removeAttribute("aria-invalid");
  });

  root.addEventListener("keydown", (event) => {
    // Escape leaves the reason step; Ctrl/Cmd+Enter in the reason sends it.
    if (!ui.confirmChoice) return;
    if (event.key === "Escape") {
      event.preventDefault();
      onConfirmCancel();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target && event.target.id === "cs-reason") {
      event.preventDefault();
      onConfirmSend();
    }
  });

  // Forms on the console submit over HTTP; prevent a double submission.
  root.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.submitted === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "1";
  });

  render();
})();
