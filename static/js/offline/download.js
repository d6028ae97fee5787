// "Tải về để làm ngoại tuyến": the service worker (/sw.js) stores the visit page and everything it
// needs; IndexedDB keeps a small record of it (when, how big) for the status line.
import { REFRESH_DELAY, el, flagDownloaded, page } from "./state.js";
import { delOne, getAll, getOne, putOne } from "./store.js";
import { log } from "./log.js";
import { pendingHere } from "./mirror.js";
import { formatBytes } from "./views.js";

export function register() {
  if (!("serviceWorker" in navigator)) {
    el("offline-download").disabled = true;
    return;
  }
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
    el("offline-status").textContent = "Không bật được chế độ ngoại tuyến trên trình duyệt này.";
  });
}

function worker() {
  if (!("serviceWorker" in navigator)) return Promise.reject(new Error("no service worker"));
  return Promise.race([
    navigator.serviceWorker.ready,
    new Promise(function (resolve, reject) { setTimeout(function () { reject(new Error("timeout")); }, 15000); }),
  ]).then(function (registration) { return navigator.serviceWorker.controller || registration.active; });
}

function ask(target, message) {
  return new Promise(function (resolve, reject) {
    var channel = new MessageChannel();
    var timer = setTimeout(function () { reject(new Error("timeout")); }, 180000);
    channel.port1.onmessage = function (evt) { clearTimeout(timer); resolve(evt.data); };
    target.postMessage(message, [channel.port2]);
  });
}

var downloading = false;

export function download(quiet) {
  var button = el("offline-download");
  var status = el("offline-status");
  if (downloading) return Promise.resolve();
  if (navigator.onLine === false) {
    if (!quiet) status.textContent = "Không tải về được: đang mất kết nối.";
    return Promise.resolve();
  }
  downloading = true;
  var started = Date.now();
  if (!quiet) { button.disabled = true; status.textContent = "Đang tải về…"; }
  return worker().then(function (target) {
    return ask(target, { type: "download", page: page.path });
  }).then(function (answer) {
    if (!answer.ok) throw new Error(answer.reason);
    var record = {
      id: page.visit, page: page.path, title: document.title, storedAt: Date.now(),
      files: answer.files, failed: answer.failed.length, bytes: answer.bytes,
    };
    record.bytes += new Blob([JSON.stringify(record)]).size;  // the size shown counts this record too
    return putOne("visits", record).then(function () { return forgetRemembered(started); }).then(function () {
      flagDownloaded(page.visit, true);
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
      showRecord(record);
      if (!quiet) {
        return log(true, "Đã tải về để làm ngoại tuyến: " + formatBytes(record.bytes) + " (" + record.files +
          " tệp" + (record.failed ? ", " + record.failed + " tệp lỗi" : "") + ").");
      }
    });
  }).catch(function (err) {
    if (quiet) return;
    var reason = err && err.message;
    status.textContent = reason === "login" ? "Không tải về được: phiên đăng nhập đã hết hạn."
      : reason === "network" ? "Không tải về được: mất kết nối."
        : reason === "no service worker" ? "Trình duyệt này không hỗ trợ làm ngoại tuyến (cần HTTPS)."
          : "Không tải về được (" + reason + ").";
    return log(false, status.textContent);
  }).then(function () {
    downloading = false;
    button.disabled = !("serviceWorker" in navigator);
  });
}

// The stored page now holds these saves: their remembered versions are no longer needed.
function forgetRemembered(before) {
  return getAll("findings", page.visit).then(function (rows) {
    return Promise.all(rows.filter(function (r) { return r.savedAt < before; })
      .map(function (r) { return delOne("findings", r.key); }));
  });
}

var refreshTimer = null;

// After online saves, the stored copy of a downloaded visit is refreshed once things are quiet.
export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(function () {
    getOne("visits", page.visit).then(function (record) {
      if (record && navigator.onLine !== false && !pendingHere()) return download(true);
      if (record && pendingHere()) scheduleRefresh();
    }).catch(function () {});
  }, REFRESH_DELAY);
}

export function showRecord(record) {
  var status = el("offline-status");
  if (!record) { status.textContent = "Chưa tải về máy này."; return Promise.resolve(); }
  var stored = window.caches ? caches.match(page.path) : Promise.resolve(null);
  return stored.then(function (hit) {
    var when = new Date(record.storedAt);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    if (!hit) flagDownloaded(page.visit, false);
    status.textContent = hit
      ? "Sẵn sàng ngoại tuyến · " + formatBytes(record.bytes) + " · cập nhật lúc " + pad(when.getHours()) + ":" +
        pad(when.getMinutes()) + " " + pad(when.getDate()) + "/" + pad(when.getMonth() + 1)
      : "Bản ngoại tuyến đã bị trình duyệt xóa — bấm “Tải về để làm ngoại tuyến” lần nữa.";
    status.className = "offline-status " + (hit ? "ready" : "muted");
  });
}
