// The item cards of the visit page as the offline code reads and writes them: which item a form is,
// its answer fields, its base version, its status line.
import { FIELDS } from "./state.js";

export function domId(code) { return code.replace(/\./g, "_"); }
export function isItemForm(el) { return !!(el && el.classList && el.classList.contains("item-form")); }
export function codeFromUrl(url) { return decodeURIComponent(((url || "").split("/items/")[1] || "").split("/")[0]); }
export function codeOf(form) { return codeFromUrl(form.getAttribute("hx-post") || form.getAttribute("action")); }
export function formOf(code) { return document.getElementById("form-" + domId(code)); }
export function statusEl(code) { return document.getElementById("status-" + domId(code)); }
export function galleryOf(code) { return document.getElementById("gallery-" + domId(code)); }

export function baseOf(form) {
  var input = form.querySelector("[name=base_version]");
  return Number((input && input.value) || 0);
}

export function setBase(form, version) {
  var input = form.querySelector("[name=base_version]");
  if (input) input.value = String(version);
}

// The answer fields of a form (or of the FormData htmx sent), without key, version or token.
export function fieldsOf(source) {
  var data = source instanceof FormData ? source : new FormData(source);
  var out = {};
  data.forEach(function (value, name) {
    if (FIELDS.indexOf(name) >= 0 && typeof value === "string") out[name] = value;
  });
  return out;
}

export function sameFields(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

// Put saved or queued values back into a card's inputs (no event fires, so nothing is sent).
export function applyFields(form, fields) {
  Array.prototype.forEach.call(form.elements, function (el) {
    if (FIELDS.indexOf(el.name) < 0) return;
    if (el.type === "radio" || el.type === "checkbox") el.checked = fields[el.name] === el.value;
    else el.value = fields[el.name] || "";
  });
}

// The shape of the item's answer in the JSON API, read from its inputs (templates/visits/_inputs.html):
// "yesno" (true/false), "levels" (a key), "number", "ratio" ([n, d]), "date" or "text" (a string).
export function answerType(form) {
  if (!form) return "";
  if (form.querySelector("[name=numerator]")) return "ratio";
  if (form.querySelector("[name=number]")) return "number";
  var text = form.querySelector("[name=text]");
  if (text) return text.type === "date" ? "date" : "text";
  var values = Array.prototype.map.call(form.querySelectorAll("input[name=choice]"), function (r) { return r.value; });
  if (values.length === 2 && values.indexOf("yes") >= 0 && values.indexOf("no") >= 0) return "yesno";
  return values.length ? "levels" : "";
}

// A radio's label as a person reads the answer: a level's label without its "(points)".
export function choiceLabel(form, choice) {
  var radio = form && form.querySelector('input[name=choice][value="' + String(choice).replace(/["\\]/g, "") + '"]');
  var label = radio && form.querySelector('label[for="' + radio.id + '"]');
  return label ? label.textContent.trim().replace(/\s*\([^()]*\)$/, "") : String(choice);
}

function shorten(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

// The values of a change in words, for the sync log: "Đạt; ghi chú “…”".
export function describe(form, fields) {
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

export function setStatus(code, cls, text) {
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

// Swap a server fragment in place of `target` (its hx-swap-oob parts update the page elsewhere);
// without a target only the out-of-band parts are used.
export function swapFragment(target, html) {
  if (!window.htmx) return;
  if (target) { htmx.swap(target, html, { swapStyle: "outerHTML" }); return; }
  var holder = document.createElement("div");
  holder.hidden = true;
  document.body.appendChild(holder);
  htmx.swap(holder, html, { swapStyle: "innerHTML" });
  holder.remove();
}
