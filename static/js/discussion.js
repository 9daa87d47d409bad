/*
 * Teamwork — discussions, progressively better (the forms work without this file):
 *   - follows each discussion on the page over Socket.IO ("/discussion", docs/realtime.md) and
 *     puts new, edited, deleted and hidden comments in place without a reload;
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

  function posted(section, comment) {
    if (document.getElementById(`comment-${comment.id}`)) return; // our own, after the redirect
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
    const words = { deleted: "A comment was deleted.", hidden: "A comment was hidden by the moderator." };
    // The author and moderators see more than members do: their own page keeps its buttons.
    if (comment.state === "shown" || !old.querySelector(".dc-hidden-note")) old.replaceWith(article);
    setUpQuote(section, article);
    refreshCount(section);
    announce(section, words[comment.state] || "A comment was edited.");
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
        socket.emit("follow_discussion", { kind: section.dataset.kind, id: Number(section.dataset.id) }, () => {});
      }
    });
    socket.on("comment_posted", (data) => {
      const section = data && bySubject.get(`${data.kind}:${data.id}`);
      if (section && data.comment) posted(section, data.comment);
    });
    socket.on("comment_changed", (data) => {
      const section = data && bySubject.get(`${data.kind}:${data.id}`);
      if (section && data.comment) changed(section, data.comment);
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
  }
  openTarget();
  window.addEventListener("hashchange", openTarget);
  withSocketIO(connect);
})();
