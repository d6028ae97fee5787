// Sổ Kiểm Tra — evidence from the tablet: photos scaled down in the browser (EXIF kept), one file per
// request with a progress bar, handed to the offline queue when there is no network. capture.js imports
// this module on the first file chosen: most loads of a visit page never send one.

var MAX_EDGE = 2048;          // long edge of a photo sent from the tablet
var JPEG_QUALITY = 0.85;
var RETRY_DELAYS = [2000, 4000, 8000, 15000, 30000, 60000];

function newKey() { return window.SKE.newKey(); }  // capture.js makes every key of the page

function scalePhoto(file) {
  if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.createImageBitmap) return Promise.resolve(file);
  // createImageBitmap applies the EXIF orientation, so the pixels come out upright.
  return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
    var scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.type === "image/jpeg" && file.size < 1500000) return file;
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) {
      canvas.toBlob(function (blob) {
        if (!blob) { resolve(file); return; }
        keepExif(file, blob).then(function (withExif) {
          resolve(new File([withExif], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        });
      }, "image/jpeg", JPEG_QUALITY);
    });
  }).catch(function () { return file; });
}

// The canvas drops EXIF, and with it the capture time, camera and GPS that are evidence
// metadata. Copy the original's EXIF segment into the scaled JPEG with Orientation set to 1
// (the pixels are already upright).
function keepExif(original, scaled) {
  if (original.type !== "image/jpeg") return Promise.resolve(scaled);
  return original.slice(0, 131072).arrayBuffer().then(function (head) {
    var exif = findExif(new DataView(head));
    if (!exif) return scaled;
    var segment = new Uint8Array(head.slice(exif.start, exif.end));
    resetOrientation(new DataView(segment.buffer), exif.tiff - exif.start);
    return new Blob([scaled.slice(0, 2), segment, scaled.slice(2)], { type: "image/jpeg" });
  }).catch(function () { return scaled; });
}

function findExif(view) {
  if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
  var pos = 2;
  while (pos + 4 <= view.byteLength) {
    var marker = view.getUint16(pos);
    var length = view.getUint16(pos + 2);
    if (marker === 0xffe1 && pos + 10 <= view.byteLength && view.getUint32(pos + 4) === 0x45786966) {
      if (pos + 2 + length > view.byteLength) return null;
      return { start: pos, end: pos + 2 + length, tiff: pos + 10 };
    }
    if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null;
    pos += 2 + length;
  }
  return null;
}

function resetOrientation(view, tiff) {
  var little = view.getUint16(tiff) === 0x4949;
  var ifd = tiff + view.getUint32(tiff + 4, little);
  var count = view.getUint16(ifd, little);
  for (var i = 0; i < count; i++) {
    var entry = ifd + 2 + i * 12;
    if (view.getUint16(entry, little) === 0x0112) { view.setUint16(entry + 8, 1, little); return; }
  }
}

function upload(form, file) {
  var bar = form.querySelector(".upload-progress");
  var note = form.querySelector(".upload-status");
  var key = newKey();
  function offline() {  // hand the photo (and its key) to the tablet's queue
    var err = new Error("offline");
    err.queue = { key: key };
    return err;
  }
  function attempt(n) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("Idempotency-Key", key);
      xhr.setRequestHeader("X-Requested-With", "fetch");
      xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=_csrf_token]").value);
      xhr.timeout = 120000;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.hidden = false; bar.value = Math.round(100 * e.loaded / e.total); }
      };
      xhr.onload = function () {
        if (xhr.status < 300) { resolve(xhr.responseText); return; }
        if (xhr.status < 500) {
          var message = "Không tải lên được.";
          try { message = JSON.parse(xhr.responseText).message; } catch (e) { /* keep default */ }
          reject(new Error(message));
          return;
        }
        retry();
      };
      xhr.onerror = xhr.ontimeout = retry;
      function retry() {
        if (window.SKEOffline && (navigator.onLine === false || n >= RETRY_DELAYS.length)) { reject(offline()); return; }
        if (n >= RETRY_DELAYS.length) { reject(new Error("Mất kết nối: chưa tải được " + file.name + ".")); return; }
        note.textContent = "Mất kết nối, thử lại sau " + RETRY_DELAYS[n] / 1000 + " giây…";
        window.setTimeout(function () { attempt(n + 1).then(resolve, reject); }, RETRY_DELAYS[n]);
      }
      xhr.send(data);
    });
  }
  return attempt(0);
}

// The files chosen in `input`, one after the other. `page.ready` settles once the offline code (if it
// is loading) is there; `page.rove` makes a new gallery's buttons one Tab stop.
export function send(input, form, page) {
  var files = Array.prototype.slice.call(input.files || []);
  var note = form.querySelector(".upload-status");
  var bar = form.querySelector(".upload-progress");
  var galleryId = form.closest(".evidence").id;
  var html = null;
  var queued = 0;
  var chain = page.ready;  // the offline code, if it is loading, decides where photos go
  files.forEach(function (file, i) {
    chain = chain.then(function () {
      note.textContent = "Đang xử lý " + (i + 1) + "/" + files.length + "…";
      return scalePhoto(file);
    }).then(function (ready) {
      var toQueue = function (key) {
        return SKEOffline.queueUpload(form, ready, key).then(function () { queued++; });
      };
      if (window.SKEOffline && SKEOffline.takeUpload(form)) return toQueue(null);
      note.textContent = "Đang tải lên " + (i + 1) + "/" + files.length + " (" + Math.round(ready.size / 1024) + " KB)…";
      return upload(form, ready).then(function (response) { html = response; }, function (err) {
        if (err.queue) return toQueue(err.queue.key);
        throw err;
      });
    });
  });
  chain.then(function () {
    note.textContent = queued ? "Đã lưu " + queued + " tệp trên máy — sẽ gửi khi có mạng." +
      (files.length > queued ? " Đã tải lên " + (files.length - queued) + " tệp." : "")
      : "Đã tải lên " + files.length + " tệp.";
  }).catch(function (err) {
    note.textContent = err.message;
    note.classList.add("error");
  }).then(function () {
    bar.hidden = true;
    input.value = "";
    var old = document.getElementById(galleryId);
    if (!html || !old) return;
    var hadFocus = old.contains(document.activeElement) || document.activeElement === document.body;
    var accept = input.getAttribute("accept");
    htmx.swap(old, html, { swapStyle: "outerHTML" });
    if (queued) SKEOffline.showQueued();  // the swap replaced the queued photos' thumbnails
    var gallery = document.getElementById(galleryId);
    if (!gallery) return;
    page.rove(gallery);
    // The new gallery keeps the outcome, and the focus goes back where it was (not to <body>).
    var newNote = gallery.querySelector(".upload-status");
    if (newNote) { newNote.className = note.className; newNote.textContent = note.textContent; }
    var again = Array.prototype.filter.call(gallery.querySelectorAll("input.file-input"), function (el) {
      return el.getAttribute("accept") === accept;
    })[0];
    if (again && hadFocus) {
      Array.prototype.forEach.call(gallery.querySelectorAll(".file-btns input.file-input"), function (el) {
        el.tabIndex = el === again ? 0 : -1;
      });
      again.focus();
    }
  });
}
