/* The header's bell (templates/base.html): keeps the unread count current over Socket.IO,
 * namespace "/notifications" (docs/realtime.md). The server joins the connection to the
 * person's own room and sends `notifications_changed` {unread} after every change; there is
 * nothing to ask. Without scripts, or offline, the count from the page's last load stays. */
(function () {
  "use strict";
  const bell = document.getElementById("bell");
  const badge = document.getElementById("bell-count");
  if (!bell || !badge || typeof window.io !== "function") return;

  function show(unread) {
    const n = Math.max(0, Number(unread) || 0);
    bell.dataset.unread = String(n);
    badge.hidden = n === 0;
    badge.firstChild.nodeValue = String(n);
  }

  // Connected once the page has stayed open a moment: someone clicking through pages needs
  // no live count on each (the count from the page itself is current), and the server is
  // spared a handshake per page view. A connection of its own (forceNew): the live screens
  // open theirs with their own query and auth, which a shared connection would not carry.
  const CONNECT_AFTER_MS = 2000;
  window.setTimeout(() => {
    const socket = window.io("/notifications", { transports: ["websocket", "polling"], forceNew: true });
    socket.on("notifications_changed", (data) => {
      if (data && typeof data.unread === "number") show(data.unread);
    });
  }, CONNECT_AFTER_MS);
})();
