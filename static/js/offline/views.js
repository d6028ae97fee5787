// What the JSON API answers, shown on the item cards as the server's own fragments would show it:
// the saved status line, the points label, the conflict view (templates/visits/_refused_status.html),
// a refusal, a photo waiting in the queue.
import { page } from "./state.js";
import { answerType, choiceLabel, domId, isSample, sampleRows, formOf, galleryOf, setBase, setStatus, statusEl, swapFragment } from "./cards.js";

var HOUR = 3600000;

export function esc(text) {
  return String(text).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}

// Vietnamese number style (text.vn_number): decimal comma, at most 2 decimals, "–" for nothing.
export function vnNumber(value) {
  if (value === null || value === undefined || value === "") return "–";
  return Number(value).toFixed(2).replace(/0+$/, "").replace(/\.$/, "").replace(".", ",");
}

function pad(n) { return (n < 10 ? "0" : "") + n; }

// A stored UTC time in Vietnam's time (UTC+7, no daylight saving), like the pages' `local_time`:
// "14:05" today, "14:05 23/11/2026" otherwise.
export function localTime(iso) {
  if (!iso) return "";
  var at = new Date(Date.parse(iso) + 7 * HOUR);
  var today = new Date(Date.now() + 7 * HOUR);
  if (isNaN(at)) return String(iso);
  var time = pad(at.getUTCHours()) + ":" + pad(at.getUTCMinutes());
  if (at.toISOString().slice(0, 10) === today.toISOString().slice(0, 10)) return time;
  return time + " " + pad(at.getUTCDate()) + "/" + pad(at.getUTCMonth() + 1) + "/" + at.getUTCFullYear();
}

function dateLabel(text) {
  var m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(text || "");
  return m ? m[3] + "/" + m[2] + "/" + m[1] : text || "";
}

export function formatBytes(bytes) {
  if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + " KB";
  return (bytes / 1048576).toFixed(1).replace(".", ",") + " MB";
}

export function clock(ms) {
  var d = new Date(ms);
  return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
}

// An answer of the JSON API as a person reads it (services/answers.answer_label).
function apiLabel(form, type, answer, na) {
  if (na) return "Không áp dụng";
  if (answer === null || answer === undefined || answer === "") return "(chưa trả lời)";
  if (type === "yesno") return answer ? "Đạt" : "Không đạt";
  if (type === "levels") return choiceLabel(form, answer);
  if (type === "number") return vnNumber(answer);
  if (type === "ratio") return vnNumber(answer[0]) + "/" + vnNumber(answer[1]);
  if (isSample(type)) return answer.length + " hồ sơ";
  if (type === "date") return dateLabel(answer);
  return String(answer);
}

// The card's own values (form fields) the same way.
function fieldsLabel(form, type, fields) {
  if (fields.na) return "Không áp dụng";
  if (isSample(type)) return sampleRows(type, fields).length + " hồ sơ";
  if (type === "yesno" || type === "levels") return fields.choice ? choiceLabel(form, fields.choice) : "(chưa trả lời)";
  if (type === "ratio") {
    return fields.numerator || fields.denominator ? (fields.numerator || "–") + "/" + (fields.denominator || "–")
      : "(chưa trả lời)";
  }
  var value = type === "number" ? fields.number : fields.text;
  return value ? (type === "date" ? dateLabel(value) : value) : "(chưa trả lời)";
}

// The points label of a card (templates/visits/_points.html) for a finding of the API.
function showPoints(code, type, finding) {
  var el = document.getElementById("points-" + domId(code));
  if (!el) return;
  if (finding.na) { el.textContent = "Không áp dụng"; return; }
  if (type === "text" || type === "date" || isSample(type) || finding.max_points === 0) { el.textContent = "ghi nhận"; return; }
  el.textContent = vnNumber(finding.score) + "/" + vnNumber(finding.max_points) + " đ";
  var ratio = Array.isArray(finding.answer) ? finding.answer : null;
  if (type === "ratio" && ratio && ratio[1]) {
    var small = document.createElement("small");
    small.textContent = " · tỷ lệ " + vnNumber(100 * ratio[0] / ratio[1]) + "%";
    el.appendChild(small);
  }
}

// A save the API accepted: status line, version and points, as templates/visits/_saved.html has them.
export function showSaved(code, finding) {
  var form = formOf(code);
  if (!form) return;
  setBase(form, finding.version);
  showPoints(code, answerType(form), finding);
  setStatus(code, "saved", "Đã lưu lúc " + localTime(finding.updated_at) + " (" + (finding.updated_by || "") + ")");
  var card = form.closest(".item-card");
  if (card) card.classList.add("answered");
}

export function refusalHtml(code, message) {
  return '<div class="save-status failed" id="status-' + esc(domId(code)) + '" role="alert"><p>' + esc(message) +
    "</p></div>";
}

// A sample's saved rows, one line each (templates/visits/_sample_rows.html): a count alone cannot tell
// two samples apart. `rows` are the API's rows, the columns those of the card's table.
function sampleRowsHtml(form, rows) {
  var box = form && form.querySelector(".sample[data-columns]");
  if (!box || !Array.isArray(rows) || !rows.length) return "";
  var columns = JSON.parse(box.dataset.columns);
  var lines = rows.map(function (row) {
    var cells = columns.filter(function (c) { return row[c.key] !== undefined && row[c.key] !== null; });
    return "<li>" + cells.map(function (c, i) {
      var v = row[c.key];
      var text = c.type === "date" ? dateLabel(v) : c.type === "yesno" ? (v ? "Có" : "Không")
        : c.type === "number" ? vnNumber(v) : String(v);
      return (i ? " · " + esc(c.label) + ": " : "") + esc(text);
    }).join("") + "</li>";
  });
  return '<details class="conflict-rows"><summary>Xem ' + rows.length + " dòng đã lưu</summary><ol>" +
    lines.join("") + "</ol></details>";
}

// The conflict view: someone saved this item after the version the change was based on. `current`
// is their finding (the 409's `current`), `fields` the inspector's values that stay on the card.
// "Giữ giá trị của tôi" sends the card again on their version; "Dùng giá trị đã lưu" fetches the card.
function conflictHtml(code, message, current, fields) {
  var form = formOf(code);
  var type = answerType(form);
  var id = esc(domId(code));
  var saved = current
    ? "<strong>" + esc(apiLabel(form, type, current.answer, current.na)) + "</strong>" +
      (current.score !== null && current.score !== undefined && type !== "text" && type !== "date" && !isSample(type)
        ? " (" + vnNumber(current.score) + "/" + vnNumber(current.max_points) + " đ)" : "") +
      (current.note ? " — ghi chú: “" + esc(current.note) + "”" : "")
    : "<strong>(đã bị xóa)</strong>";
  return '<div class="save-status failed" id="status-' + id + '" role="alert"><p>' + esc(message) + "</p>" +
    '<div class="conflict"><p>Giá trị đã lưu bởi <strong>' + esc((current && current.updated_by) || "") +
    "</strong> lúc " + esc(localTime(current && current.updated_at)) + ": " + saved + "</p>" +
    (current && isSample(type) ? sampleRowsHtml(form, current.answer) : "") +
    "<p>Giá trị của bạn (đang hiện trên thẻ): <strong>" + esc(fieldsLabel(form, type, fields)) + "</strong>" +
    (fields.note ? " — ghi chú: “" + esc(fields.note) + "”" : "") + "</p>" +
    '<div class="conflict-actions"><button class="btn btn-primary" type="submit" form="form-' + id +
    '">Giữ giá trị của tôi</button> <a class="btn" href="' + page.path + "#item-" + id + '" hx-get="' + page.path +
    "/items/" + esc(encodeURIComponent(code)) + '" hx-target="#item-' + id + '" hx-swap="outerHTML">Dùng giá trị đã lưu</a></div></div></div>';
}

// A refused change of this visit, as its queue entry keeps it (shown again after a reload).
export function showRefused(entry) {
  var form = formOf(entry.code);
  if (entry.html) { swapFragment(statusEl(entry.code), entry.html); return; }  // kept by an earlier release
  if (entry.state !== "conflict") {
    swapFragment(statusEl(entry.code), refusalHtml(entry.code, entry.message || "Bị từ chối."));
    return;
  }
  swapFragment(statusEl(entry.code), conflictHtml(entry.code, entry.message, entry.current, entry.fields));
  // The stored value is someone else's now: the version to build on, and the points label, are theirs.
  if (form) setBase(form, entry.current ? entry.current.version : 0);
  if (form && entry.current) showPoints(entry.code, answerType(form), entry.current);
}

// A photo waiting in the queue: a dashed thumbnail marked "Chờ đồng bộ" in the item's gallery.
var objectUrls = {};

export function showPending(entry) {
  var gallery = galleryOf(entry.code);
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

export function forgetPending(entry) {
  if (objectUrls[entry.id]) { URL.revokeObjectURL(objectUrls[entry.id]); delete objectUrls[entry.id]; }
}
