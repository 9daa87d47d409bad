/*
 * Teamwork — the small DOM helpers the live screens share (static/js/consensus.js and
 * static/js/meeting.js); load it before them.
 *
 * Server text only ever goes in as text: `h` makes string children text nodes and `setText`
 * assigns textContent. Nothing here touches innerHTML.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);

  /** The JSON the server put in a <script type="application/json" id=...> block (or null). */
  function readJSON(id) {
    const el = $(id);
    if (!el) return null;
    try {
      return JSON.parse(el.textContent || "null");
    } catch (_err) {
      return null;
    }
  }

  /** Build an element; string children become text nodes (never parsed as HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") el.className = value;
        else if (key === "text") el.textContent = value;
        else if (key === "dataset") Object.assign(el.dataset, value);
        else el.setAttribute(key, value === true ? "" : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function show(el, visible) {
    if (el) el.hidden = !visible;
  }

  /** A fresh id for an event the server must apply once however often it is resent. */
  function newRequestId() {
    const c = globalThis.crypto;
    if (c && typeof c.randomUUID === "function") {
      try {
        return c.randomUUID();
      } catch (_err) {
        // Not a secure context (plain http on a LAN): fall through.
      }
    }
    let hex = "";
    if (c && typeof c.getRandomValues === "function") {
      for (const byte of c.getRandomValues(new Uint8Array(12))) hex += byte.toString(16).padStart(2, "0");
    } else {
      for (let i = 0; i < 3; i += 1) hex += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, "0");
    }
    return `${Date.now().toString(36)}-${hex}`;
  }

  /** A proposal's Markdown as a room reads it from afar (the projector displays): the words
   * without the marks (headings' #, list markers, emphasis, link targets), as plain text. */
  function readableText(markdown) {
    return String(markdown || "")
      .replace(/^\s{0,3}#{1,6}\s+/gm, "")
      .replace(/^\s*[-*+]\s+/gm, "• ")
      .replace(/(\*\*|__)(.+?)\1/g, "$2")
      .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1");
  }

  window.TeamworkDom = Object.freeze({ $, readJSON, h, setText, show, newRequestId, readableText });
})();
