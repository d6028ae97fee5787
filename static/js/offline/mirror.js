// This page's copy of the queue: re-read after every change, so the header, the cards and the
// loader's flag (state.js) always show what IndexedDB holds.
import { flagWaiting, mine, page, state } from "./state.js";
import { getAll } from "./store.js";
import { render } from "./syncbar.js";

export function reload() {
  return getAll("queue").then(function (rows) {
    var own = rows.filter(mine);
    state.mirror = own.filter(function (e) { return e.visitId === page.visit; });
    state.elsewhere = own.length - state.mirror.length;
    flagWaiting(own.length > 0);
    render();
    return state.mirror;
  });
}

// Changes of this visit still to be sent (or being written): a new change must queue behind them.
export function pendingHere() {
  return state.localAdds > 0 || state.mirror.some(function (e) { return e.state === "pending"; });
}
