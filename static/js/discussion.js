/*
 * Teamwork — discussions, progressively better (the forms work without this file):
 *   - posts comments and replies without a reload: the form is sent with fetch (its CSRF
 *     token in the body and the X-CSRFToken header) asking for JSON; on success the box is
 *     cleared and the comment shown, on an error the text stays and the server's message is
 *     shown beside the box;
 *   - follows each discussion on the page over Socket.IO ("/discussion", docs/realtime.md) and
 *     puts new, edited, deleted and hidden comments in place without a reload. An event carries
 *     the comment as any member sees it; the page asks the server for this reader's version
 *     (GET .../comments/<id>: their Reply, Edit, Delete, Hide buttons, decided there) and
 *     shows the event's own only when that fails. A comment is shown once, however many of
 *     the post's answer and the event arrive, in whatever order;
 *   - the mention picker: choosing a member inserts their @handle into the comment box;
 *   - "Quote as a concern" on the voting screen: puts a quotation of the comment into the
 *     vote's reason box (#cs-reason), while a round is open and the member can vote;
 *   - opens the reply form that holds the comment the address points at.
 * Needs static/js/dom.js. Comment HTML comes from the server, rendered and sanitized there.
 */
(() => {
  "use strict";
  const { h } = window.TeamworkDom;
  const sections = Array.from(document.querySelectorAll("section.dc[data-kind]"));
  if (!sections.length) return;

  const csrfToken = () => {
    const input = document.querySelector('input[name="csrf_token"][value]:not([value=""])');
    return input ? input.value : "";
  };

  function parseArticle(html) {
    const template = document.createElement("template");
    template.innerHTML = html; // the server's rendered, sanitized comment
    const article = template.content.querySelector("article.dc-comment");
    if (!article) return null;
    for (const input of article.querySelectorAll('input[name="csrf_token"]')) input.value = csrfToken();
    return article;
  }

  // The quote buttons show while the vote's reason box does: the member can vote and a round
  // is open (static/js/consensus.js shows and hides #cs-reason-field as rounds open and close).
  const reasonBox = document.getElementById("cs-reason");
  const reasonField = document.getElementById("cs-reason-field");
  const quoting = () => Boolean(reasonBox) && !(reasonField && reasonField.hidden);

  function showQuotes() {
    for (const button of document.querySelectorAll("section.dc button.dc-quote")) button.hidden = !quoting();
  }

  function setUpQuote(section, root) {
    if (!reasonBox) return;
    for (const button of root.querySelectorAll("button.dc-quote")) {
      if (button.dataset.ready) continue;
      button.dataset.ready = "yes";
      button.hidden = !quoting();
      button.addEventListener("click", () => {
        const article = button.closest("article");
        const who = article ? article.dataset.author : "";
        const text = (button.dataset.quote || "").trim().split("\n").map((line) => `> ${line}`).join("\n");
        const quoted = `${who ? `${who} wrote:\n` : ""}${text}\n\n`;
        const limit = Number(reasonBox.getAttribute("maxlength")) || Infinity;
        reasonBox.value = `${reasonBox.value ? `${reasonBox.value.trimEnd()}\n\n` : ""}${quoted}`.slice(0, limit);
        reasonBox.focus();
        reasonBox.setSelectionRange(reasonBox.value.length, reasonBox.value.length);
        reasonBox.dispatchEvent(new Event("input", { bubbles: true }));
      });
    }
  }
  if (reasonField) new MutationObserver(showQuotes).observe(reasonField, { attributes: true, attributeFilter: ["hidden"] });

  function refreshCount(section) {
    const count = section.querySelectorAll("article.dc-comment:not(.dc-deleted)").length;
    const el = section.querySelector(".dc-count");
    if (el) el.textContent = `(${count})`;
    const empty = section.querySelector(".dc-empty");
    if (empty) empty.hidden = section.querySelector("article.dc-comment") !== null;
  }

  function announce(section, text) {
    const live = section.querySelector(".dc-live");
    if (live) live.textContent = text;
  }

  // The latest request for each comment's reader version: an older answer arriving late (an
  // edit, then a hide) must not undo a newer one.
  const asked = new Map();

  function commentUrl(section, id) {
    return section.dataset.commentUrl.replace(/\/0$/, `/${id}`);
  }

  /** This reader's version of a comment an event announced (or the event's, if that fails). */
  async function readersVersion(section, comment) {
    const ticket = (asked.get(comment.id) || 0) + 1;
    asked.set(comment.id, ticket);
    let mine = comment;
    try {
      const response = await fetch(commentUrl(section, comment.id), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = response.ok ? await response.json() : null;
      if (data && data.ok && data.comment) mine = data.comment;
    } catch (_err) {
      // Offline for a moment: the event's version, without this reader's buttons.
    }
    return asked.get(comment.id) === ticket ? mine : null;
  }

  function posted(section, comment) {
    // Shown already: our own post's answer, or the event that came first, or a redirect.
    if (document.getElementById(`comment-${comment.id}`)) return;
    const article = parseArticle(comment.html);
    if (!article) return;
    if (comment.parent_id) {
      const thread = document.getElementById(`thread-${comment.parent_id}`);
      const replies = thread && thread.querySelector("ol.dc-replies");
      if (!replies) return;
      replies.append(h("li", null, article));
    } else {
      const li = h("li", { class: "dc-thread", id: `thread-${comment.id}` }, article, h("ol", { class: "dc-replies" }));
      section.querySelector("ol.dc-threads").append(li);
    }
    setUpQuote(section, article);
    refreshCount(section);
    announce(section, `New comment by ${article.dataset.author || "a member"}.`);
  }

  function changed(section, comment) {
    const old = document.getElementById(`comment-${comment.id}`);
    const article = parseArticle(comment.html);
    if (!old || !article) return;
    // A reply being written under the comment stays as it is, text and all.
    const draft = old.querySelector("details.dc-reply");
    const fresh = article.querySelector("details.dc-reply");
    const box = draft && draft.querySelector("textarea");
    if (draft && fresh && (draft.open || (box && box.value))) fresh.replaceWith(draft);
    old.replaceWith(article);
    setUpQuote(section, article);
    refreshCount(section);
    const said = { deleted: "A comment was deleted.", hidden: "A comment was hidden by the moderator." };
    announce(section, said[comment.state] || "A comment was edited.");
  }

  // --- Posting without a reload ---------------------------------------------------------

  function fieldError(box, message) {
    const id = `${box.id}-error`;
    let error = document.getElementById(id);
    const hint = `${box.id}-hint`;
    if (!message) {
      if (error) error.remove();
      box.removeAttribute("aria-invalid");
      box.setAttribute("aria-describedby", hint);
      return;
    }
    if (!error) {
      error = h("div", { class: "field-error", id, role: "alert" });
      (document.getElementById(hint) || box).after(error);
    }
    error.replaceChildren(h("p", null, h("span", { "aria-hidden": "true" }, "⚠"), " ", h("strong", null, "Error:"), ` ${message}`));
    box.setAttribute("aria-invalid", "true");
    box.setAttribute("aria-describedby", `${hint} ${id}`);
  }

  async function send(section, form) {
    const box = form.querySelector("textarea[name=body]");
    const button = form.querySelector("button[type=submit]");
    if (!box || form.dataset.sending) return;
    form.dataset.sending = "yes";
    if (button) button.setAttribute("aria-busy", "true");
    const body = new URLSearchParams(new FormData(form));
    let data = null;
    let message = "The comment could not be sent. Check your connection and try again: your text is kept.";
    try {
      const token = (form.querySelector('input[name="csrf_token"]') || {}).value || csrfToken();
      const response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { Accept: "application/json", "X-CSRFToken": token },
        credentials: "same-origin",
      });
      if (response.redirected) {
        message = "Your sign-in has ended. Sign in again in another tab, then post: your text is kept.";
      } else if ((response.headers.get("Content-Type") || "").includes("application/json")) {
        data = await response.json();
      }
    } catch (_err) {
      data = null;
    } finally {
      delete form.dataset.sending;
      if (button) button.removeAttribute("aria-busy");
    }
    if (!data || !data.ok) {
      fieldError(box, (data && data.error && data.error.message) || message);
      box.focus();
      return;
    }
    fieldError(box, "");
    box.value = "";
    posted(section, data.comment);
    const reply = form.closest("details.dc-reply");
    if (reply) {
      reply.open = false;
      const summary = reply.querySelector("summary");
      if (summary) summary.focus();
    }
    announce(section, data.comment.parent_id ? "Your reply was posted." : "Your comment was posted.");
  }

  function setUpPosting(section) {
    section.addEventListener("submit", (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.matches("form.dc-form") || !window.fetch) return;
      event.preventDefault();
      send(section, form);
    });
  }

  function setUpMentions(section) {
    for (const input of section.querySelectorAll("input.dc-mention-input")) {
      const picker = input.closest(".dc-mention-picker");
      if (picker) picker.hidden = false;
      const box = document.getElementById(input.dataset.for);
      const list = document.getElementById(input.getAttribute("list"));
      const handles = new Set(Array.from(list ? list.options : [], (o) => o.value));
      input.addEventListener("change", () => {
        const value = input.value.trim();
        if (!box || !handles.has(value)) return;
        const before = box.value.slice(0, box.selectionStart);
        const after = box.value.slice(box.selectionEnd);
        const gap = before && !/\s$/.test(before) ? " " : "";
        box.value = `${before}${gap}${value} ${after}`;
        input.value = "";
        box.focus();
        const at = (before + gap + value).length + 1;
        box.setSelectionRange(at, at);
      });
    }
  }

  function openTarget() {
    const target = location.hash && document.getElementById(location.hash.slice(1));
    if (!target) return;
    for (let el = target.parentElement; el; el = el.parentElement) if (el.tagName === "DETAILS") el.open = true;
  }

  function connect() {
    const teamId = Number(sections[0].dataset.teamId);
    const socket = window.io("/discussion", { auth: { team_id: teamId }, transports: ["websocket", "polling"] });
    const bySubject = new Map(sections.map((s) => [`${s.dataset.kind}:${s.dataset.id}`, s]));
    socket.on("connect", () => {
      for (const section of sections) {
        socket.emit("follow_discussion", { kind: section.dataset.kind, id: Number(section.dataset.id) }, (ack) => {
          // Says the section hears of new comments (tests wait for it; nothing styles it).
          if (ack && ack.ok) section.dataset.live = "following";
        });
      }
    });
    socket.on("disconnect", () => {
      for (const section of sections) delete section.dataset.live;
    });
    socket.on("comment_posted", async (data) => {
      const section = data && bySubject.get(`${data.kind}:${data.id}`);
      if (!section || !data.comment || document.getElementById(`comment-${data.comment.id}`)) return;
      const mine = await readersVersion(section, data.comment);
      if (mine) posted(section, mine);
    });
    socket.on("comment_changed", async (data) => {
      const section = data && bySubject.get(`${data.kind}:${data.id}`);
      if (!section || !data.comment) return;
      const mine = await readersVersion(section, data.comment);
      if (mine) changed(section, mine);
    });
  }

  function withSocketIO(then) {
    if (window.io) return then();
    const script = document.createElement("script");
    script.src = sections[0].dataset.socketioSrc;
    script.addEventListener("load", then);
    document.head.append(script);
  }

  for (const section of sections) {
    setUpQuote(section, section);
    setUpMentions(section);
    setUpPosting(section);
  }
  openTarget();
  window.addEventListener("hashchange", openTarget);
  withSocketIO(connect);
})();
