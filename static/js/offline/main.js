// Sổ Kiểm Tra — work without signal on the visit page (docs/offline.md). capture.js imports this
// module only when it is needed: the inspector pressed "Tải về để làm ngoại tuyến", or this tablet
// already holds the visit or changes waiting (see its loader). Nothing here runs on other visits.
//   - store.js: IndexedDB; queue.js: putting changes in the queue; sync.js + api.js: sending them
//     through the JSON API; views.js, cards.js, syncbar.js, log.js: the page; download.js: the
//     service worker's copy; hooks.js: what capture.js and htmx call.
import { QUEUED, el, init, page, state } from "./state.js";
import { db, getAll, getOne } from "./store.js";
import { applyFields, baseOf, formOf, setBase, setStatus } from "./cards.js";
import { showPending, showRefused } from "./views.js";
import { reload } from "./mirror.js";
import { render } from "./syncbar.js";
import { renderLog } from "./log.js";
import { download, register, showRecord } from "./download.js";
import { csrf } from "./api.js";
import { sync } from "./sync.js";
import { api, listen } from "./hooks.js";

var face = null;

// Called by capture.js once per page; the answer is what its download button calls.
export function start(box) {
  if (face) return face;
  face = { download: function () { return download(false); } };
  init(box);
  box.hidden = false;
  el("sync-bar").hidden = false;
  window.SKEOffline = api;
  listen();
  register();
  db().then(applyRemembered).then(reload).then(function () {
    applyQueue();
    state.ready = true;
    render();
    renderLog();
    return getOne("visits", page.visit).then(showRecord).then(function () {
      if (!("serviceWorker" in navigator)) {
        el("offline-status").textContent = "Trình duyệt không cho làm ngoại tuyến trên kết nối này (cần HTTPS); " +
          "thay đổi khi mất mạng vẫn được giữ trên máy.";
      }
    });
  }).then(function () {
    if (navigator.onLine !== false) return csrf(false).then(function () { sync(true); });
  }).catch(function () {
    state.enabled = false;
    state.ready = true;
    el("offline-download").disabled = true;
    el("offline-status").textContent = "Trình duyệt này không cho lưu dữ liệu trên máy: không làm ngoại tuyến được.";
  });

  window.addEventListener("online", function () {
    state.stopped = "";
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    render();
    csrf(false).then(function () { sync(true); });
  });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    if (state.stopped === "auth") state.stopped = "";
    reload().then(function () { sync(false); });
  });
  // Another tab may have drained the queue, or a retry may be due.
  setInterval(function () {
    if (!state.ready || state.syncing) return;
    reload().then(function () { if (state.mirror.length && !state.retryTimer) sync(false); });
  }, 15000);
  return face;
}

// The page may be the stored copy, older than saves made online since: their versions and values first.
function applyRemembered() {
  return getAll("findings", page.visit).then(function (rows) {
    rows.forEach(function (row) {
      var form = formOf(row.code);
      if (form && row.fields && row.version > baseOf(form)) {
        applyFields(form, row.fields);
        setBase(form, row.version);
      }
    });
  });
}

// Then every queued value, the queued photos, and any conflict still waiting for the inspector.
function applyQueue() {
  state.mirror.forEach(function (e) {
    if (e.kind === "upload") { showPending(e); return; }
    var form = formOf(e.code);
    if (!form) return;
    applyFields(form, e.fields);
    if (e.state === "pending") setStatus(e.code, "queued", QUEUED);
    else showRefused(e);
  });
}
