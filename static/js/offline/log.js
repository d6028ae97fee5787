// The sync log ("Nhật ký đồng bộ"): what was stored, sent, refused and why, kept in IndexedDB
// (the last 300 lines) so that it survives a reload and tells what happened while nobody looked.
import { el, page } from "./state.js";
import { getAll, putOne, request, run } from "./store.js";
import { clock } from "./views.js";

var KEEP = 300;
var SHOWN = 100;

export function log(ok, text, visitId) {
  var row = { visitId: visitId === undefined ? page.visit : visitId, at: Date.now(), ok: ok, text: text };
  return putOne("log", row).then(function () {
    return request("log", "readwrite", function (s) { return s.count(); });
  }).then(function (count) {
    if (count <= KEEP) return;
    return run("log", "readwrite", function (s) {
      var cursor = s.openCursor();
      var extra = count - KEEP;
      cursor.onsuccess = function () {
        if (cursor.result && extra-- > 0) { cursor.result.delete(); cursor.result.continue(); }
      };
    });
  }).then(renderLog).catch(function () {});
}

export function renderLog() {
  return getAll("log", page.visit).then(function (rows) {
    var list = el("sync-log-list");
    el("sync-log").querySelector("summary").textContent = "Nhật ký đồng bộ (" + rows.length + ")";
    list.textContent = "";
    rows.slice(-SHOWN).reverse().forEach(function (row) {
      var li = document.createElement("li");
      li.className = row.ok ? "ok" : "fail";
      var time = document.createElement("time");
      time.textContent = clock(row.at);
      li.appendChild(time);
      li.appendChild(document.createTextNode(" " + row.text));
      list.appendChild(li);
    });
  });
}
