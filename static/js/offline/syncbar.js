// The sync bar in the sticky header: "n thay đổi chưa đồng bộ" (or "Đã đồng bộ") and the
// connection state; redrawn from the shared state after every change of it.
import { el, page, state } from "./state.js";

export function render() {
  if (!state.ready) return;
  var mirror = state.mirror;
  var n = mirror.length;
  var waiting = mirror.filter(function (e) { return e.state !== "pending"; }).length;
  var counter = el("sync-counter");
  var line = el("sync-state");
  counter.textContent = (n ? n + " thay đổi chưa đồng bộ" + (waiting ? " · " + waiting + " cần bạn xem lại" : "")
    : "Đã đồng bộ") + (state.elsewhere ? " · " + state.elsewhere + " thay đổi của cuộc kiểm tra khác đang chờ" : "");
  counter.className = "sync-counter " + (n ? "pending" : "done");
  line.textContent = "";
  if (state.stopped === "auth") {
    line.textContent = "Phiên đăng nhập đã hết hạn — đăng nhập lại để đồng bộ ";
    var link = document.createElement("a");
    link.href = "/login?next=" + encodeURIComponent(page.path) + "&reason=expired";
    link.textContent = "Đăng nhập lại";
    line.appendChild(link);
  } else if (state.stopped === "csrf") {
    line.textContent = "Mã bảo mật của trang đã hết hạn — tải lại trang để đồng bộ.";
  } else if (!navigator.onLine) {
    line.textContent = "Mất kết nối — thay đổi được lưu trên máy.";
  } else if (state.syncing && n) {
    line.textContent = state.uploadProgress || "Đang đồng bộ…";
  } else if (state.retryTimer && n) {
    line.textContent = "Mạng chập chờn — sẽ tự thử lại.";
  }
  el("sync-bar").className = "sync-bar" + (state.stopped ? " stopped" : !navigator.onLine ? " offline" : "");
}
