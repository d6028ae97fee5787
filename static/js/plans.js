// Sổ Kiểm Tra — the plan page's scheduling form: the unit list filters as you type (diacritics
// ignored, like the server's text.fold), "select all" ticks the units shown, and the checklist
// follows the kind of the ticked units. Without this script the same form works with the
// "Tìm" button (?q=) and the "Chọn tất cả" link (?all=1), and the server checks the kinds.
(function () {
  "use strict";

  var list = document.getElementById("s-units");
  if (!list) return;
  var search = document.getElementById("s-q");
  var count = document.getElementById("s-count");
  var allLink = document.getElementById("s-all");
  var checklist = document.getElementById("s-checklist");
  var note = document.getElementById("s-checklist-note");
  var hiddenQ = document.querySelector(".schedule-form input[type=hidden][name=q]");
  var options = Array.prototype.slice.call(list.querySelectorAll(".unit-option"));
  var noteText = note ? note.textContent : "";

  // The same key as inspect_app.text.fold: no diacritics, đ→d, lower case, single spaces.
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D")
      .toLowerCase().split(/\s+/).filter(Boolean).join(" ");
  }

  function shown() {
    return options.filter(function (o) { return !o.hidden; });
  }

  function box(option) { return option.querySelector("input[type=checkbox]"); }

  function refreshTools() {
    var visible = shown();
    var words = fold(search ? search.value : "");
    var ticked = options.filter(function (o) { return box(o).checked; }).length;
    if (count) count.textContent = visible.length + " đơn vị" + (words ? " khớp “" + search.value.trim() + "”" : "") +
      (ticked ? ", đã chọn " + ticked : "");
    if (allLink) {
      var all = visible.length > 0 && visible.every(function (o) { return box(o).checked; });
      allLink.hidden = visible.length === 0;
      allLink.textContent = all ? "Bỏ chọn tất cả " + visible.length + " đơn vị đang hiển thị"
        : "Chọn tất cả " + visible.length + " đơn vị đang hiển thị";
    }
  }

  function filter() {
    var words = fold(search.value).split(" ").filter(Boolean);
    options.forEach(function (o) {
      var key = o.getAttribute("data-search") || "";
      o.hidden = !words.every(function (w) { return key.indexOf(w) >= 0; });
    });
    if (hiddenQ) hiddenQ.value = search.value;
    refreshTools();
  }

  // The checklist fitting every ticked unit's kind, the most specific first.
  function followKinds() {
    if (!checklist) return;
    var kinds = {};
    options.forEach(function (o) { if (box(o).checked) kinds[box(o).getAttribute("data-kind")] = true; });
    var wanted = Object.keys(kinds);
    if (!wanted.length) { if (note) note.textContent = noteText; return; }
    var fits = function (opt) {
      var has = (opt.getAttribute("data-kinds") || "").split(" ");
      return wanted.every(function (k) { return has.indexOf(k) >= 0; });
    };
    var current = checklist.options[checklist.selectedIndex];
    if (current && fits(current)) { if (note) note.textContent = noteText; return; }
    var best = null;
    Array.prototype.forEach.call(checklist.options, function (opt) {
      if (!fits(opt)) return;
      var size = (opt.getAttribute("data-kinds") || "").split(" ").length;
      if (!best || size < best.size) best = { opt: opt, size: size };
    });
    if (best) {
      checklist.value = best.opt.value;
      if (note) note.textContent = "Đã chọn bộ tiêu chí phù hợp với loại đơn vị: " + best.opt.textContent + ".";
    } else if (note) {
      note.textContent = "Các đơn vị đã chọn không cùng loại: không bộ tiêu chí nào áp dụng cho tất cả. " +
        "Hãy lên lịch riêng từng loại đơn vị.";
    }
  }

  if (search) {
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (evt) {
      if (evt.key === "Enter") { evt.preventDefault(); filter(); }  // already filtered: no reload
    });
  }
  if (allLink) {
    allLink.setAttribute("role", "button");  // it acts here, no page load: a button, Space included
    allLink.addEventListener("keydown", function (evt) {
      if (evt.key === " ") { evt.preventDefault(); allLink.click(); }
    });
    allLink.addEventListener("click", function (evt) {
      evt.preventDefault();
      var visible = shown();
      var all = visible.every(function (o) { return box(o).checked; });
      visible.forEach(function (o) { box(o).checked = !all; });
      refreshTools();
      followKinds();
    });
  }
  list.addEventListener("change", function () { refreshTools(); followKinds(); });
  if (search && search.value) filter(); else refreshTools();
})();
