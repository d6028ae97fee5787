// Sending the queue: oldest first, one request at a time, in the background, through the JSON API.
// A save refused as based on an old version keeps its entry (with the other person's finding) until
// the inspector chooses; the network failing leaves it in place, retried with backoff.
import { QUEUED, RETRY_DELAYS, mine, page, state } from "./state.js";
import { delOne, getAll, getOne, putOne, serial } from "./store.js";
import { answerType, applyFields, describe, formOf, galleryOf, setStatus, swapFragment } from "./cards.js";
import { currentFinding, csrf, findingBody, galleryHtml, postEvidence, putFinding } from "./api.js";
import { formatBytes, forgetPending, showPending, showRefused, showSaved } from "./views.js";
import { log } from "./log.js";
import { reload } from "./mirror.js";
import { render } from "./syncbar.js";
import { scheduleRefresh } from "./download.js";

var staleHeader = "";  // an item saved through the API since the progress header was last fetched

export function what(e) {
  return e.kind === "upload" ? "ảnh “" + e.name + "” (tiêu chí " + e.code + ")" : "tiêu chí " + e.code;
}

function summary(e) { return e.summary || describe(null, e.fields); }

// The API's shape of the item's answer: kept with the entry; entries queued by an earlier release
// have none, so the card (or, for another visit, the fields themselves) tells.
function typeOf(e) {
  if (e.answerType) return e.answerType;
  var here = e.visitId === page.visit && answerType(formOf(e.code));
  if (here) return here;
  var f = e.fields;
  return f.numerator !== undefined ? "ratio" : f.number !== undefined ? "number" : f.text !== undefined ? "text"
    : f.choice === "yes" || f.choice === "no" ? "yesno" : "levels";
}

export function kick() { if (navigator.onLine !== false) sync(false); }

export function schedule(delay) {
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(function () { state.retryTimer = null; sync(false); }, Math.max(delay, 500));
  render();
}

// Web Locks keep two tabs from sending the same queue at once.
function withLock(work) {
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request("so-kiem-tra-sync", { ifAvailable: true }, function (lock) {
      return lock ? work() : null;
    });
  }
  return work();
}

export function sync(force) {
  if (!state.enabled || !state.ready || state.syncing || state.stopped || navigator.onLine === false) {
    return Promise.resolve();
  }
  state.syncing = true;
  render();
  return withLock(function () { return drain(force); }).catch(function (err) {
    return log(false, "Lỗi khi đồng bộ: " + (err && err.message));
  }).then(function () {
    state.syncing = false;
    state.uploadProgress = "";
    return Promise.all([reload(), refreshHeader()]);
  });
}

// Oldest first. A save waiting for the inspector's choice holds back later saves of its item only.
function drain(force) {
  return getAll("queue").then(function (all) {
    var held = {};
    var next = null;
    for (var i = 0; i < all.length && !next; i++) {
      var e = all[i];
      if (!mine(e)) continue;
      var item = e.visitId + "|" + e.code;
      if (e.state !== "pending") { if (e.kind === "save") held[item] = true; continue; }
      if (e.kind === "save" && held[item]) continue;
      next = e;
    }
    if (!next || navigator.onLine === false) return;
    if (!force && next.nextTry > Date.now()) { schedule(next.nextTry - Date.now()); return; }
    return send(next).then(function (outcome) { if (outcome === "next") return drain(false); });
  });
}

function send(entry) {
  return serial(function () {
    // Re-read: the entry may have been replaced by a newer value since the queue was listed.
    return getOne("queue", entry.id).then(function (fresh) {
      if (!fresh || fresh.state !== "pending") return null;
      if (fresh.attempted) return fresh;
      fresh.attempted = true;  // from now on its key and values never change
      return putOne("queue", fresh).then(function () { return fresh; });
    });
  }).then(function (e) {
    if (!e) return "next";
    return csrf(false).then(function (token) {
      return e.kind === "upload" ? sendUpload(e, token) : sendSave(e, token);
    });
  });
}

function sendSave(e, token) {
  var body = findingBody(e.fields, typeOf(e), e.base);
  return putFinding(e.visitId, e.code, e.key, body, token).then(function (res) {
    if (!res) return retryLater(e, "mất kết nối hoặc quá thời gian chờ");
    if (res.status === 200 || res.status === 201) return saved(e, res.body);
    if (res.status === 409 && res.body.error === "version_conflict") {
      return refused(e, "conflict", res.body.message, res.body.current || null);
    }
    if (res.status === 409 && res.body.error === "idempotency_key_reused") return keyUsedBefore(e, body);
    if (res.status === 409 || res.status === 422) return refused(e, "refused", res.body.message || "Bị từ chối.");
    return otherStatus(e, res);
  });
}

// The key was used before with another request. Both routes fingerprint a change the same way
// (services/capture.save_finding), so the same change sent first by the page's form is simply replayed;
// this is the rare rest (a form field the API body does not carry). What the server holds now decides:
// this change (nothing to send), or someone else's (the inspector chooses).
function keyUsedBefore(e, body) {
  return currentFinding(e.visitId, e.code).then(function (current) {
    var same = current && JSON.stringify([current.answer, current.na, current.note]) ===
      JSON.stringify([body.answer, body.na, body.note]);
    if (same) return saved(e, current);
    return refused(e, "conflict", "Tiêu chí " + e.code + " đã được lưu với giá trị khác trong lúc mạng chập chờn. " +
      "Hãy xem hai giá trị và chọn giá trị giữ lại.", current);
  }, function () {
    return retryLater(e, "chưa đọc được giá trị đã lưu");
  });
}

function sendUpload(e, token) {
  return postEvidence(e.visitId, e.code, e.key, e.blob, e.name, token, function (fraction) {
    progress(e, fraction);
  }).then(function (res) {
    progress(e, null);
    if (!res) return retryLater(e, "mất kết nối hoặc quá thời gian chờ");
    if (res.status === 200 || res.status === 201) return uploaded(e);
    return otherStatus(e, res);
  });
}

function progress(e, fraction) {
  var gallery = e.visitId === page.visit ? galleryOf(e.code) : null;
  var bar = gallery && gallery.querySelector(".upload-progress");
  if (fraction === null) {
    state.uploadProgress = "";
    if (bar) bar.hidden = true;
  } else {
    state.uploadProgress = "Đang gửi ảnh “" + e.name + "”: " + Math.round(100 * fraction) + "%";
    if (bar) { bar.hidden = false; bar.value = Math.round(100 * fraction); }
  }
  render();
}

function saved(e, finding) {
  var version = finding.version;
  state.csrfRetried = false;
  return serial(function () {
    return delOne("queue", e.id).then(function () { return getAll("queue", e.visitId); }).then(function (rows) {
      var later = rows.filter(function (x) {
        return x.kind === "save" && x.code === e.code && x.id > e.id && mine(x) && !x.attempted;
      });
      return Promise.all(later.map(function (x) {
        x.base = version;  // based on what was just saved, not on what the page had
        return putOne("queue", x);
      }));
    });
  }).then(function () {
    return putOne("findings", {
      key: e.visitId + "|" + e.code, visitId: e.visitId, code: e.code, version: version, fields: e.fields,
      savedAt: Date.now(),
    });
  }).then(reload).then(function () {
    if (e.visitId === page.visit) {
      showSaved(e.code, finding);
      if (state.mirror.some(function (x) { return x.kind === "save" && x.code === e.code; })) {
        setStatus(e.code, "queued", QUEUED);
      }
      staleHeader = e.code;
      scheduleRefresh();
    }
    return log(true, "Đã gửi " + what(e) + " (" + summary(e) + ") — phiên bản " + version, e.visitId);
  }).then(function () { return "next"; });
}

// Kept in the queue (and counted) until the inspector chooses or edits the item again.
function refused(e, kind, message, current) {
  return serial(function () {
    return getOne("queue", e.id).then(function (fresh) {
      if (!fresh) return;
      fresh.state = kind;
      fresh.message = message;
      fresh.current = current || null;
      delete fresh.html;
      return putOne("queue", fresh);
    });
  }).then(reload).then(function () {
    if (e.visitId === page.visit) {
      var form = formOf(e.code);
      if (form) applyFields(form, e.fields);  // the inspector's values stay on the card
      showRefused({ code: e.code, fields: e.fields, state: kind, message: message, current: current || null });
    }
    return log(false, (kind === "conflict" ? "Xung đột ở " : "Bị từ chối: ") + what(e) + " (" + summary(e) + ") — " +
      message, e.visitId);
  }).then(function () { return "next"; });
}

function uploaded(e) {
  state.csrfRetried = false;
  return serial(function () { return delOne("queue", e.id); }).then(reload).then(function () {
    if (e.visitId !== page.visit) return;
    // The gallery as the server renders it now (with the progress header out of band).
    return galleryHtml(e.visitId, e.code).then(function (html) {
      var gallery = galleryOf(e.code);
      var pending = gallery && gallery.querySelector('[data-queue="' + e.id + '"]');
      if (gallery && html) swapFragment(gallery, html);
      else if (pending) pending.remove();
      forgetPending(e);
      state.mirror.forEach(function (x) { if (x.kind === "upload" && x.code === e.code) showPending(x); });
      var note = galleryOf(e.code) && galleryOf(e.code).querySelector(".upload-status");
      if (note) note.textContent = "Đã gửi ảnh “" + e.name + "”.";
      scheduleRefresh();
    });
  }).then(function () {
    return log(true, "Đã gửi " + what(e) + ", " + formatBytes(e.size), e.visitId);
  }).then(function () { return "next"; });
}

function otherStatus(e, res) {
  var status = res.status;
  if (status === 401) {
    state.stopped = "auth";
    render();
    return log(false, "Phiên đăng nhập đã hết hạn — dừng đồng bộ; các thay đổi vẫn giữ trên máy.", e.visitId)
      .then(function () { return "stop"; });
  }
  if (status === 403 && res.body.error === "csrf_failed") {
    if (!state.csrfRetried) {
      state.csrfRetried = true;
      return csrf(true).then(function () { return "next"; });  // the same entry again, with a new token
    }
    state.stopped = "csrf";
    render();
    return log(false, "Mã bảo mật không hợp lệ — dừng đồng bộ; tải lại trang rồi thử lại.", e.visitId)
      .then(function () { return "stop"; });
  }
  if (status >= 500 || status === 408 || status === 429) return retryLater(e, "máy chủ trả lỗi " + status);
  return rejected(e, res.body.message || ("Lỗi " + status));
}

// Refused for good (no permission, unknown item, file not accepted…): shown and logged.
function rejected(e, message) {
  if (e.kind === "save") return refused(e, "refused", message);
  return serial(function () { return delOne("queue", e.id); }).then(reload).then(function () {
    var li = document.querySelector('[data-queue="' + e.id + '"]');
    if (li) li.remove();
    forgetPending(e);
    var gallery = galleryOf(e.code);
    var note = e.visitId === page.visit && gallery && gallery.querySelector(".upload-status");
    if (note) { note.textContent = "Không gửi được ảnh “" + e.name + "”: " + message; note.classList.add("error"); }
    return log(false, "Không gửi được " + what(e) + ": " + message + " (đã bỏ khỏi hàng đợi)", e.visitId);
  }).then(function () { return "next"; });
}

function retryLater(e, why) {
  var tries = (e.tries || 0) + 1;
  var delay = RETRY_DELAYS[Math.min(tries - 1, RETRY_DELAYS.length - 1)];
  return serial(function () {
    return getOne("queue", e.id).then(function (fresh) {
      if (!fresh) return;
      fresh.tries = tries;
      fresh.nextTry = Date.now() + delay;
      return putOne("queue", fresh);
    });
  }).then(function () {
    schedule(delay);
    return log(false, "Chưa gửi được " + what(e) + ": " + why + " — thử lại sau " + Math.round(delay / 1000) +
      " giây.", e.visitId);
  }).then(function () { return "stop"; });
}

// The progress header after saves sent through the API (whose answer is the finding alone): the
// server's own header, read once per drain from the item's gallery fragment, which carries it.
function refreshHeader() {
  var code = staleHeader;
  staleHeader = "";
  if (!code || navigator.onLine === false) return null;
  return galleryHtml(page.visit, code).then(function (html) {
    var fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("progress");
    var shown = document.getElementById("progress");
    if (!fresh || !shown) return;
    fresh.removeAttribute("hx-swap-oob");
    shown.replaceWith(fresh);
  });
}
