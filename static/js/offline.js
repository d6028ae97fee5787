// Sổ Kiểm Tra — work without signal on the visit page (docs/offline.md).
//   - "Tải về để làm ngoại tuyến": the service worker (/sw.js) stores the page, its assets and the
//     evidence thumbnails; this script stores the checklist version and the findings in IndexedDB.
//   - Offline (or while older changes still wait), a change is not sent: it goes to a queue in
//     IndexedDB with its idempotency key and the finding version it was based on; photos go there
//     already scaled down by capture.js. Nothing lives only in memory.
//   - When the network is back, the queue drains in order in the background, with backoff. A save
//     refused as based on an old version shows the server's conflict view in its card and waits
//     for the inspector's choice; only then does it leave the queue.
// capture.js asks this script (window.SKEOffline) before it sends a save or an upload.
(function () {
  "use strict";

  var box = document.getElementById("offline-box");
  if (!box) return;  // not a visit page the user may edit

  var VISIT = Number(box.dataset.visit);
  var USER = box.dataset.user || "";  // a queue entry is only ever sent in its author's session
  var PAGE = "/visits/" + VISIT;
  var RETRY_DELAYS = [2000, 4000, 8000, 15000, 30000, 60000];
  var SAVE_TIMEOUT = 30000;
  var UPLOAD_TIMEOUT = 120000;
  var REFRESH_DELAY = 20000;    // after online saves, refresh the stored copy of a downloaded visit
  var LOG_KEEP = 300;
  var FIELDS = ["choice", "number", "numerator", "denominator", "text", "na", "note", "amend_reason"];
  var QUEUED = "Đã lưu trên máy — chờ đồng bộ";

  var bar = document.getElementById("sync-bar");
  var counter = document.getElementById("sync-counter");
  var stateLine = document.getElementById("sync-state");
  var button = document.getElementById("offline-download");
  var statusLine = document.getElementById("offline-status");
  var logBox = document.getElementById("sync-log");
  var logList = document.getElementById("sync-log-list");

  var enabled = true;      // false when IndexedDB is not available
  var ready = false;       // the queue has been read
  var mirror = [];         // this visit's queue entries, as last read
  var elsewhere = 0;       // this user's entries for other visits
  var localAdds = 0;       // entries being written right now
  var syncing = false;
  var stopped = "";        // "auth" or "csrf": waiting for the inspector
  var retryTimer = null;
  var refreshTimer = null;
  var csrfRetried = false;
  var uploadProgress = "";
  var objectUrls = {};
  var usingSaved = {};

  // ---------------------------------------------------------------- IndexedDB
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("IndexedDB")); return; }
        var open = indexedDB.open("so-kiem-tra-offline", 1);
        open.onupgradeneeded = function () {
          var d = open.result;
          d.createObjectStore("queue", { keyPath: "id", autoIncrement: true }).createIndex("visit", "visitId");
          d.createObjectStore("log", { keyPath: "id", autoIncrement: true }).createIndex("visit", "visitId");
          d.createObjectStore("visits", { keyPath: "id" });
          d.createObjectStore("findings", { keyPath: "key" }).createIndex("visit", "visitId");
        };
        open.onsuccess = function () {
          var d = open.result;
          d.onversionchange = function () { d.close(); };
          resolve(d);
        };
        open.onerror = function () { reject(open.error); };
        open.onblocked = function () { reject(new Error("IndexedDB blocked")); };
      });
    }
    return dbPromise;
  }

  function run(store, mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        work(t.objectStore(store), function (value) { result = value; });
      });
    });
  }

  function request(store, mode, call) {
    return run(store, mode, function (s, done) {
      var r = call(s);
      r.onsuccess = function () { done(r.result); };
    });
  }

  function getAll(store, visitId) {
    return request(store, "readonly", function (s) {
      return visitId === undefined ? s.getAll() : s.index("visit").getAll(visitId);
    }).then(function (rows) { return rows.sort(function (a, b) { return (a.id || 0) - (b.id || 0); }); });
  }
  function getOne(store, key) { return request(store, "readonly", function (s) { return s.get(key); }); }
  function putOne(store, value) { return request(store, "readwrite", function (s) { return s.put(value); }); }
  function delOne(store, key) { return request(store, "readwrite", function (s) { return s.delete(key); }); }

  // Queue changes happen one after the other (enqueue, send, settle never interleave).
  var chain = Promise.resolve();
  function serial(work) {
    var next = chain.then(work);
    chain = next.catch(function () {});
    return next;
  }

  function mine(e) { return e.user === USER; }

  function reload() {
    return getAll("queue").then(function (rows) {
      mirror = rows.filter(function (e) { return e.visitId === VISIT && mine(e); });
      elsewhere = rows.filter(function (e) { return e.visitId !== VISIT && mine(e); }).length;
      render();
      return mirror;
    });
  }

  function pendingHere() {
    return localAdds > 0 || mirror.some(function (e) { return e.state === "pending"; });
  }

  // ---------------------------------------------------------------- helpers
  // One key maker for the page: capture.js defines it (deferred scripts have all run before any
  // of these functions is called).
  function newKey() { return window.SKE.newKey(); }

  function domId(code) { return code.replace(/\./g, "_"); }
  function isItemForm(el) { return !!(el && el.classList && el.classList.contains("item-form")); }
  function codeFromUrl(url) { return decodeURIComponent(((url || "").split("/items/")[1] || "").split("/")[0]); }
  function codeOf(form) { return codeFromUrl(form.getAttribute("hx-post") || form.getAttribute("action")); }
  function formOf(code) { return document.getElementById("form-" + domId(code)); }
  function baseOf(form) {
    var input = form.querySelector("[name=base_version]");
    return Number((input && input.value) || 0);
  }
  function setBase(form, version) {
    var input = form.querySelector("[name=base_version]");
    if (input) input.value = String(version);
  }

  // The answer fields of a form (or of the FormData htmx sent), without key, version or token.
  function fieldsOf(source) {
    var data = source instanceof FormData ? source : new FormData(source);
    var out = {};
    data.forEach(function (value, name) {
      if (FIELDS.indexOf(name) >= 0 && typeof value === "string") out[name] = value;
    });
    return out;
  }

  function sameFields(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  // Put saved or queued values back into a card's inputs (no event fires, so nothing is sent).
  function applyFields(form, fields) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (FIELDS.indexOf(el.name) < 0) return;
      if (el.type === "radio" || el.type === "checkbox") el.checked = fields[el.name] === el.value;
      else el.value = fields[el.name] || "";
    });
  }

  function what(e) {
    return e.kind === "upload" ? "ảnh “" + e.name + "” (tiêu chí " + e.code + ")" : "tiêu chí " + e.code;
  }

  function shorten(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

  // The values of a change in words, for the sync log: "Đạt; ghi chú “…”".
  function describe(form, fields) {
    var parts = [];
    if (fields.na) parts.push("Không áp dụng");
    else if (fields.choice) {
      var radio = form && form.querySelector('input[name=choice][value="' + fields.choice.replace(/"/g, "") + '"]');
      var label = radio && form.querySelector('label[for="' + radio.id + '"]');
      parts.push(label ? label.textContent.trim() : fields.choice);
    } else if (fields.numerator || fields.denominator) parts.push((fields.numerator || "?") + "/" + (fields.denominator || "?"));
    else if (fields.number) parts.push(fields.number);
    else if (fields.text) parts.push("“" + shorten(fields.text, 40) + "”");
    if (fields.note) parts.push("ghi chú “" + shorten(fields.note, 40) + "”");
    return parts.join("; ") || "để trống";
  }

  function formatBytes(bytes) {
    if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + " KB";
    return (bytes / 1048576).toFixed(1).replace(".", ",") + " MB";
  }

  function clock(ms) {
    var d = new Date(ms);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function statusEl(code) { return document.getElementById("status-" + domId(code)); }

  function setStatus(code, cls, text) {
    var el = statusEl(code);
    if (!el) return;
    if (el.tagName !== "P") {  // a refusal view: back to a plain status line
      var p = document.createElement("p");
      p.id = el.id;
      el.replaceWith(p);
      el = p;
    }
    el.className = "save-status " + cls;
    el.setAttribute("role", "status");
    el.textContent = text;
  }

  // Swap a server fragment in place of `target` (its hx-swap-oob parts update version, points and
  // progress); without a target only the out-of-band parts are used.
  function swapFragment(target, html) {
    if (!window.htmx) return;
    if (target) { htmx.swap(target, html, { swapStyle: "outerHTML" }); return; }
    var holder = document.createElement("div");
    holder.hidden = true;
    document.body.appendChild(holder);
    htmx.swap(holder, html, { swapStyle: "innerHTML" });
    holder.remove();
  }

  function refusalHtml(code, message) {
    var div = document.createElement("div");
    div.className = "save-status failed";
    div.id = "status-" + domId(code);
    div.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = message;
    div.appendChild(p);
    return div.outerHTML;
  }

  function textOfRefusal(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var parts = [];
    var first = doc.querySelector("p");
    if (first) parts.push(first.textContent.trim());
    var saved = doc.querySelector(".conflict p");
    if (saved) parts.push(saved.textContent.replace(/\s+/g, " ").trim());
    return parts.join(" ") || "bị từ chối";
  }

  function versionIn(html, code) {
    var match = new RegExp('id="v-' + domId(code).replace(/[^\w-]/g, "\\$&") + '" value="(\\d+)"').exec(html);
    return match ? Number(match[1]) : null;
  }

  // ---------------------------------------------------------------- sync log
  function log(ok, text, visitId) {
    var row = { visitId: visitId === undefined ? VISIT : visitId, at: Date.now(), ok: ok, text: text };
    return putOne("log", row).then(function () {
      return request("log", "readwrite", function (s) { return s.count(); });
    }).then(function (count) {
      if (count <= LOG_KEEP) return;
      return run("log", "readwrite", function (s) {
        var cursor = s.openCursor();
        var extra = count - LOG_KEEP;
        cursor.onsuccess = function () {
          if (cursor.result && extra-- > 0) { cursor.result.delete(); cursor.result.continue(); }
        };
      });
    }).then(renderLog).catch(function () {});
  }

  function renderLog() {
    return getAll("log", VISIT).then(function (rows) {
      var summary = logBox.querySelector("summary");
      summary.textContent = "Nhật ký đồng bộ (" + rows.length + ")";
      logList.textContent = "";
      rows.slice(-100).reverse().forEach(function (row) {
        var li = document.createElement("li");
        li.className = row.ok ? "ok" : "fail";
        var time = document.createElement("time");
        time.textContent = clock(row.at);
        li.appendChild(time);
        li.appendChild(document.createTextNode(" " + row.text));
        logList.appendChild(li);
      });
    });
  }

  // ---------------------------------------------------------------- header counter and state
  function render() {
    if (!ready) return;
    var n = mirror.length;
    var waiting = mirror.filter(function (e) { return e.state !== "pending"; }).length;
    counter.textContent = (n ? n + " thay đổi chưa đồng bộ" + (waiting ? " · " + waiting + " cần bạn xem lại" : "")
      : "Đã đồng bộ") + (elsewhere ? " · " + elsewhere + " thay đổi của cuộc kiểm tra khác đang chờ" : "");
    counter.className = "sync-counter " + (n ? "pending" : "done");
    stateLine.textContent = "";
    if (stopped === "auth") {
      stateLine.textContent = "Phiên đăng nhập đã hết hạn — đăng nhập lại để đồng bộ ";
      var link = document.createElement("a");
      link.href = "/login?next=" + encodeURIComponent(PAGE) + "&reason=expired";
      link.textContent = "Đăng nhập lại";
      stateLine.appendChild(link);
    } else if (stopped === "csrf") {
      stateLine.textContent = "Mã bảo mật của trang đã hết hạn — tải lại trang để đồng bộ.";
    } else if (!navigator.onLine) {
      stateLine.textContent = "Mất kết nối — thay đổi được lưu trên máy.";
    } else if (syncing && n) {
      stateLine.textContent = uploadProgress || "Đang đồng bộ…";
    } else if (retryTimer && n) {
      stateLine.textContent = "Mạng chập chờn — sẽ tự thử lại.";
    }
    bar.className = "sync-bar" + (stopped ? " stopped" : !navigator.onLine ? " offline" : "");
  }

  // ---------------------------------------------------------------- queueing
  function enqueueCurrent(form) {
    var code = codeOf(form);
    var fields = fieldsOf(form);
    var base = baseOf(form);
    var url = form.getAttribute("hx-post");
    localAdds++;
    return serial(function () {
      return getAll("queue", VISIT).then(function (rows) {
        var same = rows.filter(function (e) { return e.kind === "save" && e.code === code && mine(e); });
        var last = same[same.length - 1];
        if (last && last.state === "pending" && !last.attempted) {
          // Never sent: the newer value simply replaces it (one change per item waits at a time).
          last.fields = fields;
          last.summary = describe(form, fields);
          last.key = newKey();
          last.updatedAt = Date.now();
          return putOne("queue", last).then(function () { return false; });
        }
        return putOne("queue", {
          visitId: VISIT, user: USER, code: code, kind: "save", url: url, key: newKey(),
          // After a sent-but-unconfirmed change, the version is known only once that one is answered.
          base: last && last.state === "pending" ? last.base : base,
          fields: fields, summary: describe(form, fields), attempted: false, state: "pending", tries: 0, nextTry: 0,
          createdAt: Date.now(),
        }).then(function () { return true; });
      });
    }).then(function (added) {
      if (added) log(true, "Ghi trên máy (chờ gửi): tiêu chí " + code);
    }).catch(function (err) {
      setStatus(code, "failed", "Không lưu được trên máy: " + err.message);
    }).then(function () {
      localAdds--;
      return reload();
    }).then(kick);
  }

  // A change that was sent but whose answer never came: queued unchanged, with its key.
  function enqueueSent(form, sent) {
    var code = codeOf(form);
    localAdds++;
    var entry = {
      visitId: VISIT, user: USER, code: code, kind: "save", url: form.getAttribute("hx-post"), key: sent.key,
      base: sent.base, fields: sent.fields, summary: describe(form, sent.fields), attempted: true, state: "pending",
      tries: 0, nextTry: 0, createdAt: Date.now(),
    };
    return serial(function () {
      return getAll("queue", VISIT).then(function (rows) {
        var unsent = rows.filter(function (e) {
          return e.kind === "save" && e.code === code && mine(e) && e.state === "pending" && !e.attempted;
        })[0];
        if (!unsent) return putOne("queue", entry);
        // This change left the tablet before the one waiting: it takes the waiting one's place in
        // the queue, and the waiting one (never sent, so free to move) goes after it.
        var later = Object.assign({}, unsent, { base: sent.base });
        delete later.id;
        entry.id = unsent.id;
        return putOne("queue", entry).then(function () { return putOne("queue", later); });
      });
    }).then(function () {
      return log(true, "Ghi trên máy (đã gửi một lần, chưa có trả lời): tiêu chí " + code);
    }).then(function () {
      localAdds--;
      return reload();
    }, function () { localAdds--; }).then(kick);
  }

  function enqueueUpload(form, file, key) {
    var url = form.getAttribute("action");
    var code = codeFromUrl(url);
    localAdds++;
    var entry = {
      visitId: VISIT, user: USER, code: code, kind: "upload", url: url, key: key || newKey(), blob: file,
      name: file.name || "anh.jpg", type: file.type || "application/octet-stream", size: file.size,
      attempted: !!key, state: "pending", tries: 0, nextTry: 0, createdAt: Date.now(),
    };
    return serial(function () { return putOne("queue", entry); }).then(function (id) {
      entry.id = id;
      showPending(entry);
      log(true, "Ghi trên máy (chờ gửi): " + what(entry) + ", " + formatBytes(entry.size));
    }).then(function () {
      localAdds--;
      return reload();
    }, function (err) {
      localAdds--;
      throw new Error("Không lưu được ảnh “" + entry.name + "” trên máy (" +
        (err && err.name === "QuotaExceededError" ? "bộ nhớ trình duyệt đã đầy" : "lỗi lưu trữ") + ").");
    }).then(function () { kick(); });
  }

  // The inspector answered a refusal shown on a card: the waiting entries of that item leave the queue.
  function settle(code, how) {
    var gone = mirror.filter(function (e) { return e.kind === "save" && e.code === code; });  // mine only
    if (!gone.length) return Promise.resolve();
    mirror = mirror.filter(function (e) { return gone.indexOf(e) < 0; });
    render();
    return serial(function () {
      return Promise.all(gone.map(function (e) { return delOne("queue", e.id); }));
    }).then(function () {
      return log(true, "Tiêu chí " + code + ": " + (how === "kept" ? "giữ giá trị của tôi" : "dùng giá trị đã lưu"));
    }).then(reload);
  }

  // ---------------------------------------------------------------- the public face for capture.js
  window.SKEOffline = {
    // Called as htmx is about to send a card's save: true = queued here, do not send.
    takeSave: function (form, evt) {
      if (!enabled || !isItemForm(form)) return false;
      var code = codeOf(form);
      if (!code) return false;
      if (mirror.some(function (e) { return e.kind === "save" && e.code === code && e.state !== "pending"; })) {
        // "Giữ giá trị của tôi", or a new edit of a card showing a conflict: what the card shows now
        // is what the inspector wants, over the version the conflict view brought in.
        settle(code, "kept");
      }
      var offline = navigator.onLine === false;
      if (!offline && !(ready && pendingHere())) return false;
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
      if (!enabled || !isItemForm(form) || !form._skeSent) return false;
      if (navigator.onLine !== false && attempt < 2) return false;
      enqueueSent(form, form._skeSent);
      setStatus(codeOf(form), "queued", "Chưa gửi được — đã lưu trên máy, sẽ tự gửi khi có mạng");
      return true;
    },

    takeUpload: function () { return enabled && navigator.onLine === false; },
    queueUpload: function (form, file, key) { return enqueueUpload(form, file, key); },
    showQueued: function () { mirror.forEach(function (e) { if (e.kind === "upload") showPending(e); }); },
  };

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
    if (enabled && evt.detail.xhr.status === 403 && /mã bảo mật/.test(evt.detail.xhr.responseText || "")) {
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
    usingSaved[code] = true;
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

  function onCardLoaded(elt) {
    if (!elt || !elt.classList || !elt.classList.contains("item-card")) return;
    var form = elt.querySelector(".item-form");
    if (!form) return;
    var code = codeOf(form);
    if (!usingSaved[code]) return;
    delete usingSaved[code];
    remember(code, baseOf(form), fieldsOf(form));
    settle(code, "saved");
  }

  function remember(code, version, fields) {
    return putOne("findings", {
      key: VISIT + "|" + code, visitId: VISIT, code: code, version: version, fields: fields, savedAt: Date.now(),
    }).catch(function () {});
  }

  // ---------------------------------------------------------------- applying stored state on load
  function applyRemembered() {
    return getAll("findings", VISIT).then(function (rows) {
      rows.forEach(function (row) {
        var form = formOf(row.code);
        if (form && row.fields && row.version > baseOf(form)) {
          applyFields(form, row.fields);
          setBase(form, row.version);
        }
      });
    });
  }

  function applyQueue() {
    mirror.forEach(function (e) {
      if (e.kind === "upload") { showPending(e); return; }
      var form = formOf(e.code);
      if (!form) return;
      applyFields(form, e.fields);
      if (e.state === "pending") setStatus(e.code, "queued", QUEUED);
      else swapFragment(statusEl(e.code), e.html);
    });
  }

  function showPending(entry) {
    var gallery = document.getElementById("gallery-" + domId(entry.code));
    if (!gallery || gallery.querySelector('[data-queue="' + entry.id + '"]')) return;
    var list = gallery.querySelector("ul.gallery");
    if (!list) {
      list = document.createElement("ul");
      list.className = "gallery";
      gallery.insertBefore(list, gallery.querySelector("form.upload"));
    }
    var li = document.createElement("li");
    li.className = "thumb pending";
    li.dataset.queue = String(entry.id);
    if (/^image\//.test(entry.type)) {
      var img = document.createElement("img");
      if (!objectUrls[entry.id]) objectUrls[entry.id] = URL.createObjectURL(entry.blob);
      img.src = objectUrls[entry.id];
      img.alt = "Ảnh chờ đồng bộ: " + entry.name;
      li.appendChild(img);
    } else {
      var doc = document.createElement("span");
      doc.className = "doc";
      doc.textContent = "PDF";
      li.appendChild(doc);
    }
    var small = document.createElement("small");
    small.className = "muted";
    small.textContent = "Chờ đồng bộ";
    li.appendChild(small);
    list.appendChild(li);
  }

  // ---------------------------------------------------------------- sync
  function cookieToken() {
    var match = /(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/.exec(document.cookie);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function pageToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["x-csrftoken"] || ""; } catch (e) { return ""; }
  }

  // The CSRF cookie lives only as long as the browser session; any GET makes the server set a new one.
  function csrf(renew) {
    if (cookieToken() && !renew) return Promise.resolve(cookieToken());
    if (renew) {
      document.cookie = "csrftoken=; Max-Age=0; path=/; SameSite=Strict";
      document.cookie = "__Host-csrftoken=; Max-Age=0; path=/; Secure; SameSite=Strict";
    }
    return fetch("/healthz", { credentials: "same-origin", cache: "no-store" }).catch(function () {})
      .then(function () { return cookieToken() || pageToken(); });
  }

  function timedFetch(url, options, ms) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, ms) : null;
    if (controller) options.signal = controller.signal;
    return fetch(url, options).then(function (res) { clearTimeout(timer); return res; },
      function (err) { clearTimeout(timer); throw err; });
  }

  function withLock(work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("so-kiem-tra-sync", { ifAvailable: true }, function (lock) {
        return lock ? work() : null;
      });
    }
    return work();
  }

  function kick() { if (navigator.onLine !== false) sync(false); }

  function schedule(delay) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { retryTimer = null; sync(false); }, Math.max(delay, 500));
    render();
  }

  function sync(force) {
    if (!enabled || !ready || syncing || stopped || navigator.onLine === false) return Promise.resolve();
    syncing = true;
    render();
    return withLock(function () { return drain(force); }).catch(function (err) {
      return log(false, "Lỗi khi đồng bộ: " + (err && err.message));
    }).then(function () {
      syncing = false;
      uploadProgress = "";
      return reload();
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
    var body = new URLSearchParams();
    Object.keys(e.fields).forEach(function (name) { body.append(name, e.fields[name]); });
    body.set("base_version", String(e.base));
    body.set("idempotency_key", e.key);
    return timedFetch(e.url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: {
        "HX-Request": "true", "X-Requested-With": "fetch", "Idempotency-Key": e.key, "x-csrftoken": token,
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
      },
    }, SAVE_TIMEOUT).then(function (res) {
      if (res.status === 200) return res.text().then(function (html) { return saved(e, html); });
      if (res.status === 409 || res.status === 422) {
        var json = (res.headers.get("content-type") || "").indexOf("json") >= 0;
        return (json ? res.json().then(function (j) { return refusalHtml(e.code, j.message || "Bị từ chối."); })
          : res.text()).then(function (html) { return refused(e, html); });
      }
      return otherStatus(e, res.status, res);
    }, function () {
      return retryLater(e, "mất kết nối hoặc quá thời gian chờ");
    });
  }

  function sendUpload(e, token) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("file", e.blob, e.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", e.url);
      xhr.setRequestHeader("Idempotency-Key", e.key);
      xhr.setRequestHeader("X-Requested-With", "fetch");
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.timeout = UPLOAD_TIMEOUT;
      xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) progress(e, ev.loaded / ev.total); };
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve(null); };
      xhr.send(data);
    }).then(function (xhr) {
      progress(e, null);
      if (!xhr) return retryLater(e, "mất kết nối hoặc quá thời gian chờ");
      if (xhr.status === 200 || xhr.status === 201) return uploaded(e, xhr.responseText);
      return otherStatus(e, xhr.status, new Response(xhr.responseText, {
        status: xhr.status, headers: { "Content-Type": xhr.getResponseHeader("content-type") || "text/plain" },
      }));
    });
  }

  function progress(e, fraction) {
    var gallery = e.visitId === VISIT ? document.getElementById("gallery-" + domId(e.code)) : null;
    var barEl = gallery && gallery.querySelector(".upload-progress");
    if (fraction === null) {
      uploadProgress = "";
      if (barEl) barEl.hidden = true;
    } else {
      uploadProgress = "Đang gửi ảnh “" + e.name + "”: " + Math.round(100 * fraction) + "%";
      if (barEl) { barEl.hidden = false; barEl.value = Math.round(100 * fraction); }
    }
    render();
  }

  function saved(e, html) {
    var version = versionIn(html, e.code);
    csrfRetried = false;
    return serial(function () {
      return delOne("queue", e.id).then(function () { return getAll("queue", e.visitId); }).then(function (rows) {
        var later = rows.filter(function (x) {
          return x.kind === "save" && x.code === e.code && x.id > e.id && mine(x) && !x.attempted;
        });
        return Promise.all(later.map(function (x) {
          if (version === null) return null;
          x.base = version;  // based on what was just saved, not on what the page had
          return putOne("queue", x);
        }));
      });
    }).then(function () {
      if (version !== null) {
        return putOne("findings", {
          key: e.visitId + "|" + e.code, visitId: e.visitId, code: e.code, version: version, fields: e.fields,
          savedAt: Date.now(),
        });
      }
    }).then(reload).then(function () {
      if (e.visitId === VISIT) {
        swapFragment(statusEl(e.code), html);
        if (mirror.some(function (x) { return x.kind === "save" && x.code === e.code; })) {
          setStatus(e.code, "queued", QUEUED);
        }
        scheduleRefresh();
      }
      return log(true, "Đã gửi " + what(e) + " (" + (e.summary || describe(null, e.fields)) + ")" +
        (version !== null ? " — phiên bản " + version : ""), e.visitId);
    }).then(function () { return "next"; });
  }

  function refused(e, html) {
    var conflict = html.indexOf('class="conflict"') >= 0;
    var reason = textOfRefusal(html);
    return serial(function () {
      return getOne("queue", e.id).then(function (fresh) {
        if (!fresh) return;
        fresh.state = conflict ? "conflict" : "refused";
        fresh.html = html;
        fresh.message = reason;
        return putOne("queue", fresh);
      });
    }).then(reload).then(function () {
      if (e.visitId === VISIT) {
        var form = formOf(e.code);
        if (form) applyFields(form, e.fields);  // the inspector's values stay on the card
        swapFragment(statusEl(e.code), html);
      }
      return log(false, (conflict ? "Xung đột ở " : "Bị từ chối: ") + what(e) + " (" +
        (e.summary || describe(null, e.fields)) + ") — " + reason, e.visitId);
    }).then(function () { return "next"; });
  }

  function uploaded(e, html) {
    csrfRetried = false;
    return serial(function () { return delOne("queue", e.id); }).then(reload).then(function () {
      if (e.visitId === VISIT) {
        var gallery = document.getElementById("gallery-" + domId(e.code));
        if (gallery) swapFragment(gallery, html);
        if (objectUrls[e.id]) { URL.revokeObjectURL(objectUrls[e.id]); delete objectUrls[e.id]; }
        mirror.forEach(function (x) { if (x.kind === "upload" && x.code === e.code) showPending(x); });
        var note = document.querySelector("#gallery-" + domId(e.code) + " .upload-status");
        if (note) note.textContent = "Đã gửi ảnh “" + e.name + "”.";
        scheduleRefresh();
      }
      return log(true, "Đã gửi " + what(e) + ", " + formatBytes(e.size), e.visitId);
    }).then(function () { return "next"; });
  }

  function otherStatus(e, status, res) {
    return res.text().then(function (text) {
      var info = {};
      try { info = JSON.parse(text); } catch (err) { /* an HTML error page */ }
      if (status === 401) {
        stopped = "auth";
        render();
        return log(false, "Phiên đăng nhập đã hết hạn — dừng đồng bộ; các thay đổi vẫn giữ trên máy.", e.visitId)
          .then(function () { return "stop"; });
      }
      if (status === 403 && info.error === "csrf_failed") {
        if (!csrfRetried) {
          csrfRetried = true;
          return csrf(true).then(function () { return "next"; });  // the same entry again, with a new token
        }
        stopped = "csrf";
        render();
        return log(false, "Mã bảo mật không hợp lệ — dừng đồng bộ; tải lại trang rồi thử lại.", e.visitId)
          .then(function () { return "stop"; });
      }
      if (status >= 500 || status === 408 || status === 429) return retryLater(e, "máy chủ trả lỗi " + status);
      return rejected(e, info.message || ("Lỗi " + status));
    });
  }

  // Refused for good (no permission, unknown item, file not accepted…): shown and logged.
  function rejected(e, message) {
    if (e.kind === "save") return refused(e, refusalHtml(e.code, message));
    return serial(function () { return delOne("queue", e.id); }).then(reload).then(function () {
      var li = document.querySelector('[data-queue="' + e.id + '"]');
      if (li) li.remove();
      var note = document.querySelector("#gallery-" + domId(e.code) + " .upload-status");
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

  // ---------------------------------------------------------------- download for offline work
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

  function fetchText(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) { return res.ok ? res.text() : null; }).catch(function () { return null; });
  }

  var downloading = false;
  function download(quiet) {
    if (downloading) return Promise.resolve();
    if (navigator.onLine === false) {
      if (!quiet) statusLine.textContent = "Không tải về được: đang mất kết nối.";
      return Promise.resolve();
    }
    downloading = true;
    var started = Date.now();
    if (!quiet) { button.disabled = true; statusLine.textContent = "Đang tải về…"; }
    var answer;
    return worker().then(function (target) {
      return ask(target, { type: "download", page: PAGE });
    }).then(function (result) {
      answer = result;
      if (!answer.ok) throw new Error(answer.reason);
      var checklist = "/api/v1/checklists/" + encodeURIComponent(box.dataset.checklist) + "?version=" +
        encodeURIComponent(box.dataset.version);
      return Promise.all([fetchText("/api/v1/visits/" + VISIT + "/findings"), fetchText(checklist)]);
    }).then(function (data) {
      var record = {
        id: VISIT, page: PAGE, title: document.title, storedAt: Date.now(),
        checklistId: box.dataset.checklist, checklistVersion: box.dataset.version,
        findings: data[0], checklist: data[1], files: answer.files, failed: answer.failed.length,
        bytes: answer.bytes + new Blob([data[0] || "", data[1] || ""]).size,
      };
      return putOne("visits", record).then(function () { return forgetRemembered(started); }).then(function () {
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
      statusLine.textContent = reason === "login" ? "Không tải về được: phiên đăng nhập đã hết hạn."
        : reason === "network" ? "Không tải về được: mất kết nối."
          : reason === "no service worker" ? "Trình duyệt này không hỗ trợ làm ngoại tuyến (cần HTTPS)."
            : "Không tải về được (" + reason + ").";
      return log(false, statusLine.textContent);
    }).then(function () {
      downloading = false;
      button.disabled = false;
    });
  }

  // The stored page now holds these saves: their remembered versions are no longer needed.
  function forgetRemembered(before) {
    return getAll("findings", VISIT).then(function (rows) {
      return Promise.all(rows.filter(function (r) { return r.savedAt < before; })
        .map(function (r) { return delOne("findings", r.key); }));
    });
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      getOne("visits", VISIT).then(function (record) {
        if (record && navigator.onLine !== false && !pendingHere()) return download(true);
        if (record && pendingHere()) scheduleRefresh();
      }).catch(function () {});
    }, REFRESH_DELAY);
  }

  function showRecord(record) {
    if (!record) { statusLine.textContent = "Chưa tải về máy này."; return Promise.resolve(); }
    var stored = window.caches ? caches.match(PAGE) : Promise.resolve(null);
    return stored.then(function (hit) {
      var when = new Date(record.storedAt);
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      statusLine.textContent = hit
        ? "Sẵn sàng ngoại tuyến · " + formatBytes(record.bytes) + " · cập nhật lúc " + pad(when.getHours()) + ":" +
          pad(when.getMinutes()) + " " + pad(when.getDate()) + "/" + pad(when.getMonth() + 1)
        : "Bản ngoại tuyến đã bị trình duyệt xóa — bấm “Tải về để làm ngoại tuyến” lần nữa.";
      statusLine.className = "offline-status " + (hit ? "ready" : "muted");
    });
  }

  // ---------------------------------------------------------------- start
  box.hidden = false;
  bar.hidden = false;
  button.addEventListener("click", function () { download(false); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
      statusLine.textContent = "Không bật được chế độ ngoại tuyến trên trình duyệt này.";
    });
  } else {
    button.disabled = true;
  }
  if (window.htmx) htmx.onLoad(onCardLoaded);

  db().then(applyRemembered).then(reload).then(function () {
    applyQueue();
    ready = true;
    render();
    renderLog();
    return getOne("visits", VISIT).then(showRecord).then(function () {
      if (!("serviceWorker" in navigator)) {
        statusLine.textContent = "Trình duyệt không cho làm ngoại tuyến trên kết nối này (cần HTTPS); " +
          "thay đổi khi mất mạng vẫn được giữ trên máy.";
      }
    });
  }).then(function () {
    if (navigator.onLine !== false) return csrf(false).then(function () { sync(true); });
  }).catch(function () {
    enabled = false;
    ready = true;
    button.disabled = true;
    statusLine.textContent = "Trình duyệt này không cho lưu dữ liệu trên máy: không làm ngoại tuyến được.";
  });

  window.addEventListener("online", function () {
    stopped = "";
    clearTimeout(retryTimer);
    retryTimer = null;
    render();
    csrf(false).then(function () { sync(true); });
  });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    if (stopped === "auth") stopped = "";
    reload().then(function () { sync(false); });
  });
  // Another tab may have drained the queue, or a retry may be due.
  setInterval(function () {
    if (!ready || syncing) return;
    reload().then(function () { if (mirror.length && !retryTimer) sync(false); });
  }, 15000);
})();
