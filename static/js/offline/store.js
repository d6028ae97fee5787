// IndexedDB "so-kiem-tra-offline" (docs/offline.md): `queue` (changes waiting), `log` (the sync
// log), `visits` (what was downloaded), `findings` (versions of saves made online after the download).

var opening = null;

export function db() {
  if (!opening) {
    opening = new Promise(function (resolve, reject) {
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
  return opening;
}

// One transaction on one store; `work` gets the store and a function to set the result.
export function run(store, mode, work) {
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

export function request(store, mode, call) {
  return run(store, mode, function (s, done) {
    var r = call(s);
    r.onsuccess = function () { done(r.result); };
  });
}

// Oldest first; one visit's rows when `visitId` is given.
export function getAll(store, visitId) {
  return request(store, "readonly", function (s) {
    return visitId === undefined ? s.getAll() : s.index("visit").getAll(visitId);
  }).then(function (rows) { return rows.sort(function (a, b) { return (a.id || 0) - (b.id || 0); }); });
}

export function getOne(store, key) { return request(store, "readonly", function (s) { return s.get(key); }); }
export function putOne(store, value) { return request(store, "readwrite", function (s) { return s.put(value); }); }
export function delOne(store, key) { return request(store, "readwrite", function (s) { return s.delete(key); }); }

// Queue changes happen one after the other (enqueue, send, settle never interleave).
var chain = Promise.resolve();
export function serial(work) {
  var next = chain.then(work);
  chain = next.catch(function () {});
  return next;
}
