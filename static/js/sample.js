// Sổ Kiểm Tra — the dossier sample on the visit page: a compact table that adds a row in one tap, holds
// the autosave while a row lacks a required cell, and shows the figures derived from the rows as they
// come in (derive.js). The rows travel as the form fields row-<n>-<column key>, so the normal autosave,
// its retries and the offline queue carry them like any other answer.
import { derivedValue } from "./derive.js";
import { rowsFromFields } from "./rows.js";

function columnsOf(box) { return JSON.parse(box.dataset.columns || "[]"); }

// The column types of a sample box: {column key: type}.
export function typesOf(box) {
  var types = {};
  columnsOf(box).forEach(function (c) { types[c.key] = c.type; });
  return types;
}

// The rows as the server will read them (services/answers: empty cells and wholly empty rows dropped).
export function rowsOf(box) {
  var fields = {};
  box.querySelectorAll("[name^=row-]").forEach(function (el) { fields[el.name] = el.value; });
  return rowsFromFields(fields, typesOf(box));
}

// The first row that has cells but lacks a required one: [its number, the column's label], or null.
function incomplete(box) {
  var required = columnsOf(box).filter(function (c) { return c.required; });
  var trs = box.querySelectorAll("tbody tr");
  for (var i = 0; i < trs.length; i++) {
    var filled = Array.prototype.some.call(trs[i].querySelectorAll("[name^=row-]"), function (el) {
      return el.value.trim() !== "";
    });
    if (!filled) continue;
    for (var j = 0; j < required.length; j++) {
      var el = trs[i].querySelector('[name$="-' + required[j].key + '"]');
      if (el && el.value.trim() === "") return [i + 1, required[j].label];
    }
  }
  return null;
}

function percent(num, den) {
  var p = Math.round(num / den * 10000) / 100;
  return String(p).replace(".", ",") + "%";
}

// Every card derived from this sample shows the figures its rows give now.
export function showDerived(box) {
  var code = box.dataset.sample;
  var rows = rowsOf(box);
  document.querySelectorAll(".derived[data-sample]").forEach(function (el) {
    if (el.dataset.sample !== code) return;
    var value = derivedValue(el.dataset.kind, JSON.parse(el.dataset.rule), rows);
    var out = el.querySelector("output");
    if (!rows.length) out.textContent = "–";  // no row yet: unanswered, as the server shows it
    else if (el.dataset.kind === "count") out.textContent = String(value.number);
    else out.textContent = value.numerator + "/" + value.denominator +
      (value.denominator ? " (" + percent(value.numerator, value.denominator) + ")" : "");
  });
}

function renumber(tr, index) {
  tr.dataset.row = String(index);
  tr.querySelector(".row-number").textContent = String(index + 1);
  tr.querySelectorAll("[name^=row-]").forEach(function (el) {
    el.name = el.name.replace(/^row-\d+-/, "row-" + index + "-");
    if (el.id) el.id = el.id.replace(/-r\d+-/, "-r" + index + "-");
    el.value = "";
  });
}

function addRow(box) {
  var body = box.querySelector("tbody");
  var rows = body.querySelectorAll("tr");
  var max = Number(box.dataset.maxRows || 200);
  if (rows.length >= max) return;
  var last = rows[rows.length - 1];
  var tr = last.cloneNode(true);
  var next = 1 + Math.max.apply(null, Array.prototype.map.call(rows, function (r) { return Number(r.dataset.row); }));
  renumber(tr, next);
  body.appendChild(tr);
  box.querySelector(".sample-add").disabled = body.querySelectorAll("tr").length >= max;
  var first = tr.querySelector("[name^=row-]");
  if (first) first.focus();
}

document.addEventListener("click", function (evt) {
  var add = evt.target.closest && evt.target.closest(".sample-add");
  if (add) { addRow(add.closest(".sample")); return; }
  var clear = evt.target.closest && evt.target.closest(".sample-clear");
  if (clear) {
    clear.closest("tr").querySelectorAll("[name^=row-]").forEach(function (el) { el.value = ""; });
    var box = clear.closest(".sample");
    showDerived(box);
    box.closest("form").dispatchEvent(new Event("change", { bubbles: true }));
  }
});

document.addEventListener("input", function (evt) {
  var box = evt.target.closest && evt.target.closest(".sample");
  if (box) showDerived(box);
});
document.addEventListener("change", function (evt) {
  var box = evt.target.closest && evt.target.closest(".sample");
  if (box) showDerived(box);
});

// While a row lacks a required cell nothing is sent (no red error before the row can be finished):
// this listener runs before capture.js's (window, capture phase) and cancels the autosave.
window.addEventListener("htmx:configRequest", function (evt) {
  var form = evt.detail.elt;
  var box = form && form.querySelector && form.querySelector(".sample");
  var cause = evt.detail.triggeringEvent;
  if (!box || !cause || (cause.type !== "input" && cause.type !== "change")) return;
  var missing = incomplete(box);
  if (!missing) return;
  evt.preventDefault();
  evt.stopPropagation();
  var status = document.getElementById("status-" + form.id.replace(/^form-/, ""));
  if (status) {
    status.className = "save-status";
    status.textContent = "Chưa lưu: dòng " + missing[0] + " chưa nhập «" + missing[1] + "».";
  }
}, true);

document.querySelectorAll(".sample[data-sample]").forEach(showDerived);
// A card swapped in whole (after a conflict, "Dùng giá trị đã lưu") brings other rows: the derived cards,
// which the swap does not touch, must follow them too.
document.addEventListener("htmx:load", function (evt) {
  var elt = evt.detail.elt;
  if (elt && elt.querySelectorAll) elt.querySelectorAll(".sample[data-sample]").forEach(showDerived);
});
