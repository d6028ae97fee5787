// Sổ Kiểm Tra — the visit page's behaviour on top of htmx: idempotency keys per change,
// saving / saved / failed-and-retrying on each card, keyboard moves; photo uploads (photos.js)
// and work without signal (offline/) are loaded when needed. Without this script every form
// still works as a plain POST.
(function () {
  "use strict";

  var RETRY_DELAYS = [2000, 4000, 8000, 15000, 30000, 60000];

  // crypto.randomUUID needs a secure context; a tablet on http://192.168.x.x has none.
  function newKey() {
    if (window.crypto && crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  window.SKE = window.SKE || {};
  window.SKE.newKey = newKey;

  // Parts of the page's behaviour that most loads never need are ES modules imported on first use
  // (photos.js, offline/main.js); their versioned URLs come from the page. An import that failed (no
  // network) may stay failed for this page, so a later try asks for a URL not tried yet.
  var script = document.currentScript;
  var photosSrc = script && (script.dataset.photos || script.src.replace(/capture\.js[^/]*$/, "photos.js"));
  var modules = {};
  var tries = {};
  function load(src) {
    if (!modules[src]) {
      tries[src] = (tries[src] || 0) + 1;
      modules[src] = import(tries[src] > 1 ? src + (src.indexOf("?") < 0 ? "?" : "&") + "try=" + tries[src] : src);
      modules[src].catch(function () { delete modules[src]; });
    }
    return modules[src];
  }

  // ---- a part of the page that needs a module of its own (a dossier sample's table: static/js/sample.js and
  // what it imports) names it in `data-module`; the module is imported once that part comes within a screen
  // and a half of the view, so the first load of a long visit page over 3G carries only what its top needs.
  // The versioned URL stands quoted in the page, so a visit taken offline stores the module too (sw.js).
  function loadModulesOf(el) { load(el.dataset.module); }
  var lazyParts = document.querySelectorAll("[data-module]");
  if (lazyParts.length && "IntersectionObserver" in window) {
    var near = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        near.unobserve(entry.target);
        loadModulesOf(entry.target);
      });
    }, { rootMargin: "150% 0px" });
    lazyParts.forEach(function (el) { near.observe(el); });
    document.addEventListener("htmx:load", function (evt) {  // a card swapped in whole (a conflict resolved)
      var elt = evt.detail.elt;
      if (elt && elt.querySelectorAll) elt.querySelectorAll("[data-module]").forEach(function (el) { near.observe(el); });
    });
  } else {
    lazyParts.forEach(loadModulesOf);
  }

  // ---- "Ghi nhận có mặt": static/js/checkin.js asks for the position; it is imported on the first press
  // (most loads of the page never press it). "Không chia sẻ vị trí" posts the form as it is.
  var checkinForm = document.querySelector("form[data-checkin]");
  if (checkinForm) {
    checkinForm.addEventListener("submit", function (evt) {
      var button = evt.submitter;
      if (!button || !button.hasAttribute("data-locate") || !checkinForm.reportValidity()) return;
      evt.preventDefault();
      var note = checkinForm.querySelector("#checkin-status");
      load(checkinForm.dataset.src).then(function (checkin) { checkin.locate(checkinForm, button); }, function () {
        note.textContent = "Không tải được phần lấy vị trí (mất kết nối?) — hãy bấm lại.";
      });
    });
    checkinForm.dataset.ready = "1";
  }

  // ---- "Hướng dẫn kiểm tra": the guidance texts are a third of a visit page's bytes and the same for every
  // visit of a checklist version, so the page carries only the boxes; the texts come on the first open, in
  // one request the browser keeps (immutable URL) and a downloaded visit keeps offline (sw.js).
  var guidanceUrl = script && script.dataset.guidance;
  var guidance = null;
  document.addEventListener("toggle", function (evt) {
    var box = evt.target;
    if (!guidanceUrl || !box.open || !box.matches || !box.matches("details.guidance[data-item]") ||
        box.dataset.filled) return;
    if (!guidance) {
      guidance = fetch(guidanceUrl, { credentials: "same-origin" }).then(function (res) {
        if (!res.ok) throw new Error(String(res.status));
        return res.json();
      });
      guidance.catch(function () { guidance = null; });  // no network: the link stays, a later open tries again
    }
    guidance.then(function (texts) {
      var text = texts[box.dataset.item];
      if (text === undefined) return;
      box.querySelector("p").textContent = text;
      box.dataset.filled = "1";
    }).catch(function () {});
  }, true);  // toggle does not bubble

  function statusOf(form) {
    return document.getElementById("status-" + form.id.replace(/^form-/, ""));
  }

  function setStatus(form, cls, text) {
    var el = statusOf(form);
    if (!el) return;
    el.className = "save-status " + cls;
    el.textContent = text;
  }

  // ---- ratio items: numerator and denominator are one answer. Typing one of them saves nothing (no red
  // error before the other can be typed); the pair saves once both are there, or when the inspector
  // leaves the pair with one missing (then the server's message says what is missing).
  function pairIncomplete(form) {
    var box = form.querySelector(".ratio");
    if (!box || form.querySelector("input[name=na]:checked")) return false;
    var filled = Array.prototype.filter.call(box.querySelectorAll("input"), function (i) {
      return i.value.trim() !== "";
    });
    return filled.length === 1;
  }

  document.addEventListener("focusout", function (evt) {
    var box = evt.target.closest && evt.target.closest(".ratio");
    if (!box || (evt.relatedTarget && box.contains(evt.relatedTarget))) return;
    var form = box.closest("form.item-form");
    if (!form || !form.dataset.pairPending) return;
    delete form.dataset.pairPending;
    if (!pairIncomplete(form)) return;
    form.dataset.pairLeft = "1";
    htmx.trigger(form, "leave");
  });

  // ---- autosave: one key per change, the same key for every retry of that change
  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form.classList || !form.classList.contains("item-form")) return;
    var cause = evt.detail.triggeringEvent;
    if (!form.dataset.retrying && !form.dataset.pairLeft && cause && (cause.type === "input" || cause.type === "change") &&
        cause.target && cause.target.closest && cause.target.closest(".ratio") && pairIncomplete(form)) {
      evt.preventDefault();
      form.dataset.pairPending = "1";
      setStatus(form, "", "Chưa lưu: nhập cả tử số và mẫu số.");
      return;
    }
    delete form.dataset.pairLeft;
    delete form.dataset.pairPending;
    // Offline, or older changes still waiting: the change goes to the tablet's queue (static/js/offline/).
    // While that code is loading it decides nothing yet: the save waits for it (see the loader below).
    if (offlineLoad && !window.SKEOffline) {
      evt.preventDefault();
      if (heldSaves.indexOf(form) < 0) heldSaves.push(form);
      setStatus(form, "saving", "Đang lưu…");
      return;
    }
    if (window.SKEOffline && SKEOffline.takeSave(form, evt)) { evt.preventDefault(); return; }
    if (!form.dataset.retrying) form.dataset.key = newKey();
    evt.detail.headers["Idempotency-Key"] = form.dataset.key;
    evt.detail.parameters["idempotency_key"] = form.dataset.key;
    setStatus(form, "saving", form.dataset.retrying ? "Đang thử lưu lại…" : "Đang lưu…");
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form.classList || !form.classList.contains("item-form")) return;
    var xhr = evt.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (status && status < 500) {          // saved, or refused with a message the server swapped in
      delete form.dataset.retrying;
      form.dataset.attempt = "0";
      var card = form.closest(".item-card");
      if (card && status < 300) card.classList.toggle("answered", !isUnanswered(card));
      return;
    }
    // Network error, timeout or server error: keep the key and try again with backoff.
    var attempt = Number(form.dataset.attempt || 0);
    // No answer at all while offline (or again): queue it on the tablet, same key, instead of looping.
    if (!status && window.SKEOffline && SKEOffline.queueFailedSave(form, attempt)) {
      delete form.dataset.retrying;
      form.dataset.attempt = "0";
      return;
    }
    var delay = RETRY_DELAYS[Math.min(attempt, RETRY_DELAYS.length - 1)];
    form.dataset.retrying = "1";
    form.dataset.attempt = String(attempt + 1);
    setStatus(form, "failed", "Chưa lưu được (mất kết nối?) — tự thử lại sau " + Math.round(delay / 1000) + " giây…");
    window.setTimeout(function () { htmx.trigger(form, "retry"); }, delay);
  });

  // Leaving with an unsaved change in flight: warn instead of losing it.
  window.addEventListener("beforeunload", function (evt) {
    if (document.querySelector(".item-form[data-retrying], .save-status.saving")) {
      evt.preventDefault();
      evt.returnValue = "";
    }
  });

  // ---- moving around the page with a keyboard (and a finger): the sticky header never hides
  // what has focus, an area jump lands on the area's title, "next unanswered" on the next card to do.
  function stickyHead() { return document.getElementById("sticky-head"); }

  function measureHead() {
    var head = stickyHead();
    if (head) document.documentElement.style.setProperty("--sticky-h", (head.offsetHeight + 8) + "px");
  }

  // What shows the focus of an element: the label of a visually hidden radio or file input.
  function shownBox(el) {
    if (el.matches && el.matches(".seg input, .file-btn input") && el.labels && el.labels[0]) return el.labels[0];
    return el;
  }

  function clearOfHead(el) {
    var head = stickyHead();
    if (!head || head.contains(el)) return;
    var box = shownBox(el).getBoundingClientRect();
    var bar = head.getBoundingClientRect();
    // Covered: the element is behind the stuck header (above it in the page is not covered).
    if (box.top < bar.bottom && box.bottom > bar.top) window.scrollBy(0, box.top - bar.bottom - 12);
  }

  document.addEventListener("focusin", function (evt) {
    var el = evt.target;
    // After the browser's own scroll-into-view (which knows the header only through scroll-padding).
    window.requestAnimationFrame(function () { if (document.activeElement === el) clearOfHead(el); });
  });

  function isUnanswered(card) {
    var set = card.querySelector("fieldset.answer");
    if (!set || set.disabled || set.querySelector("input[name=na]:checked")) return false;
    if (set.querySelector("input[type=radio]")) return !set.querySelector("input[type=radio]:checked");
    var fields = set.querySelectorAll("input:not([type=checkbox]):not([type=hidden]), textarea, select");
    return Array.prototype.some.call(fields, function (f) { return f.value.trim() === ""; });
  }

  function answerControl(card) {
    return card.querySelector("fieldset.answer input[type=radio]:checked") ||
      card.querySelector("fieldset.answer input:not([type=hidden]), fieldset.answer textarea, fieldset.answer select");
  }

  function goToNextUnanswered() {
    var cards = Array.prototype.slice.call(document.querySelectorAll(".item-card"));
    var open = cards.filter(isUnanswered);
    var note = document.getElementById("next-status");
    if (!open.length) {
      if (note) note.textContent = "Mọi tiêu chí trên trang này đã được trả lời.";
      return;
    }
    if (note) note.textContent = "";
    var active = document.activeElement;
    var here = active && active.closest ? active.closest(".item-card") : null;
    var target;
    if (here) {
      var at = cards.indexOf(here);
      target = open.filter(function (c) { return cards.indexOf(c) > at; })[0];
    } else {  // from the header: the first open card from the top of the screen on
      var line = stickyHead() ? stickyHead().getBoundingClientRect().bottom : 0;
      target = open.filter(function (c) { return c.getBoundingClientRect().top >= line - 1; })[0];
    }
    target = target || open[0];
    target.scrollIntoView({ block: "start" });
    var control = answerControl(target);
    if (!control) return;
    // Moved here by a tap as much as by a key: show the ring either way, until the focus leaves.
    control.classList.add("jumped");
    control.addEventListener("blur", function () { control.classList.remove("jumped"); }, { once: true });
    control.focus({ preventScroll: true });
  }

  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("a");
    if (!link) return;
    if (link.id === "next-unanswered") {  // without the script: the "chưa trả lời" filter
      evt.preventDefault();
      goToNextUnanswered();
      return;
    }
    var href = link.getAttribute("href") || "";
    if (!/^#area-/.test(href)) return;
    var section = document.getElementById(href.slice(1));
    var heading = section && section.querySelector("h2");
    if (!heading) return;
    evt.preventDefault();
    history.replaceState(null, "", href);
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  });

  // Alt+N from anywhere on the page: the next unanswered item (the button says so in its title).
  document.addEventListener("keydown", function (evt) {
    if (evt.altKey && !evt.ctrlKey && !evt.metaKey && (evt.key === "n" || evt.key === "N") &&
        document.getElementById("next-unanswered")) {
      evt.preventDefault();
      goToNextUnanswered();
    }
  });

  // The two evidence buttons of a card are one Tab stop (a toolbar: arrow keys move between them).
  function rove(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var groups = Array.prototype.slice.call(scope.querySelectorAll(".file-btns"));
    if (scope.matches && scope.matches(".file-btns")) groups.push(scope);
    groups.forEach(function (group) {
      var inputs = group.querySelectorAll("input.file-input");
      if (inputs.length < 2) return;
      group.setAttribute("role", "toolbar");
      var card = group.closest("[data-code]");
      if (card) group.setAttribute("aria-label", "Thêm minh chứng cho tiêu chí " + card.dataset.code);
      Array.prototype.forEach.call(inputs, function (input, i) { input.tabIndex = i === 0 ? 0 : -1; });
    });
  }

  document.addEventListener("keydown", function (evt) {
    var input = evt.target;
    var group = input.closest && input.matches("input.file-input") && input.closest(".file-btns[role=toolbar]");
    if (!group) return;
    var inputs = Array.prototype.slice.call(group.querySelectorAll("input.file-input"));
    var at = inputs.indexOf(input);
    var to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0,
               End: inputs.length - 1 }[evt.key];
    if (to === undefined) return;
    evt.preventDefault();
    to = (to + inputs.length) % inputs.length;
    inputs.forEach(function (el, i) { el.tabIndex = i === to ? 0 : -1; });
    inputs[to].focus();
  });

  document.addEventListener("htmx:load", function (evt) { rove(evt.detail.elt); });

  // A swap that replaces the focused control (a deleted photo's "Xóa", "Dùng giá trị đã lưu", "Giữ giá
  // trị của tôi") would drop the focus to <body>: it goes back to the same item instead.
  var focusHome = null;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    var active = document.activeElement;
    focusHome = null;
    if (!target || !active || !target.contains(active)) return;
    var card = target.closest(".item-card");
    if (card) focusHome = { card: card.id, gallery: target.classList.contains("evidence") };
  });

  document.addEventListener("htmx:afterSettle", function () {
    var home = focusHome;
    focusHome = null;
    if (!home || (document.activeElement && document.activeElement !== document.body)) return;
    var card = document.getElementById(home.card);
    if (!card) return;
    var el = (home.gallery && card.querySelector(".evidence input.file-input")) || answerControl(card) ||
      card.querySelector(".evidence input.file-input");
    if (el) el.focus();
  });

  function setUp() {
    measureHead();
    rove(document);
    var head = stickyHead();
    if (head && window.ResizeObserver) new ResizeObserver(measureHead).observe(head);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();

  // ---- evidence: scaling, EXIF, the upload and its progress are static/js/photos.js, imported on the
  // first file chosen (the script tag names its versioned URL).
  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!input.classList || !input.classList.contains("file-input")) return;
    var form = input.closest("form.upload");
    if (!form || !(input.files || []).length) return;
    evt.preventDefault();
    var note = form.querySelector(".upload-status");
    note.textContent = "Đang chuẩn bị…";
    load(photosSrc).then(function (photos) {
      photos.send(input, form, { ready: offlineSettled(), rove: rove });
    }, function () {
      note.textContent = "Không tải được phần gửi tệp (mất kết nối?) — hãy chọn lại tệp.";
      note.classList.add("error");
      input.value = "";
    });
  });

  // ---- work without signal (docs/offline.md). The code is static/js/offline/ (ES modules), imported
  // only when it has something to do, so that a visit never taken offline does not download it:
  //   - no service worker here (plain http): the queue in IndexedDB is the only help, loaded at once;
  //   - the page is controlled by the offline worker: some visit was downloaded on this tablet, and
  //     the modules come from the worker's cache (no network);
  //   - the flag the offline code keeps in localStorage (its state.js) says this user has changes
  //     waiting or downloaded this visit: one synchronous read, no IndexedDB opened on every load;
  //   - the inspector presses "Tải về để làm ngoại tuyến".
  var offlineBox = document.getElementById("offline-box");
  var offlineLoad = null;   // the import, once started
  var heldSaves = [];       // saves asked for while it loads: decided once it is there

  function loadOffline() {
    if (!offlineLoad) {
      offlineLoad = load(offlineBox.dataset.src).then(function (offline) { return offline.start(offlineBox); });
      offlineLoad.catch(function () { offlineLoad = null; }).then(function () {
        heldSaves.splice(0).forEach(function (form) { htmx.trigger(form, "submit"); });
      });
    }
    return offlineLoad;
  }

  function offlineSettled() { return offlineLoad ? offlineLoad.catch(function () {}) : Promise.resolve(); }

  function offlineWanted() {
    if (!("serviceWorker" in navigator) || navigator.serviceWorker.controller) return true;
    try {
      var flag = JSON.parse(localStorage.getItem("ske-offline:" + offlineBox.dataset.user) || "{}");
      return !!flag.queue || (flag.visits || []).indexOf(Number(offlineBox.dataset.visit)) >= 0;
    } catch (e) { return false; }
  }

  if (offlineBox) {
    var offlineStatus = document.getElementById("offline-status");
    offlineBox.hidden = false;
    document.getElementById("offline-download").addEventListener("click", function () {
      offlineStatus.textContent = "Đang tải về…";
      loadOffline().then(function (offline) { return offline.download(); }, function () {
        offlineStatus.textContent = "Không tải về được: mất kết nối.";
      });
    });
    if (offlineWanted()) loadOffline();
    else offlineStatus.textContent = "Chưa tải về máy này.";
  }
})();
