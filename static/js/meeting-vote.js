/*
 * Teamwork — the vote panel of the live meeting screen (#mt-vote in templates/meetings/live.html):
 * a member votes on the current decision item without leaving the meeting, and the moderator
 * runs the round there (open, reveal, close, a raised hand entered for someone without a
 * device). It speaks the consensus namespace's own events (cast_vote, open_round, reveal_round,
 * close_round: docs/realtime.md) over the proposal connection static/js/meeting.js keeps for
 * the current item, so the server's voting rules, checks and broadcasts are the very ones of
 * the voting screen and the console. Nothing here decides who may vote or what a vote counts.
 *
 * meeting.js calls `create(feed, hooks)` once and `render()` whenever the proposal's state or
 * the meeting's snapshot changes. Server text only ever goes in as text (static/js/dom.js).
 * The thumbs are `.tw-thumb` icons (vendored SVGs, teamwork.css), never emoji: a room PC may
 * have no emoji font.
 */
(() => {
  "use strict";

  const { $, h, setText, show, newRequestId } = window.TeamworkDom;
  const ACK_TIMEOUT_MS = 5000;
  const REASON_MAX = 2000;
  const CHOICES = {
    up: { word: "Thumbs up", phrase: "thumbs up", short: "Up" },
    sideways: { word: "Sideways", phrase: "sideways vote", short: "Sideways" },
    down: { word: "Thumbs down", phrase: "thumbs down", short: "Down" },
  };
  const ATTENDS = new Set(["present", "remote", "designee"]);


  /** "Round 2 — open" and friends: the words of the voting screen's round line. */
  function roundStatus(r) {
    if (!r) return "No round open yet — waiting for the moderator";
    if (r.status === "open") return `Round ${r.number} — open`;
    if (r.outcome === "consensus") return `Round ${r.number} — closed: Consensus reached`;
    if (r.outcome === "no_consensus") return `Round ${r.number} — closed: No consensus`;
    return `Round ${r.number} — withdrawn by the moderator`;
  }

  /*
   * The counts, in one place: the round's own numbers as the server sends them (the same
   * `voted` and `eligible` the console and the voting screen show), and who is still to vote
   * among the members the meeting expects.
   */
  function roundCount(r) {
    if (!r) return "";
    const needed = r.status === "open" && r.quorum_needed ? ` (at least ${r.quorum_needed} needed)` : "";
    return `${r.voted} of ${r.eligible} have voted${needed}`;
  }

  function notVotedYet(r, members, attendance, designeesVote) {
    if (!r || !Array.isArray(r.voters)) return [];
    const voters = new Set(r.voters);
    // The round's own eligible set (consensus.services.eligible_voter_ids), when the state
    // carries it: the same one place every count on every screen comes from.
    if (Array.isArray(r.eligible_ids)) {
      const eligible = new Set(r.eligible_ids);
      return members.filter((m) => eligible.has(m.id) && !voters.has(m.id));
    }
    const recorded = attendance.filter((p) => p.status);
    const counts = (p) => ATTENDS.has(p.status) && (p.status !== "designee" || designeesVote);
    const attends = new Set(recorded.filter(counts).map((p) => p.membership_id));
    const voted = new Set(r.voters);
    return members.filter((m) => !voted.has(m.id) && (recorded.length === 0 || attends.has(m.id)));
  }

  function create(feed, hooks) {
    const section = $("mt-vote");
    if (!section) return null;
    const canVote = section.dataset.canVote === "true";
    const canModerate = section.dataset.canModerate === "true";
    const ui = { confirm: null, busy: null, status: null, roundId: undefined };
    const pending = new Map(); // key ("me" / "member:<id>") -> the vote awaiting its ack
    let mine = null; // {round_id, choice, reason}

    const state = () => feed.state;
    const round = () => (feed.state ? feed.state.round : null);
    const isOpen = () => Boolean(round() && round().status === "open");
    const memberName = (id) => (feed.members.find((m) => m.id === id) || {}).name || "the member";

    /** The round's deadline and time left, under the round's status line (made here once). */
    function paintDeadline(words) {
      let line = $("mt-vp-deadline");
      if (!line && words) {
        const status = section.querySelector(".mt-vp-status-line");
        if (!status) return;
        line = h("p", { id: "mt-vp-deadline", class: "mt-vp-deadline" });
        status.after(line);
      }
      if (!line) return;
      const text = words ? [words.until, words.left].filter(Boolean).join(" · ") : "";
      setText(line, text);
      show(line, Boolean(text));
    }
    // Every second; once the deadline passes, a sync (the server closes the round then).
    window.TeamworkRound.watchDeadline({ round, paint: paintDeadline, due: () => hooks.sync() });

    function alert(message) {
      const el = $("mt-vp-alert");
      setText(el, message || "");
      show(el, Boolean(message));
    }

    function reasonRequired(choice) {
      const rule = (state() && state().rule) || {};
      return choice === "down" ? Boolean(rule.down_requires_reason) : choice === "sideways" ? Boolean(rule.sideways_requires_reason) : false;
    }

    /** What the consensus snapshot says of this member's vote, unless an ack said more since. */
    function adopt(you, r) {
      if (!r || !you || feed.youRoundId !== r.id || (mine && mine.round_id === r.id && mine.fromAck)) return;
      mine = you.my_vote ? { round_id: r.id, choice: you.my_vote.choice, reason: you.my_vote.reason || "" } : null;
    }

    // When someone else (the moderator entering a raised hand, or this member on another
    // device) recorded this member's vote, the broadcast lists them among the voters but
    // cannot say how they voted: ask for a snapshot, once per count.
    let fetchedFor = null;
    function maybeFetchMyVote(r) {
      const me = feed.you ? feed.you.membership_id : null;
      if (!r || r.status !== "open" || !Array.isArray(r.voters) || me == null) return;
      if (!r.voters.includes(me) || myVote() || pending.has("me")) return;
      if (fetchedFor === `${r.id}:${r.voted}`) return;
      fetchedFor = `${r.id}:${r.voted}`;
      hooks.sync();
    }

    function myVote() {
      const r = round();
      return mine && r && mine.round_id === r.id ? mine : null;
    }

    // ---- Sending: one request_id per intended vote, re-sent until acknowledged ----------------

    function cast(key, choice, reason, memberId) {
      const r = round();
      if (!r || r.status !== "open" || !feed.socket) return;
      const item = { key, round_id: r.id, choice, reason, memberId: memberId ?? null, request_id: newRequestId(), attempt: 0 };
      pending.set(key, item);
      alert("");
      send(item);
      render();
    }

    function send(item) {
      const socket = feed.socket;
      if (!socket || pending.get(item.key) !== item) return;
      if (!socket.connected) {
        item.waiting = true;
        socket.once("connect", () => send(item));
        return;
      }
      item.waiting = false;
      item.attempt += 1;
      const attempt = item.attempt;
      const payload = { round_id: item.round_id, choice: item.choice, request_id: item.request_id };
      if (item.reason) payload.reason = item.reason;
      if (item.memberId !== null) payload.member_id = item.memberId;
      socket.timeout(ACK_TIMEOUT_MS).emit("cast_vote", payload, (err, ack) => {
        if (pending.get(item.key) !== item || item.attempt !== attempt) return;
        if (err) {
          // The same request_id again: the server counts a vote once however often it comes.
          setTimeout(() => send(item), Math.min(8000, 1000 * 2 ** Math.min(3, attempt - 1)));
          return;
        }
        pending.delete(item.key);
        if (ack && ack.ok) {
          const meta = CHOICES[item.choice];
          if (item.memberId === null || item.memberId === feed.you.membership_id) {
            mine = { round_id: item.round_id, choice: item.choice, reason: item.reason, fromAck: true };
          }
          ui.status = item.memberId === null ? `Recorded: your ${meta.phrase}.` : `Recorded: ${meta.word.toLowerCase()} for ${memberName(item.memberId)}.`;
          hooks.announce(ui.status);
        } else {
          const message = (ack && ack.error && ack.error.message) || "The vote was not recorded. Try again.";
          alert(item.memberId === null ? message : `${message} (for ${memberName(item.memberId)})`);
        }
        render();
      });
    }

    function roundAction(action) {
      const socket = feed.socket;
      const r = round();
      if (ui.busy || !state()) return;
      if (!socket || !socket.connected) {
        alert("Not connected to the vote yet. Wait a moment, then try again.");
        return;
      }
      const payload = action === "open_round" ? { proposal_id: state().proposal.id } : { round_id: r && r.id };
      ui.busy = action;
      alert("");
      render();
      socket.timeout(ACK_TIMEOUT_MS).emit(action, payload, (err, ack) => {
        ui.busy = null;
        if (err) alert("No answer from the server. Check the connection, then try again.");
        else if (!ack || !ack.ok) alert((ack && ack.error && ack.error.message) || "That did not work. Try again.");
        if (err || !ack || !ack.ok) hooks.sync();
        render();
      });
    }

    // ---- Events --------------------------------------------------------------------------------

    section.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target) return;
      const choiceBtn = target.closest(".mt-vp-choice");
      if (choiceBtn && !choiceBtn.disabled) {
        const choice = choiceBtn.dataset.choice;
        const box = $("mt-vp-reason");
        $("mt-vp-reason-error").hidden = true;
        if (reasonRequired(choice) && !(box.value.trim())) {
          ui.confirm = choice; // never send an empty reason: ask for it, with a send button
          render();
          box.focus();
          return;
        }
        ui.confirm = null;
        cast("me", choice, choice === "up" ? "" : box.value.trim());
        return;
      }
      if (target.closest("#mt-vp-send")) {
        const box = $("mt-vp-reason");
        const reason = box.value.trim();
        const error = $("mt-vp-reason-error");
        if (!reason || reason.length > REASON_MAX) {
          setText(error, reason ? `Use at most ${REASON_MAX} characters.` : `Write a reason first: a ${CHOICES[ui.confirm].phrase} needs one.`);
          error.hidden = false;
          box.focus();
          return;
        }
        const choice = ui.confirm;
        ui.confirm = null;
        cast("me", choice, reason);
        return;
      }
      if (target.closest("#mt-vp-cancel")) {
        ui.confirm = null;
        render();
        return;
      }
      const action = target.closest("[data-round-action]");
      if (action && canModerate && action.getAttribute("aria-disabled") !== "true") {
        roundAction(action.dataset.roundAction);
        return;
      }
      const hand = target.closest("[data-hand]");
      if (hand && canModerate && isOpen() && hand.getAttribute("aria-disabled") !== "true") {
        const id = Number(hand.dataset.member);
        const input = $(`mt-vp-hand-reason-${id}`);
        const reason = hand.dataset.hand === "up" || !input ? "" : input.value.trim();
        if (reasonRequired(hand.dataset.hand) && !reason) {
          alert(`Type the reason ${memberName(id)} gives before entering a ${CHOICES[hand.dataset.hand].phrase}.`);
          if (input) input.focus();
          return;
        }
        cast(`member:${id}`, hand.dataset.hand, reason, id);
      }
    });

    // ---- Rendering -----------------------------------------------------------------------------

    function render() {
      const s = state();
      show(section, Boolean(s && feed.id));
      if (!s) return;
      const r = round();
      const open = isOpen();
      if ((r ? r.id : null) !== ui.roundId) {
        // A new round starts with an empty reason and no stale "Recorded" line.
        if (ui.roundId !== undefined && $("mt-vp-reason")) $("mt-vp-reason").value = "";
        ui.roundId = r ? r.id : null;
        ui.status = null;
        ui.confirm = null;
      }
      adopt(feed.you, r);
      if (canVote) maybeFetchMyVote(r);
      setText($("mt-vp-title"), s.proposal.title);
      setText($("mt-vp-status"), roundStatus(r));
      setText($("mt-vp-count"), roundCount(r));
      paintDeadline(window.TeamworkRound.deadlineWords(r, Date.now()));
      setText($("mt-vp-version"), `(text version ${s.proposal.version_number})`);
      setText($("mt-vp-text"), s.proposal.text);
      section.dataset.round = r ? (open ? "open" : r.outcome || "closed") : "none";

      const tally = r && r.tally_visible && r.tally;
      setText($("mt-vp-tally"), tally ? `${tally.up} thumbs up · ${tally.sideways} sideways · ${tally.down} thumbs down` : r && open ? "Votes are hidden until everyone has voted or the moderator reveals them." : "");
      show($("mt-vp-tally"), Boolean(r));
      const concerns = r && Array.isArray(r.concerns) ? r.concerns : [];
      $("mt-vp-concerns").replaceChildren(
        ...concerns.map((c) => h("li", null, h("strong", null, CHOICES[c.choice] ? CHOICES[c.choice].word : c.choice), c.member ? ` (${c.member})` : "", c.reason ? `: “${c.reason}”` : "")),
      );
      show($("mt-vp-concerns"), concerns.length > 0);

      if (canVote) renderBallot(r, open, s);
      if (canModerate) renderRun(r, open, s);
    }

    function renderBallot(r, open, s) {
      const vote = myVote();
      const final = ["consensus", "withdrawn", "escalated"].includes(s.proposal.status);
      let note = "Voting opens here when the moderator starts a round.";
      if (final) note = "Voting has ended on this proposal.";
      else if (open && r.closes_at) note = `Choose one. You can change your vote until the round closes, ${r.closes_at_text}.`;
      else if (open) note = "Choose one. You can change your vote until the moderator closes the round.";
      else if (r) note = "This round is closed. Voting opens again when the moderator starts the next round.";
      setText($("mt-vp-note"), note);
      const mineSending = pending.get("me");
      for (const btn of section.querySelectorAll(".mt-vp-choice")) {
        const pressed = Boolean(vote && vote.choice === btn.dataset.choice);
        btn.disabled = !open;
        btn.setAttribute("aria-pressed", pressed ? "true" : "false");
        btn.classList.toggle("mt-vp-asking", ui.confirm === btn.dataset.choice);
        btn.classList.toggle("mt-vp-sending", Boolean(mineSending && mineSending.choice === btn.dataset.choice));
      }
      show($("mt-vp-reason-field"), open);
      const rule = s.rule || {};
      let need = "(optional, for thumbs down or sideways)";
      if (rule.down_requires_reason && rule.sideways_requires_reason) need = "(needed for thumbs down or sideways)";
      else if (rule.down_requires_reason) need = "(needed for thumbs down; optional for sideways)";
      if (ui.confirm) need = `(required for your ${CHOICES[ui.confirm].phrase})`;
      setText($("mt-vp-reason-need"), need);
      show($("mt-vp-confirm"), Boolean(ui.confirm));
      if (ui.confirm) setText($("mt-vp-send"), `Send my ${CHOICES[ui.confirm].phrase}`);
      let line = "";
      if (mineSending) line = mineSending.waiting ? `Waiting for the connection — your ${CHOICES[mineSending.choice].phrase} will be sent when it is back.` : `Sending your ${CHOICES[mineSending.choice].phrase}…`;
      else if (vote) line = `${open ? "Your current vote" : "Your vote in this round"}: ${CHOICES[vote.choice].word}${vote.reason ? ` — “${vote.reason}”` : ""}`;
      else if (open) line = "You have not voted in this round yet.";
      else if (r) line = "You did not vote in this round.";
      if (ui.status && vote && open && !mineSending) line = `✔ ${ui.status} ${line}`;
      setText($("mt-vp-mine"), line);
      show($("mt-vp-mine"), Boolean(line));
    }

    function renderRun(r, open, s) {
      const status = s.proposal.status;
      const canOpen = !open && (status === "discussion" || status === "tabled");
      const revealed = r && r.tally_visible;
      const busy = { open_round: "Opening the round…", reveal_round: "Revealing the votes…", close_round: "Closing the round…" };
      const buttons = { open_round: $("mt-vp-open"), reveal_round: $("mt-vp-reveal"), close_round: $("mt-vp-close") };
      show(buttons.open_round, canOpen);
      show(buttons.reveal_round, open && (s.rule || {}).reveal_mode === "simultaneous" && !revealed);
      show(buttons.close_round, open);
      setText(buttons.open_round, ui.busy === "open_round" ? busy.open_round : `Open round ${r ? r.number + 1 : 1}`);
      setText(buttons.reveal_round, ui.busy === "reveal_round" ? busy.reveal_round : "Reveal votes");
      setText(buttons.close_round, ui.busy === "close_round" ? busy.close_round : "Close round");
      // aria-disabled (not disabled) keeps a focused button focused while we wait.
      const connected = Boolean(feed.socket && feed.socket.connected);
      for (const btn of Object.values(buttons)) {
        if (ui.busy || !connected) btn.setAttribute("aria-disabled", "true");
        else btn.removeAttribute("aria-disabled");
      }

      const waiting = open ? notVotedYet(r, feed.members, hooks.attendance(), hooks.designeesVote()) : [];
      const anonymous = open && !Array.isArray(r.voters);
      show($("mt-vp-waiting-heading"), open);
      show($("mt-vp-waiting-note"), open);
      setText(
        $("mt-vp-waiting-note"),
        anonymous ? "Voting is anonymous: only the count is shown." : waiting.length ? "For someone in the room without a device, enter the hand they raise." : "Everyone expected has voted.",
      );
      const list = $("mt-vp-waiting");
      const wanted = new Set(waiting.map((m) => m.id));
      for (const row of [...list.children]) if (!wanted.has(Number(row.dataset.member))) row.remove();
      for (const m of waiting) {
        let row = list.querySelector(`li[data-member="${m.id}"]`);
        if (!row) {
          row = h(
            "li",
            { dataset: { member: String(m.id) } },
            h("strong", null, m.name),
            h("label", { for: `mt-vp-hand-reason-${m.id}`, class: "visually-hidden" }, `Reason ${m.name} gives`),
            h("input", { id: `mt-vp-hand-reason-${m.id}`, type: "text", maxlength: String(REASON_MAX), placeholder: "Reason, if given", autocomplete: "off" }),
            h(
              "span",
              { class: "mt-vp-hand-buttons" },
              Object.entries(CHOICES).map(([choice, meta]) =>
                h("button", { type: "button", class: "secondary outline", dataset: { hand: choice, member: String(m.id) } }, h("span", { class: `tw-thumb tw-thumb-${choice}`, "aria-hidden": "true" }), " ", meta.short, h("span", { class: "visually-hidden" }, ` for ${m.name}`)),
              ),
            ),
          );
        }
        list.append(row); // appending an existing row moves it: the order follows the members'
        const sending = pending.get(`member:${m.id}`);
        for (const btn of row.querySelectorAll("button")) btn.setAttribute("aria-disabled", sending ? "true" : "false");
      }
    }

    return Object.freeze({
      render,
      /** For the banners: the round of the current item and this member's vote in it. */
      round,
      myVote,
      roundStatus,
    });
  }

  window.TeamworkVotePanel = Object.freeze({ create, roundStatus, roundCount });
})();
