// The requests of the sync: queued changes go to the JSON API (/api/v1, as any program would send
// them) with the session cookie and the CSRF header, as the pages' own requests do.
import { SAVE_TIMEOUT, UPLOAD_TIMEOUT } from "./state.js";

export function cookieToken() {
  var match = /(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/.exec(document.cookie);
  return match ? decodeURIComponent(match[1]) : "";
}

function pageToken() {
  try { return JSON.parse(document.body.getAttribute("hx-headers"))["x-csrftoken"] || ""; } catch (e) { return ""; }
}

// The CSRF cookie lives only as long as the browser session; any GET makes the server set a new one.
export function csrf(renew) {
  if (cookieToken() && !renew) return Promise.resolve(cookieToken());
  if (renew) {
    document.cookie = "csrftoken=; Max-Age=0; path=/; SameSite=Strict";
    document.cookie = "__Host-csrftoken=; Max-Age=0; path=/; Secure; SameSite=Strict";
  }
  return fetch("/healthz", { credentials: "same-origin", cache: "no-store" }).catch(function () {})
    .then(function () { return cookieToken() || pageToken(); });
}

function timedFetch(url, options, ms) {
  var controller = new AbortController();
  var timer = setTimeout(function () { controller.abort(); }, ms);
  options.signal = controller.signal;
  return fetch(url, options).then(function (res) { clearTimeout(timer); return res; },
    function (err) { clearTimeout(timer); throw err; });
}

// { status, body }: the answer's JSON (or {} for one that is not JSON, such as a proxy's error page).
function parsed(status, text) {
  var body = {};
  try { body = JSON.parse(text) || {}; } catch (err) { /* not JSON */ }
  return { status: status, body: body };
}

function answer(res) { return res.text().then(function (text) { return parsed(res.status, text); }); }

// A typed number as the form route reads it (services/answers.parse_form_number: "1,5" or "1.5");
// anything else is sent as typed, and the server says in Vietnamese what is wrong with it.
function number(raw) {
  var text = String(raw).replace(/\s/g, "");
  if (!text) return null;
  return /^[+-]?(\d+[.,]?\d*|[.,]\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text.replace(",", ".")) : raw;
}

// The card's form fields as the API's finding (PUT body): the answer's JSON shape depends on the type.
export function findingBody(fields, type, base) {
  var body = { answer: null, na: !!fields.na, note: fields.note || "", base_version: base };
  if (fields.amend_reason) body.amend_reason = fields.amend_reason;
  if (body.na) return body;
  if (type === "yesno") body.answer = fields.choice ? fields.choice === "yes" : null;
  else if (type === "levels") body.answer = fields.choice || null;
  else if (type === "number") body.answer = number(fields.number || "");
  else if (type === "ratio") {
    var pair = [number(fields.numerator || ""), number(fields.denominator || "")];
    body.answer = pair[0] === null && pair[1] === null ? null : pair;
  } else body.answer = fields.text || null;
  return body;
}

export function putFinding(visitId, code, key, body, token) {
  return timedFetch("/api/v1/visits/" + visitId + "/findings/" + encodeURIComponent(code), {
    method: "PUT", credentials: "same-origin", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "Idempotency-Key": key, "x-csrftoken": token },
  }, SAVE_TIMEOUT).then(answer, function () { return null; });
}

// One photo or PDF, multipart field `file`; XMLHttpRequest for the upload progress.
export function postEvidence(visitId, code, key, blob, name, token, onProgress) {
  return new Promise(function (resolve) {
    var data = new FormData();
    data.append("file", blob, name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/visits/" + visitId + "/findings/" + encodeURIComponent(code) + "/evidence");
    xhr.setRequestHeader("Idempotency-Key", key);
    xhr.setRequestHeader("x-csrftoken", token);
    xhr.timeout = UPLOAD_TIMEOUT;
    xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); };
    xhr.onload = function () { resolve(parsed(xhr.status, xhr.responseText)); };
    xhr.onerror = xhr.ontimeout = xhr.onabort = function () { resolve(null); };
    xhr.send(data);
  });
}

// The item's finding as the server has it now (null if none, or no answer).
export function currentFinding(visitId, code) {
  return fetch("/api/v1/visits/" + visitId + "/findings", { credentials: "same-origin" })
    .then(function (res) { return res.ok ? res.json() : Promise.reject(new Error(String(res.status))); })
    .then(function (data) {
      return data.findings.filter(function (f) { return f.item_code === code; })[0] || null;
    });
}

// The item's gallery as the page renders it, with the progress header out of band.
export function galleryHtml(visitId, code) {
  return fetch("/visits/" + visitId + "/items/" + encodeURIComponent(code) + "/gallery", {
    credentials: "same-origin", headers: { "HX-Request": "true" },
  }).then(function (res) { return res.ok && !res.redirected ? res.text() : null; }).catch(function () { return null; });
}
