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
    return next;
  }

  /** Whether this screen knows fewer voters than the round's count (a message was missed). */
  function incomplete(round) {
    return Boolean(round && round.status === "open" && Array.isArray(round.voters) && round.voters.length < Number(round.voted));
  }

  window.TeamworkRound = Object.freeze({ applyVote, incomplete, GAP_WAIT_MS: 1500 });
})();
