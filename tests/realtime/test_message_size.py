"""The Engine.IO message limit admits the largest documented payload (docs/realtime.md)."""

from __future__ import annotations

from socketio import packet

from teamwork.extensions import socketio
from teamwork.meetings.minutes.services import NOTES_MAX


def test_the_largest_documented_notes_escaped_as_surrogate_pairs_fit_the_message_limit(
    app,
) -> None:
    notes = "\U0001f600" * NOTES_MAX  # 4 bytes in UTF-8, "\\ud83d\\ude00" escaped
    data = {
        "meeting_id": 2**31 - 1,
        "item_id": 2**31 - 1,
        "notes": notes,
        "base_revision": 2**31 - 1,
    }
    encoded = packet.Packet(
        packet.EVENT, data=["save_notes", data], namespace="/meeting", id=2**31 - 1
    ).encode()
    # The encoder escapes each character as a surrogate pair, as a browser's JSON may: 12 bytes.
    size = len(encoded.encode()) + 1  # and Engine.IO's one-byte message type
    assert size > 12 * NOTES_MAX
    assert size <= socketio.server.eio.max_http_buffer_size
