/*
 * Teamwork — the live meeting screens: the meeting screen every member follows
 * (data-mode="live") and the read-only room display (data-mode="room": no controls, no per-user
 * data). Protocol: docs/realtime.md, "Meetings".
 *
 * - The page renders from the snapshot the server put in it, so it is right before the socket
 *   connects; every server event carries the whole (small) snapshot with a version, and only a
 *   higher version replaces what is shown.
 * - Server text goes in with textContent; nothing is ever assigned to innerHTML. `notes_html`
 *   and `description_html` (Markdown the server rendered and sanitized with nh3) are parsed
 *   into an inert document and rebuilt element by element from an allowlist, with text as
 *   text nodes: a second line of defence behind the server's sanitizer.
 * - The item timer runs here: time used = seconds_used + (now − item_started_at), with "now"
 *   corrected by the offset between this device's clock and the server's.
 * - The room display (the projector mode, templates/meetings/live_room.html) also follows the
 *   current decision item's proposal on the consensus namespace, for the round's live tally,
 *   who has not voted yet (by name unless the round is anonymous) and the outcome.
 *
 * Needs the vendored socket.io client (global `io`), static/js/dom.js and static/js/live-round.js,
 * loaded before this file.
 */
(() => {
  "use strict";

  const root = document.getElementById("mt-root");
  if (!root) return;

  const MODE = root.dataset.mode === "room" ? "room" : "live";
  const MEETING_ID = Number(root.dataset.meetingId);
  const ACK_TIMEOUT_MS = 6000;
  const AUTOSAVE_MS = 1200;
  const RETRY_MS = 3000;
  const DESIGNEES_MAY_ATTEND = root.dataset.designeesMayAttend === "true";

  const ATTENDANCE = {
    present: "Present in the room",
    remote: "Remote",
    designee: "Designee attending",
    absent: "Absent",
  };
  const ITEM_STATUS = { open: "Open", resolved: "✔ Dealt with", carried: "↪ Carried forward" };

  // ---- Small helpers --------------------------------------------------------------------

  // The shared DOM helpers (static/js/dom.js).
  const { $, readJSON, h, setText, show, readableText } = window.TeamworkDom;

  /** Insert HTML the server sanitized (rendered Markdown); nothing else comes through here. */
  // What Markdown may produce (teamwork/markdown.py allows the same).
  const MARKDOWN_TAGS = new Set([
    "A", "BLOCKQUOTE", "BR", "CODE", "DEL", "EM", "H1", "H2", "H3", "H4", "H5", "H6", "HR",
    "LI", "OL", "P", "PRE", "STRONG", "TABLE", "TBODY", "TD", "TH", "THEAD", "TR", "UL",
  ]);

  function rebuild(source) {
    const nodes = [];
    for (const node of source.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        nodes.push(document.createTextNode(node.textContent));
        continue;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) continue;
      const children = rebuild(node);
      if (!MARKDOWN_TAGS.has(node.tagName)) {
        nodes.push(...children); // an element we do not know: keep only its text
        continue;
      }
      const el = document.createElement(node.tagName.toLowerCase());
      const href = node.tagName === "A" ? node.getAttribute("href") || "" : "";
      if (/^(https?:|mailto:)/i.test(href)) {
        el.setAttribute("href", href);
        el.setAttribute("rel", "noopener noreferrer nofollow");
      }
      const align = node.getAttribute("align");
      if ((node.tagName === "TD" || node.tagName === "TH") && /^(left|right|center)$/.test(align || "")) {
        el.setAttribute("align", align);
      }
      el.append(...children);
      nodes.push(el);
    }
    return nodes;
  }

  function setSanitizedHTML(el, html) {
    if (el && el.dataset.html !== html) {
      // DOMParser's document is inert: nothing in it runs or loads.
      const parsed = new DOMParser().parseFromString(html || "", "text/html");
      el.replaceChildren(...rebuild(parsed.body));
      el.dataset.html = html;
    }
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const m = Math.floor(s / 60);
    return `${m}:${String(s % 60).padStart(2, "0")}`;
  }

  /** Replace a list's items, keeping focus on the control that had it (by data-focus-key). */
  function replaceList(list, children) {
    if (!list) return;
    const focused = document.activeElement;
    const key = focused && list.contains(focused) ? focused.dataset.focusKey : null;
    list.replaceChildren(...children);
    if (key) {
      const again = list.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
      if (again) again.focus();
      else $("mt-current-heading")?.focus?.();
    }
  }

  // ---- State ----------------------------------------------------------------------------

  let snap = readJSON("mt-snapshot");
  if (!snap || !snap.meeting) return;
  let you = MODE === "room" ? null : readJSON("mt-you");
  let version = Number(root.dataset.version) || 0;
  let clockOffset = offsetFrom(snap.server_time);
  const ui = { connection: "connecting", everConnected: false, overAnnouncedFor: null };

  function offsetFrom(serverTime) {
    const t = Date.parse(serverTime || "");
    return Number.isFinite(t) ? t - Date.now() : 0;
  }

  function currentItem(s) {
    const id = s.meeting.current_item_id;
    return id ? s.items.find((item) => item.id === id) || null : null;
  }

  // ---- Announcements (one polite live region) -------------------------------------------

  const live = $("mt-live");

  function announce(text) {
    if (!live || !text) return;
    live.append(h("p", null, text));
    while (live.childElementCount > 4) live.firstElementChild.remove();
  }

  function announceChanges(prev, next) {
    const a = currentItem(prev);
    const b = currentItem(next);
    if (prev.meeting.status !== next.meeting.status) {
      if (next.meeting.status === "in_progress") announce("The meeting has started.");
      if (next.meeting.status === "ended") announce("The meeting has ended.");
    }
    if (b && (!a || a.id !== b.id)) {
      announce(`Now on item ${b.position}: ${b.title}. ${b.minutes_allotted} minutes allotted.`);
    }
    if (you && next.current && prev.current && b && a && a.id === b.id) {
      const me = you.membership_id;
      const wasCalled = prev.current.called.some((c) => c.membership_id === me);
      const isCalled = next.current.called.some((c) => c.membership_id === me);
      if (!wasCalled && isCalled) announce("The moderator has called on you: you have the floor.");
    }
  }

  // ---- Applying snapshots --------------------------------------------------------------------

  function apply(payload, isSnapshot) {
    if (!payload || typeof payload !== "object" || !payload.meeting) return false;
    const v = Number(payload.version);
    if (!Number.isFinite(v)) return false;
    if (isSnapshot ? v < version : v <= version) return false; // stale: ignore
    const prev = snap;
    version = v;
    snap = payload;
    clockOffset = offsetFrom(payload.server_time);
    if (MODE !== "room" && payload.you) you = payload.you;
    announceChanges(prev, snap);
    render();
    return true;
  }

  // ---- Rendering -----------------------------------------------------------------------------

  function render() {
    const m = snap.meeting;
    const item = currentItem(snap);
    const current = snap.current;
    setText($("mt-status"), m.status_label);
    show($("mt-start"), m.status === "scheduled");
    renderMoveOn();

    let title = "The meeting has not started";
    if (item) title = `${item.position}. ${item.title}`;
    else if (m.status === "ended") title = "The meeting has ended";
    else if (m.status === "in_progress") title = "No item under discussion";
    setText($("mt-current-title"), title);
    setText($("mt-current-kind"), item ? item.kind_label : "");
    show($("mt-current-kind"), Boolean(item));
    show($("mt-timer-line"), Boolean(item));
    setText($("mt-timer-of"), item ? `of ${item.minutes_allotted}:00 allotted` : "");
    renderTimer();

    const proposalState = current && current.proposal ? current.proposal : null;
    if (proposalState) {
      for (const [link, base] of [[$("mt-vote-link"), root.dataset.voteUrl], [$("mt-console-link"), root.dataset.consoleUrl]]) {
        if (link && base) link.href = base.replace(/\/0(\/[a-z]+)?$/, (_m, tail) => `/${proposalState.proposal.id}${tail || ""}`);
      }
    }
    setSanitizedHTML($("mt-description"), current ? current.description_html : "");

    renderQueue(current);
    renderNotes(current);
    renderEntries(current);
    renderActions();
    renderAgenda();
    renderAttendance();
    renderProposal();
  }

  /*
   * Moving on settles the item being left (docs/realtime.md, `next_item`). The usual choice is
   * the primary button: dealt with, unless the item's proposal is still undecided (then it
   * comes back next time). On the last item the same pair ends the meeting.
   */
  function moveOnDefault(item, current) {
    const ps = current && current.proposal ? current.proposal.proposal : null;
    if (!item || item.status === "resolved") return "resolved";
    if (item.status === "carried") return "carried";
    if (ps && ps.status !== "consensus") return "carried";
    return "resolved";
  }

  function renderMoveOn() {
    const resolved = $("mt-next-resolved");
    if (!resolved) return;
    const carried = $("mt-next-carried");
    const running = snap.meeting.status === "in_progress";
    const item = currentItem(snap);
    const last = Boolean(item) && snap.items[snap.items.length - 1].id === item.id;
    const then = last ? "end the meeting" : "next item";
    const preferred = moveOnDefault(item, snap.current);
    for (const [btn, status, words, arrow] of [[resolved, "resolved", "Dealt with", "→"], [carried, "carried", "Carry forward", "↪"]]) {
      show(btn, running && Boolean(item));
      btn.dataset.action = last ? "end_meeting" : "next_item";
      btn.className = status === preferred ? "" : "secondary outline";
      const label = `${words} — ${then}`;
      if (btn.dataset.label !== label) {
        btn.dataset.label = label;
        btn.replaceChildren(label, " ", h("span", { "aria-hidden": "true" }, arrow));
      }
    }
    // The plain end button ends early; on the last item the pair above ends the meeting.
    show($("mt-end"), running && !last);
    const note = $("mt-next-note");
    show(note, running && Boolean(item));
    if (item) {
      const ps = snap.current && snap.current.proposal ? snap.current.proposal.proposal : null;
      let why = "";
      if (ps && ps.status === "consensus") why = " Its proposal reached consensus.";
      else if (ps) why = " Its proposal has no decision yet: carrying it forward brings it back next meeting.";
      const words = preferred === "resolved" ? "dealt with" : "carried forward";
      setText(note, `Moving on marks “${item.title}” ${words} unless you choose the other button.${why}`);
    }
  }

  // ---- What is shown, not only announced (the live screen) -------------------------------------

  function roundOfItem() {
    const current = snap.current;
    if (!current || !current.proposal || proposalFeed.id !== current.proposal.proposal.id) return null;
    return proposalFeed.state ? proposalFeed.state.round : null;
  }

  function banner(kind, text, link) {
    return h(
      "p",
      { class: `mt-banner mt-banner-${kind}`, dataset: { kind } },
      h("strong", null, text),
      link ? h("a", { href: link.href, class: "mt-banner-link" }, link.text) : null,
    );
  }

  function renderBanners() {
    const region = $("mt-banners");
    if (!region || !you) return;
    const shown = [];
    const current = snap.current;
    const called = current ? current.called : [];
    const lastCalled = called.length ? called[called.length - 1] : null;
    if (lastCalled && lastCalled.membership_id === you.membership_id && snap.meeting.status === "in_progress") {
      shown.push(banner("floor", "You have the floor: the moderator called on you."));
    }
    const r = roundOfItem();
    if (r && r.status === "open") {
      const mine = votePanel ? votePanel.myVote() : null;
      let text = `Round ${r.number} is open on this item.`;
      if (you.can_vote) text += mine ? " Your vote is recorded; you can change it until the round closes." : " Vote below.";
      shown.push(banner("round", text, you.can_vote && !mine ? { href: "#mt-vote", text: "Go to the vote" } : null));
    } else if (r) {
      const outcome = window.TeamworkVotePanel ? window.TeamworkVotePanel.roundStatus(r) : `Round ${r.number} closed`;
      shown.push(banner(r.outcome === "consensus" ? "consensus" : "closed", `${outcome}.`));
    }
    const key = shown.map((p) => p.textContent).join("|");
    if (region.dataset.key !== key) {
      region.dataset.key = key;
      region.replaceChildren(...shown);
    }
  }

  function announceRound(prev, next) {
    const a = prev ? prev.round : null;
    const b = next ? next.round : null;
    if (!b || !window.TeamworkVotePanel) return;
    if (b.status === "open" && (!a || a.id !== b.id)) announce(`Round ${b.number} is open on this item.${you && you.can_vote ? " Vote on this screen." : ""}`);
    else if (b.status !== "open" && a && a.id === b.id && a.status === "open") announce(`${window.TeamworkVotePanel.roundStatus(b)}.`);
  }

  function renderTimer() {
    const item = currentItem(snap);
    const timer = $("mt-timer");
    if (!item || !timer) return;
    let used = item.seconds_used || 0;
    const started = Date.parse(snap.meeting.item_started_at || "");
    if (snap.meeting.status === "in_progress" && Number.isFinite(started)) {
      used += Math.max(0, (Date.now() + clockOffset - started) / 1000);
    }
    setText(timer, clock(used));
    const over = used > item.minutes_allotted * 60;
    show($("mt-timer-over"), over);
    timer.classList.toggle("mt-timer-over", over);
    if (over && ui.overAnnouncedFor !== item.id && snap.meeting.status === "in_progress") {
      ui.overAnnouncedFor = item.id;
      announce(`The time allotted for “${item.title}” is up.`);
    }
  }

  function renderQueue(current) {
    const queue = current ? current.queue : [];
    const called = current ? current.called : [];
    const notSpoken = current ? current.not_spoken : [];
    const canCall = you && you.can_moderate && snap.meeting.status === "in_progress";
    replaceList(
      $("mt-queue"),
      queue.map((hand, index) =>
        h(
          "li",
          { class: index === 0 ? "mt-next-speaker" : null },
          h("span", { class: "mt-name" }, hand.name),
          index === 0 ? h("span", { class: "mt-badge" }, "Next") : null,
          canCall
            ? h(
                "button",
                {
                  type: "button",
                  class: index === 0 ? "mt-call" : "mt-call secondary outline",
                  dataset: { action: "call_speaker", requestId: String(hand.request_id), focusKey: `call-${hand.request_id}` },
                },
                `Call on ${hand.name}`,
              )
            : null,
        ),
      ),
    );
    show($("mt-queue-empty"), queue.length === 0);
    replaceList($("mt-called"), called.map((c) => h("li", null, h("span", { "aria-hidden": "true" }, "✔ "), c.name)));
    show($("mt-called-empty"), called.length === 0);
    replaceList($("mt-not-spoken"), notSpoken.map((p) => h("li", null, p.name)));
    show($("mt-not-spoken-empty"), Boolean(current) && notSpoken.length === 0);

    const hand = $("mt-hand");
    if (hand && you) {
      const mine = queue.some((q) => q.membership_id === you.membership_id);
      hand.disabled = !current || snap.meeting.status !== "in_progress";
      hand.setAttribute("aria-pressed", mine ? "true" : "false");
      setText($("mt-hand-label"), mine ? "Lower my hand" : "Raise my hand");
      const position = queue.findIndex((q) => q.membership_id === you.membership_id);
      setText($("mt-hand-note"), mine ? `Your hand is raised: number ${position + 1} in the queue.` : "The moderator calls on raised hands in the order they were raised.");
    }
  }

  function renderEntries(current) {
    const itemId = current ? current.item_id : null;
    const entries = (snap.entries || []).filter((e) => e.item_id === itemId);
    // An entry's first line says what happened; a decision's agreed wording follows it and
    // can be as long as the minutes it approves, so it folds away behind a disclosure.
    replaceList($("mt-entries"), entries.map((e) => {
      const [first, ...rest] = String(e.text || "").split("\n");
      const wording = rest.join("\n").trim();
      if (!wording) return h("li", null, first);
      return h("li", null, first, h("details", { class: "mt-entry-wording" }, h("summary", null, "The agreed wording"), h("p", { class: "mt-proposal-text" }, wording)));
    }));
    show($("mt-entries-empty"), entries.length === 0);
  }

  function renderActions() {
    const actions = snap.actions || [];
    replaceList(
      $("mt-actions"),
      actions.map((a) =>
        h("li", null, h("strong", null, a.description), " — ", a.owner, a.due_on ? `, due ${a.due_on}` : ", no due date"),
      ),
    );
    show($("mt-actions-empty"), actions.length === 0);
  }

  function renderAgenda() {
    const list = $("mt-agenda");
    if (!list) return;
    const running = snap.meeting.status === "in_progress";
    const canMove = you && you.can_moderate && running;
    const canMark = you && (you.can_record || you.can_moderate) && snap.meeting.status !== "cancelled";
    replaceList(
      list,
      snap.items.map((item) => {
        const isCurrent = item.id === snap.meeting.current_item_id;
        return h(
          "li",
          { "aria-current": isCurrent ? "step" : null, class: isCurrent ? "mt-agenda-current" : null },
          h("span", { class: "mt-agenda-title" }, isCurrent ? h("span", { class: "mt-badge" }, "Now") : null, " ", item.title),
          h(
            "span",
            { class: "mt-agenda-facts" },
            `${item.kind_label} · ${clock(item.seconds_used)} used of ${item.minutes_allotted}:00 · ${ITEM_STATUS[item.status] || item.status}`,
          ),
          canMove && !isCurrent
            ? h("button", { type: "button", class: "secondary outline", dataset: { action: "go_to_item", itemId: String(item.id), focusKey: `go-${item.id}` } }, h("span", { class: "visually-hidden" }, `${item.title}: `), "Go to this item")
            : null,
          canMark && (item.status !== "carried" || running)
            ? h(
                "button",
                {
                  type: "button",
                  class: "secondary outline",
                  dataset: { action: "mark_item", itemId: String(item.id), resolved: item.status === "resolved" ? "false" : "true", focusKey: `mark-${item.id}` },
                },
                h("span", { class: "visually-hidden" }, `${item.title}: `),
                item.status === "resolved" ? "Reopen" : "Mark dealt with",
              )
            : null,
        );
      }),
    );
  }

  function renderAttendance() {
    const body = $("mt-attendance");
    const q = snap.quorum || {};
    let line = `${q.voting_members || 0} voting members. Attendance not recorded yet: quorum counts every voting member.`;
    if (q.recorded) {
      line = `${q.attending_voters} of ${q.voting_members} voting members attend; quorum for votes counts those attending${q.designees_vote ? " (designees vote)" : " (designees do not vote)"}.`;
    }
    setText($("mt-quorum"), line);
    if (!body) return;
    const editable = you && you.can_mark_attendance && snap.meeting.status !== "cancelled";
    const rows = snap.attendance.map((person) => {
      const status = person.status ? ATTENDANCE[person.status] : "Not recorded";
      const label = person.status === "designee" && person.designee_name ? `${status}: ${person.designee_name}` : status;
      let cell = h("td", null, label);
      if (editable) {
        const id = `mt-att-${person.membership_id}`;
        const select = h(
          "select",
          { id, "aria-label": `Attendance of ${person.name}`, dataset: { membershipId: String(person.membership_id), focusKey: id } },
          h("option", { value: "", disabled: true, selected: !person.status }, "Not recorded"),
          Object.entries(ATTENDANCE)
            .filter(([value]) => value !== "designee" || DESIGNEES_MAY_ATTEND || person.status === "designee")
            .map(([value, text]) => h("option", { value, selected: person.status === value }, text)),
        );
        const nameId = `mt-designee-${person.membership_id}`;
        const nameField = h(
          "span",
          { class: "mt-designee", hidden: person.status !== "designee" },
          h("label", { for: nameId }, "Designee’s name"),
          h("input", { id: nameId, type: "text", maxlength: "160", value: person.designee_name || "", dataset: { focusKey: nameId } }),
          h("button", { type: "button", class: "secondary", dataset: { action: "save_designee", membershipId: String(person.membership_id), focusKey: `save-${nameId}` } }, "Save designee"),
        );
        cell = h("td", null, select, nameField);
      }
      return h(
        "tr",
        null,
        h("th", { scope: "row" }, person.name, h("span", { class: "mt-agency" }, ` ${person.agency}${person.votes ? "" : " · observer"}`)),
        cell,
      );
    });
    // Do not rebuild under the recorder's hands while they type a designee's name (focus on a
    // select or button is put back on the rebuilt one by replaceList).
    if (editable && body.contains(document.activeElement) && document.activeElement.tagName === "INPUT") return;
    replaceList(body, rows);
  }

  // ---- Notes (the recorder writes; everyone else reads live) --------------------------------------

  const notes = {
    itemId: snap.current ? snap.current.item_id : null,
    base: snap.current ? snap.current.notes_revision : 0,
    dirty: false,
    inFlight: false,
    timer: null,
  };

  function saveStatus(text, kind) {
    const el = $("mt-save-status");
    if (!el) return;
    el.dataset.kind = kind || "";
    setText(el, text);
  }

  function renderNotes(current) {
    const area = $("mt-notes");
    if (area) {
      area.disabled = !current;
      const switched = (current ? current.item_id : null) !== notes.itemId;
      if (switched && notes.dirty) flushNotes(); // the old item's text goes out first
      if (switched) {
        notes.itemId = current ? current.item_id : null;
        notes.base = current ? current.notes_revision : 0;
        notes.dirty = false;
        area.value = current ? current.notes : "";
        saveStatus("");
      } else if (current && !notes.dirty && !notes.inFlight && current.notes_revision > notes.base) {
        notes.base = current.notes_revision;
        area.value = current.notes;
      }
      return;
    }
    setSanitizedHTML($("mt-notes-view"), current ? current.notes_html : "");
    show($("mt-notes-empty"), !(current && current.notes));
  }

  function scheduleSave(delay) {
    clearTimeout(notes.timer);
    notes.timer = setTimeout(flushNotes, delay);
  }

  function flushNotes() {
    clearTimeout(notes.timer);
    const area = $("mt-notes");
    if (!area || notes.inFlight || !notes.dirty || notes.itemId === null) return;
    const text = area.value;
    const itemId = notes.itemId;
    notes.inFlight = true;
    notes.dirty = false;
    saveStatus("Saving…", "saving");
    send("save_notes", { item_id: itemId, notes: text, base_revision: notes.base }, (ack) => {
      notes.inFlight = false;
      if (ack && ack.ok) {
        if (notes.itemId === itemId) notes.base = ack.revision;
        saveStatus(notes.dirty ? "Saving…" : "Saved", "saved");
        if (notes.dirty) scheduleSave(AUTOSAVE_MS);
        if (ack.version) requestSyncIfBehind(ack.version);
        return;
      }
      const code = ack && ack.error ? ack.error.code : "timeout";
      if (code === "conflict") {
        notes.dirty = false;
        saveStatus("Not saved: someone saved newer notes, shown now. Add your change again.", "error");
        showAlert(ack.error.message);
        notes.base = -1; // take whatever the server has
        requestSync((state) => {
          if (state.current && state.current.item_id === itemId) {
            notes.base = state.current.notes_revision;
            area.value = state.current.notes;
          }
        });
      } else if (code === "timeout" || code === "server_error") {
        notes.dirty = true;
        saveStatus("Not saved — retrying…", "error");
        scheduleSave(RETRY_MS);
      } else {
        notes.dirty = true;
        saveStatus(`Not saved: ${ack.error.message}`, "error");
      }
    });
  }

  const area = $("mt-notes");
  if (area) {
    area.addEventListener("input", () => {
      notes.dirty = true;
      saveStatus("Not saved yet…", "pending");
      scheduleSave(AUTOSAVE_MS);
    });
    area.addEventListener("blur", () => flushNotes());
    window.addEventListener("beforeunload", (event) => {
      if (notes.dirty || notes.inFlight) event.preventDefault();
    });
  }

  // ---- The room display: the decision item's proposal, live from the consensus namespace ---------

  // The current decision item's proposal on the consensus namespace: the room display shows
  // its tally; the live screen also votes and runs the round there (static/js/meeting-vote.js).
  const proposalFeed = { id: null, socket: null, version: -1, state: null, you: null, members: [] };
  let votePanel = null;

  function followProposal() {
    const current = snap.current;
    const ps = current && current.proposal ? current.proposal : null;
    const id = ps ? ps.proposal.id : null;
    if (ps && (proposalFeed.id !== id || Number(ps.version) > proposalFeed.version)) {
      proposalFeed.state = { proposal: ps.proposal, rule: ps.rule, round: ps.round };
      proposalFeed.version = Number(ps.version) || 0;
    }
    if (id === proposalFeed.id) return;
    if (proposalFeed.socket) proposalFeed.socket.disconnect();
    proposalFeed.socket = null;
    proposalFeed.id = id;
    if (!id || typeof window.io !== "function") return;
    const s = window.io({ query: { proposal: String(id) }, transports: ["websocket", "polling"], forceNew: true });
    proposalFeed.you = null;
    proposalFeed.members = [];
    const take = (payload, isSnapshot) => {
      if (!payload || !payload.state || proposalFeed.id !== id) return;
      // Snapshots carry this member's own vote and the team's voting members.
      if (payload.you) {
        proposalFeed.you = payload.you;
        // `my_vote` is this member's vote in the round of that snapshot, no other.
        proposalFeed.youRoundId = payload.state.round ? payload.state.round.id : null;
      }
      if (Array.isArray(payload.members)) proposalFeed.members = payload.members;
      const v = Number(payload.version);
      if (isSnapshot ? v < proposalFeed.version : v <= proposalFeed.version) {
        if (isSnapshot) renderProposal();
        return;
      }
      const prev = proposalFeed.state;
      proposalFeed.version = v;
      proposalFeed.state = payload.state;
      announceRound(prev, payload.state);
      renderProposal();
    };
    s.on("snapshot", (p) => take(p, true));
    // The vote panel's round controls wait for this connection.
    s.on("connect", () => proposalFeed.id === id && renderProposal());
    s.on("disconnect", () => proposalFeed.id === id && renderProposal());
    for (const event of ["round_opened", "round_revealed", "round_closed", "deadline_changed", "proposal_changed"]) s.on(event, (p) => take(p, false));
    // Only the new voters come with a vote (static/js/live-round.js).
    const sync = () => s.emit("sync", { proposal_id: id }, (ack) => ack && ack.ok && take(ack, true));
    proposalFeed.sync = sync;
    // A missed broadcast of any kind: the version beacon brings a snapshot.
    const stopHealing = window.TeamworkRound.heal(s, {
      matches: (p) => Number(p.proposal_id) === id,
      version: () => (proposalFeed.id === id ? proposalFeed.version : Infinity),
      sync,
    });
    s.on("disconnect", (reason) => {
      if (reason === "io client disconnect") stopHealing(); // replaced by another proposal's feed
    });
    let gapTimer = null;
    s.on("vote_cast", (p) => {
      if (!p || !p.round || !proposalFeed.state || proposalFeed.id !== id) return;
      const v = Number(p.version);
      if (!Number.isFinite(v)) return;
      const r = proposalFeed.state.round;
      if (!r || r.id !== p.round.id || proposalFeed.state.proposal.version_number !== p.text_version) {
        if (v > proposalFeed.version) sync();
        return;
      }
      const round = window.TeamworkRound.applyVote(r, p.round, v > proposalFeed.version);
      if (v > proposalFeed.version) take({ version: v, state: { ...proposalFeed.state, round } }, false);
      else if (round !== r) {
        proposalFeed.state = { ...proposalFeed.state, round };
        renderProposal();
      }
      if (window.TeamworkRound.incomplete(round) && gapTimer === null) {
        gapTimer = setTimeout(() => {
          gapTimer = null;
          if (proposalFeed.id === id && window.TeamworkRound.incomplete(proposalFeed.state.round)) sync();
        }, window.TeamworkRound.GAP_WAIT_MS);
      }
    });
    proposalFeed.socket = s;
  }

  /** Who may vote in this meeting: the voting members, and once attendance is recorded only
   *  those attending (the same rule as the snapshot's `not_spoken`). */
  /** Who may vote in the round: the server's own list (`eligible_ids`, the same set the
   * counts and the quorum come from), named from the attendance list. */
  function expectedVoters(r) {
    const people = snap.attendance || [];
    if (r && Array.isArray(r.eligible_ids)) {
      const eligible = new Set(r.eligible_ids);
      return people.filter((p) => eligible.has(p.membership_id));
    }
    const voters = people.filter((p) => p.votes);
    return snap.quorum && snap.quorum.recorded ? voters.filter((p) => p.status && p.status !== "absent") : voters;
  }

  const OUTCOME_TEXT = {
    consensus: "Consensus reached",
    no_consensus: "No consensus",
    withdrawn: "Withdrawn by the moderator (not counted)",
  };

  /** The room display: the round's deadline and time left under its round line (made once). */
  function paintRoomDeadline(words) {
    let line = $("mt-deadline");
    const roundLine = $("mt-round-line");
    if (!line && words && roundLine) {
      line = h("p", { id: "mt-deadline", class: "pj-deadline" });
      roundLine.after(line);
    }
    if (!line) return;
    const text = words ? [words.until, words.left].filter(Boolean).join(" · ") : "";
    setText(line, text);
    show(line, Boolean(text));
  }
  if (MODE === "room" && window.TeamworkRound) {
    window.TeamworkRound.watchDeadline({
      round: () => (proposalFeed.state && proposalFeed.id ? proposalFeed.state.round : null),
      paint: paintRoomDeadline,
      due: () => proposalFeed.sync && proposalFeed.sync(),
    });
  }

  function renderProposal() {
    followProposal();
    if (MODE !== "room") {
      if (!votePanel && window.TeamworkVotePanel) {
        votePanel = window.TeamworkVotePanel.create(proposalFeed, {
          announce,
          sync: () => proposalFeed.sync && proposalFeed.sync(),
          attendance: () => snap.attendance || [],
          designeesVote: () => Boolean(snap.quorum && snap.quorum.designees_vote),
        });
      }
      if (votePanel) votePanel.render();
      else show($("mt-vote"), false);
      renderBanners();
      return;
    }
    const state = proposalFeed.state;
    show($("mt-proposal"), Boolean(state && proposalFeed.id));
    const r = state && proposalFeed.id ? state.round : null;
    const open = Boolean(r && r.status === "open");
    renderNotVoted(r, open);
    root.classList.toggle("pj-voting", open);
    renderUpNext();
    if (!state) return;
    setText($("mt-proposal-title"), state.proposal.title);
    setText($("mt-proposal-text"), readableText(state.proposal.text));

    let line = "No round open yet — waiting for the moderator";
    if (open) line = `Round ${r.number} — open: members are voting`;
    else if (r) line = `Round ${r.number} — closed`;
    const roundLine = $("mt-round-line");
    setText(roundLine, line);
    if (roundLine) roundLine.dataset.state = r ? r.status : "none";
    paintRoomDeadline(window.TeamworkRound.deadlineWords(r, Date.now()));

    const closed = Boolean(r && r.status === "closed");
    const outcome = $("mt-outcome");
    show(outcome, closed);
    if (outcome) outcome.dataset.outcome = closed ? r.outcome || "" : "";
    setText($("mt-outcome-text"), closed ? `Round ${r.number} result: ${OUTCOME_TEXT[r.outcome] || "closed"}` : "");
    const reasons = closed && Array.isArray(r.reasons) ? r.reasons : [];
    replaceList($("mt-outcome-reasons"), reasons.map((reason) => h("li", null, reason)));
    show($("mt-outcome-reasons"), reasons.length > 0);

    show($("mt-tally-wrap"), Boolean(r));
    if (!r) return;
    const tallyShown = Boolean(r.tally_visible && r.tally);
    show($("mt-tally"), tallyShown);
    show($("mt-tally-hidden"), !tallyShown && r.outcome !== "withdrawn");
    for (const choice of ["up", "sideways", "down"]) setText($(`mt-tally-${choice}`), tallyShown ? String(r.tally[choice] || 0) : "0");
    const withdrawn = r.outcome === "withdrawn";
    let progress = `${r.voted} of ${r.eligible} have voted`;
    if (open && r.quorum_needed) progress += ` (at least ${r.quorum_needed} needed)`;
    if (withdrawn) progress = `${r.voted} ${r.voted === 1 ? "vote was" : "votes were"} cast before the round was withdrawn`;
    setText($("mt-progress-text"), progress);
    const bar = $("mt-progress");
    if (bar) {
      bar.max = Math.max(1, Number(r.eligible) || 0);
      bar.value = Math.min(Number(r.voted) || 0, bar.max);
      show(bar, !withdrawn);
    }
  }

  /** While a round is open: who has not voted, by name unless voting is anonymous. */
  function renderNotVoted(r, open) {
    show($("mt-not-voted-section"), open);
    if (!open) {
      replaceList($("mt-not-voted"), []);
      return;
    }
    if (!Array.isArray(r.voters)) {
      replaceList($("mt-not-voted"), []);
      const left = Math.max(0, r.eligible - r.voted);
      setText($("mt-not-voted-note"), `Voting is anonymous: names are not shown. ${left} of ${r.eligible} have not voted yet.`);
      return;
    }
    const voted = new Set(r.voters);
    const waiting = expectedVoters(r).filter((p) => !voted.has(p.membership_id));
    replaceList($("mt-not-voted"), waiting.map((p) => h("li", null, p.name)));
    setText($("mt-not-voted-note"), waiting.length ? "" : "Everyone has voted.");
  }

  /** The next agenda item still to be dealt with, so the room knows what comes after this one. */
  function renderUpNext() {
    const el = $("mt-up-next");
    if (!el) return;
    const item = currentItem(snap);
    const next = item && snap.meeting.status === "in_progress"
      ? snap.items.find((i) => i.position > item.position && i.status === "open")
      : null;
    setText(el, next ? `Next: ${next.position}. ${next.title}` : "");
    show(el, Boolean(next));
  }

  // ---- Alerts -----------------------------------------------------------------------------------

  function showAlert(message) {
    const region = $("mt-alerts");
    if (!region) return;
    region.replaceChildren(
      h("p", { class: "flash flash-error" }, h("span", { class: "flash-icon", "aria-hidden": "true" }, "✖"), " ", h("strong", null, "Error:"), " ", message),
    );
  }

  function clearAlert() {
    const region = $("mt-alerts");
    if (region && region.firstChild) region.replaceChildren();
  }

  // ---- Socket ------------------------------------------------------------------------------------

  setInterval(renderTimer, 1000);

  if (typeof window.io !== "function") {
    setConnection("refused", "The live connection could not start. Reload the page.");
    render();
    return;
  }

  const socket = window.io("/meeting", { auth: { meeting_id: MEETING_ID }, transports: ["websocket", "polling"] });

  function send(event, payload, done) {
    if (!socket.connected) {
      if (done) done({ ok: false, error: { code: "timeout", message: "Not connected." } });
      else showAlert("Not connected to the meeting. Wait for the connection to come back, then try again.");
      return;
    }
    socket.timeout(ACK_TIMEOUT_MS).emit(event, { meeting_id: MEETING_ID, ...payload }, (err, ack) => {
      if (err) {
        if (done) done({ ok: false, error: { code: "timeout", message: "The server did not answer." } });
        else showAlert("The server did not answer. Try again.");
        return;
      }
      if (done) {
        done(ack);
        return;
      }
      if (ack && ack.ok) {
        clearAlert();
        requestSyncIfBehind(ack.version);
      } else if (ack && ack.error) {
        if (ack.error.code === "unauthenticated") signedOut(ack.error.message);
        else showAlert(ack.error.message);
      }
    });
  }

  function requestSync(then) {
    if (!socket.connected) return;
    socket.timeout(ACK_TIMEOUT_MS).emit("sync", { meeting_id: MEETING_ID }, (err, ack) => {
      if (err || !ack) return;
      if (ack.ok) {
        apply(ack, true);
        if (then) then(ack);
      } else if (ack.error && ack.error.code === "unauthenticated") {
        signedOut(ack.error.message);
      }
    });
  }

  /** An acknowledgement names the version it produced; its broadcast should bring it. */
  function requestSyncIfBehind(v) {
    if (Number(v) > version) setTimeout(() => Number(v) > version && requestSync(), 1500);
  }

  // Every connect brings a `meeting_snapshot`; if none came soon after (the server's send
  // failed), the screen asks for one.
  let snapshotSeen = false;
  let snapshotTimer = null;
  socket.on("connect", () => {
    const wasReconnect = ui.everConnected;
    ui.everConnected = true;
    snapshotSeen = false;
    clearTimeout(snapshotTimer);
    snapshotTimer = setTimeout(() => {
      if (!snapshotSeen) requestSync();
    }, window.TeamworkRound.GAP_WAIT_MS);
    setConnection("live");
    if (wasReconnect) announce("Connection restored. The screen is up to date.");
    if (notes.dirty) scheduleSave(0);
  });
  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return;
    if (ui.connection === "live") announce("Connection lost. Reconnecting…");
    setConnection("reconnecting");
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", (err) => {
    const code = err && err.message ? String(err.message) : "";
    if (socket.active) setConnection("reconnecting", "Can't reach the server. Trying again…");
    else if (code === "unauthenticated") signedOut();
    else if (code === "rate_limited") {
      // Too many handshakes this minute (docs/realtime.md, "Limits"): try again after it.
      setConnection("reconnecting", "Too many connections this minute. Trying again shortly…");
      setTimeout(() => socket.connect(), 30000 + Math.random() * 30000);
    } else {
      setConnection("refused", "You can no longer see this meeting. Reload the page.");
      showAlert("You can no longer see this meeting (you may have been removed from the team). Reload the page.");
    }
  });
  socket.on("meeting_snapshot", (payload) => {
    snapshotSeen = true;
    apply(payload, true);
  });
  socket.on("meeting_changed", (payload) => apply(payload, false));
  // A missed `meeting_changed`: the server's version beacon, or the page becoming visible
  // again, brings a snapshot (static/js/live-round.js).
  window.TeamworkRound.heal(socket, {
    matches: (p) => Number(p.meeting_id) === MEETING_ID,
    version: () => version,
    sync: () => requestSync(),
  });

  function signedOut(message) {
    setConnection("refused", "Signed out. Reload the page to sign in again.");
    showAlert(message || "Your sign-in has ended. Reload the page to sign in again.");
    socket.disconnect();
  }

  function setConnection(kind, detail) {
    ui.connection = kind;
    const el = $("mt-connection");
    if (!el) return;
    const text = { connecting: "Connecting…", live: "Connected", reconnecting: "Reconnecting…", refused: "Not connected" }[kind];
    el.dataset.state = kind;
    setText(el.querySelector(".mt-connection-icon"), { connecting: "…", live: "●", reconnecting: "↻", refused: "✖" }[kind]);
    setText(el.querySelector(".mt-connection-text"), detail ? `${text} — ${detail}` : text);
  }

  // ---- Controls (the live screen only; the server re-checks every one) -----------------------------

  if (MODE === "live") {
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button || !root.contains(button)) return;
      const action = button.dataset.action;
      const itemStatus = button.dataset.itemStatus || null;
      if (action === "start_meeting") send(action, {});
      else if (action === "next_item") send(action, { item_status: itemStatus });
      else if (action === "end_meeting") {
        const current = currentItem(snap);
        const others = snap.items.filter((i) => i.status === "open" && !(itemStatus && current && i.id === current.id));
        const carried = others.length ? ` ${others.length === 1 ? "One item not dealt with is" : `${others.length} items not dealt with are`} carried forward to the next meeting: ${others.map((i) => `“${i.title}”`).join(", ")}.` : "";
        if (window.confirm(`End the meeting?${carried}`)) send(action, itemStatus ? { item_status: itemStatus } : {});
      } else if (action === "go_to_item") send(action, { item_id: Number(button.dataset.itemId) });
      else if (action === "mark_item") send(action, { item_id: Number(button.dataset.itemId), resolved: button.dataset.resolved === "true" });
      else if (action === "call_speaker") send(action, { request_id: Number(button.dataset.requestId) });
      else if (action === "save_designee") {
        const id = Number(button.dataset.membershipId);
        const name = $(`mt-designee-${id}`);
        send("set_attendance", { membership_id: id, status: "designee", designee_name: name ? name.value : "" });
      }
    });

    $("mt-hand")?.addEventListener("click", () => {
      const raised = $("mt-hand").getAttribute("aria-pressed") === "true";
      send(raised ? "lower_hand" : "raise_hand", {});
    });

    $("mt-attendance")?.addEventListener("change", (event) => {
      const select = event.target.closest("select[data-membership-id]");
      if (!select) return;
      const id = Number(select.dataset.membershipId);
      if (select.value === "designee") {
        const field = select.parentElement.querySelector(".mt-designee");
        show(field, true);
        $(`mt-designee-${id}`)?.focus();
        return;
      }
      send("set_attendance", { membership_id: id, status: select.value, designee_name: "" });
    });

    $("mt-action-form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const fields = { description: $("mt-action-description"), owner_id: $("mt-action-owner"), due_on: $("mt-action-due") };
      const errorOf = { description: $("mt-action-description-error"), owner_id: $("mt-action-owner-error"), due_on: $("mt-action-due-error") };
      const general = $("mt-action-error");
      const current = snap.current;
      // Every error at once, each beside its field (the first one gets the focus).
      const showErrors = (errors, fallback) => {
        let first = null;
        for (const [name, control] of Object.entries(fields)) {
          const message = errors[name] || "";
          setText(errorOf[name], message ? `⚠ Error: ${message}` : "");
          show(errorOf[name], Boolean(message));
          if (message) control.setAttribute("aria-invalid", "true");
          else control.removeAttribute("aria-invalid");
          if (message && !first) first = control;
        }
        setText(general, fallback || "");
        show(general, Boolean(fallback));
        if (first) first.focus();
      };
      const errors = {};
      const text = fields.description.value.trim();
      if (!text) errors.description = "Say what is to be done.";
      else if (text.length > 500) errors.description = `Use at most 500 characters: this has ${text.length}.`;
      if (!fields.owner_id.value) errors.owner_id = "Choose who will do it.";
      if (Object.keys(errors).length) {
        showErrors(errors);
        return;
      }
      send(
        "add_action_item",
        {
          description: fields.description.value,
          owner_id: Number(fields.owner_id.value),
          due_on: fields.due_on.value || null,
          item_id: current ? current.item_id : null,
        },
        (ack) => {
          if (ack && ack.ok) {
            fields.description.value = "";
            fields.due_on.value = "";
            fields.owner_id.value = "";
            showErrors({});
            announce("Action item added.");
            requestSyncIfBehind(ack.version);
          } else {
            const err = ack && ack.error ? ack.error : null;
            const byField = err && err.errors ? err.errors : err && err.field && fields[err.field] ? { [err.field]: err.message } : {};
            const placed = Object.keys(byField).some((name) => fields[name]);
            showErrors(byField, placed ? "" : err ? err.message : "Not added. Try again.");
          }
        },
      );
    });
  }

  render();
})();
