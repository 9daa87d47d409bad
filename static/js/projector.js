/*
 * Teamwork — the room display's full-screen toggle (templates/projector.html): the button in the
 * bar, or the F key anywhere on the page (not while typing, not with a modifier key). Uses the
 * Fullscreen API; the button is shown only where the browser offers it, and its label and
 * aria-pressed follow the real state (Esc or the browser's own controls leave full screen too).
 */
(() => {
  "use strict";

  const button = document.getElementById("pj-fullscreen");
  const label = document.getElementById("pj-fullscreen-label");
  const page = document.documentElement;
  if (!button || !label || !document.fullscreenEnabled || typeof page.requestFullscreen !== "function") return;

  function reflect() {
    const on = Boolean(document.fullscreenElement);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    label.textContent = on ? "Leave full screen" : "Full screen";
    page.classList.toggle("pj-is-fullscreen", on);
  }

  function toggle() {
    // Refused without a user gesture, or by a policy: the page simply stays as it is.
    const request = document.fullscreenElement ? document.exitFullscreen() : page.requestFullscreen({ navigationUI: "hide" });
    if (request && typeof request.catch === "function") request.catch(() => reflect());
  }

  button.hidden = false;
  button.addEventListener("click", toggle);
  document.addEventListener("fullscreenchange", reflect);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "f" && event.key !== "F") return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    event.preventDefault();
    toggle();
  });
  reflect();
})();
