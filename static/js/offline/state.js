// Sổ Kiểm Tra — offline code (docs/offline.md): the page's shared state and the constants.
// Every other module of static/js/offline/ reads and writes this one object instead of its own copies.

export const FIELDS = ["choice", "number", "numerator", "denominator", "text", "na", "note", "amend_reason"];
export const QUEUED = "Đã lưu trên máy — chờ đồng bộ";
export const RETRY_DELAYS = [2000, 4000, 8000, 15000, 30000, 60000];
export const SAVE_TIMEOUT = 30000;
export const UPLOAD_TIMEOUT = 120000;
export const REFRESH_DELAY = 20000;  // after online saves, refresh the stored copy of a downloaded visit

export const page = {
  visit: 0,
  user: "",   // a queue entry is only ever sent in its author's session
  path: "",
  box: null,
};

export const state = {
  enabled: true,      // false when IndexedDB is not available
  ready: false,       // the queue has been read
  mirror: [],         // this visit's queue entries, as last read
  elsewhere: 0,       // this user's entries for other visits
  localAdds: 0,       // entries being written right now
  syncing: false,
  stopped: "",        // "auth" or "csrf": waiting for the inspector
  retryTimer: null,
  csrfRetried: false,
  uploadProgress: "",
  usingSaved: {},     // items whose "Dùng giá trị đã lưu" is on its way
};

export function init(box) {
  page.box = box;
  page.visit = Number(box.dataset.visit);
  page.user = box.dataset.user || "";
  page.path = "/visits/" + page.visit;
}

export function el(id) { return document.getElementById(id); }

export function mine(entry) { return entry.user === page.user; }

// What capture.js reads before it loads this code (its loader keeps the same key): does this user
// have changes waiting, and which visits did they download on this tablet? A synchronous read of
// localStorage costs nothing on the page load of a visit that was never taken offline.
function flagKey() { return "ske-offline:" + page.user; }

function readFlag() {
  try { return JSON.parse(localStorage.getItem(flagKey()) || "{}"); } catch (err) { return {}; }
}

function writeFlag(change) {
  try {
    var flag = Object.assign({ queue: false, visits: [] }, readFlag());
    change(flag);
    localStorage.setItem(flagKey(), JSON.stringify(flag));
  } catch (err) { /* storage refused: the service worker rule of the loader still applies */ }
}

export function flagWaiting(waiting) {
  if (!!readFlag().queue !== waiting) writeFlag(function (f) { f.queue = waiting; });
}

export function flagDownloaded(visit, stored) {
  writeFlag(function (f) {
    f.visits = f.visits.filter(function (v) { return v !== visit; });
    if (stored) f.visits.push(visit);
  });
}
