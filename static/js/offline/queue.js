// Putting changes in the queue. An entry holds the visit, the user, the item, the form values, the
// idempotency key and the base version. While an entry was never sent, a newer change of its item
// replaces its values (with a new key); once sent, its key and values never change.
import { mine, page, state } from "./state.js";
import { delOne, getAll, putOne, serial } from "./store.js";
import { answerType, baseOf, codeFromUrl, codeOf, describe, fieldsOf, setStatus } from "./cards.js";
import { formatBytes, showPending } from "./views.js";
import { log } from "./log.js";
import { reload } from "./mirror.js";
import { render } from "./syncbar.js";
import { kick, what } from "./sync.js";

function newKey() { return window.SKE.newKey(); }  // capture.js makes every key of the page

function saveEntry(form, fields, key, base, attempted) {
  return {
    visitId: page.visit, user: page.user, code: codeOf(form), kind: "save", answerType: answerType(form), key: key,
    base: base, fields: fields, summary: describe(form, fields), attempted: attempted, state: "pending", tries: 0,
    nextTry: 0, createdAt: Date.now(),
  };
}

function adding(work) {
  state.localAdds++;
  return work().then(function (result) {
    state.localAdds--;
    return reload().then(function () { return result; });
  }, function (err) {
    state.localAdds--;
    throw err;
  });
}

// The card as it is now.
export function enqueueCurrent(form) {
  var code = codeOf(form);
  var fields = fieldsOf(form);
  var base = baseOf(form);
  return adding(function () {
    return serial(function () {
      return getAll("queue", page.visit).then(function (rows) {
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
        // After a sent-but-unconfirmed change, the version is known only once that one is answered.
        var entry = saveEntry(form, fields, newKey(), last && last.state === "pending" ? last.base : base, false);
        return putOne("queue", entry).then(function () { return true; });
      });
    }).then(function (added) {
      if (added) log(true, "Ghi trên máy (chờ gửi): tiêu chí " + code);
    }).catch(function (err) {
      setStatus(code, "failed", "Không lưu được trên máy: " + err.message);
    });
  }).then(kick);
}

// A change that was sent but whose answer never came: queued unchanged, with its key.
export function enqueueSent(form, sent) {
  var code = codeOf(form);
  var entry = saveEntry(form, sent.fields, sent.key, sent.base, true);
  return adding(function () {
    return serial(function () {
      return getAll("queue", page.visit).then(function (rows) {
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
    });
  }).catch(function () {}).then(kick);
}

export function enqueueUpload(form, file, key) {
  var url = form.getAttribute("action");
  var entry = {
    visitId: page.visit, user: page.user, code: codeFromUrl(url), kind: "upload", key: key || newKey(), blob: file,
    name: file.name || "anh.jpg", type: file.type || "application/octet-stream", size: file.size,
    attempted: !!key, state: "pending", tries: 0, nextTry: 0, createdAt: Date.now(),
  };
  return adding(function () {
    return serial(function () { return putOne("queue", entry); }).then(function (id) {
      entry.id = id;
      showPending(entry);
      log(true, "Ghi trên máy (chờ gửi): " + what(entry) + ", " + formatBytes(entry.size));
    });
  }).then(kick, function (err) {
    throw new Error("Không lưu được ảnh “" + entry.name + "” trên máy (" +
      (err && err.name === "QuotaExceededError" ? "bộ nhớ trình duyệt đã đầy" : "lỗi lưu trữ") + ").");
  });
}

// The inspector answered a refusal shown on a card: the waiting entries of that item leave the queue.
export function settle(code, how) {
  var gone = state.mirror.filter(function (e) { return e.kind === "save" && e.code === code; });  // mine only
  if (!gone.length) return Promise.resolve();
  state.mirror = state.mirror.filter(function (e) { return gone.indexOf(e) < 0; });
  render();
  return serial(function () {
    return Promise.all(gone.map(function (e) { return delOne("queue", e.id); }));
  }).then(function () {
    return log(true, "Tiêu chí " + code + ": " + (how === "kept" ? "giữ giá trị của tôi" : "dùng giá trị đã lưu"));
  }).then(reload);
}

// A save that went through online: its version and values (the stored page may be older).
export function remember(code, version, fields) {
  return putOne("findings", {
    key: page.visit + "|" + code, visitId: page.visit, code: code, version: version, fields: fields, savedAt: Date.now(),
  }).catch(function () {});
}
