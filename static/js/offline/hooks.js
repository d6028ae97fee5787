// What capture.js and htmx see of the offline code: `window.SKEOffline`, asked before each save and
// upload, and the page-wide listeners that keep the queue in step with what htmx sends online.
import { QUEUED, state } from "./state.js";
import { baseOf, codeFromUrl, codeOf, fieldsOf, isItemForm, sameFields, setStatus } from "./cards.js";
import { enqueueCurrent, enqueueSent, enqueueUpload, remember, settle } from "./queue.js";
import { pendingHere } from "./mirror.js";
import { cookieToken, csrf } from "./api.js";
import { scheduleRefresh } from "./download.js";
import { showPending } from "./views.js";

function versionIn(html, code) {
  var id = "v-" + code.replace(/\./g, "_");
  var match = new RegExp('id="' + id.replace(/[^\w-]/g, "\\$&") + '" value="(\\d+)"').exec(html);
  return match ? Number(match[1]) : null;
}

export const api = {
  // Called as htmx is about to send a card's save: true = queued here, do not send.
  takeSave: function (form, evt) {
    if (!state.enabled || !isItemForm(form)) return false;
    var code = codeOf(form);
    if (!code) return false;
    if (state.mirror.some(function (e) { return e.kind === "save" && e.code === code && e.state !== "pending"; })) {
      // "Giữ giá trị của tôi", or a new edit of a card showing a conflict: what the card shows now
      // is what the inspector wants, over the version the conflict view brought in.
      settle(code, "kept");
    }
    var offline = navigator.onLine === false;
    if (!offline && !(state.ready && pendingHere())) return false;
    if (form.dataset.retrying && form._skeSent) {
      enqueueSent(form, form._skeSent);
      delete form.dataset.retrying;
      form.dataset.attempt = "0";
      if (sameFields(fieldsOf(form), form._skeSent.fields)) {
        setStatus(code, "queued", QUEUED);
        return true;
      }
    }
    enqueueCurrent(form);
    setStatus(code, "queued", QUEUED);
    if (evt && evt.detail) evt.detail.queued = true;
    return true;
  },

  // Called when a save got no answer (network error or timeout). Offline, or after a second
  // failure, it goes to the queue (same key, same values) instead of a retry loop in memory.
  queueFailedSave: function (form, attempt) {
    if (!state.enabled || !isItemForm(form) || !form._skeSent) return false;
    if (navigator.onLine !== false && attempt < 2) return false;
    enqueueSent(form, form._skeSent);
    setStatus(codeOf(form), "queued", "Chưa gửi được — đã lưu trên máy, sẽ tự gửi khi có mạng");
    return true;
  },

  takeUpload: function () { return state.enabled && navigator.onLine === false; },
  queueUpload: function (form, file, key) { return enqueueUpload(form, file, key); },
  showQueued: function () { state.mirror.forEach(function (e) { if (e.kind === "upload") showPending(e); }); },
};

export function listen() {
  // What htmx really sent, so that a save without an answer can be queued exactly as sent.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt;
    if (!isItemForm(form) || !evt.detail.requestConfig) return;
    var cfg = evt.detail.requestConfig;
    var data = cfg.formData;
    form._skeSent = {
      key: cfg.headers["Idempotency-Key"],
      fields: fieldsOf(data),
      base: Number(data.get("base_version") || 0),
    };
  });

  document.addEventListener("htmx:configRequest", function (evt) {
    var elt = evt.detail.elt;
    // The cookie is the token's source of truth (the page may come from the offline copy).
    var token = cookieToken();
    if (token) evt.detail.headers["x-csrftoken"] = token;
    if (navigator.onLine === false && elt && elt.closest && elt.closest(".caption-form, .evidence form[hx-post*='/delete']")) {
      evt.preventDefault();
      var gallery = elt.closest(".evidence");
      var note = gallery && gallery.querySelector(".upload-status");
      if (note) note.textContent = "Cần có mạng để sửa chú thích hoặc xóa minh chứng.";
    }
  });

  // A save that went through online: remember its version (the stored page may be older).
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!isItemForm(form) || !evt.detail.xhr || !form._skeSent) return;
    if (state.enabled && evt.detail.xhr.status === 403 && /mã bảo mật/.test(evt.detail.xhr.responseText || "")) {
      // Refused before it was looked at (stale CSRF token): the queue sends it again with a fresh one.
      csrf(true).then(function () { enqueueSent(form, form._skeSent); });
      setStatus(codeOf(form), "queued", QUEUED);
      return;
    }
    if (evt.detail.xhr.status !== 200) return;
    var code = codeOf(form);
    var version = versionIn(evt.detail.xhr.responseText || "", code);
    if (version !== null) remember(code, version, form._skeSent.fields);
    scheduleRefresh();
  });

  // "Dùng giá trị đã lưu": online, htmx fetches the card; offline it cannot.
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest(".conflict-actions a[hx-get]");
    if (!link) return;
    var code = codeFromUrl(link.getAttribute("hx-get"));
    if (navigator.onLine === false) {
      evt.preventDefault();
      evt.stopPropagation();
      var conflict = link.closest(".conflict");
      if (conflict && !conflict.querySelector(".offline-note")) {
        var p = document.createElement("p");
        p.className = "offline-note";
        p.textContent = "Cần có mạng để lấy giá trị đã lưu.";
        conflict.appendChild(p);
      }
      return;
    }
    state.usingSaved[code] = true;
  }, true);

  // Starting a visit is a plain form; offline it would end on the browser's error page.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (navigator.onLine !== false || !form.classList || !form.classList.contains("start-box")) return;
    evt.preventDefault();
    if (!form.querySelector(".offline-note")) {
      var p = document.createElement("p");
      p.className = "offline-note";
      p.textContent = "Đang mất kết nối: cứ trả lời các tiêu chí, cuộc kiểm tra tự bắt đầu khi thay đổi được đồng bộ.";
      form.appendChild(p);
    }
  });

  // The card fetched by "Dùng giá trị đã lưu" arrived: its entries leave the queue.
  if (window.htmx) {
    htmx.onLoad(function (elt) {
      if (!elt || !elt.classList || !elt.classList.contains("item-card")) return;
      var form = elt.querySelector(".item-form");
      if (!form) return;
      var code = codeOf(form);
      if (!state.usingSaved[code]) return;
      delete state.usingSaved[code];
      remember(code, baseOf(form), fieldsOf(form));
      settle(code, "saved");
    });
  }
}
