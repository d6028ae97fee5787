// Sổ Kiểm Tra — a dossier sample's form fields (row-<n>-<column key>) as the rows the API takes, the same
// reading as services/answers._rows_from_form: text trimmed, yes/no → true/false, a number "1,5" → 1.5,
// empty cells and wholly empty rows dropped, rows in the order of n. `types` is {column key: type}.
export var ROW_FIELD = /^row-(\d{1,4})-([a-z][a-z0-9_]*)$/;

export function cellValue(raw, type) {
  var text = String(raw === undefined || raw === null ? "" : raw).trim();
  if (text === "") return null;
  if (type === "yesno") return text === "yes" ? true : text === "no" ? false : text;
  if (type === "number") {
    var n = Number(text.replace(/\s/g, "").replace(",", "."));
    return isFinite(n) ? n : text;  // not a number: sent as typed, the server says what is wrong
  }
  return text;
}

export function rowsFromFields(fields, types) {
  var byIndex = {};
  Object.keys(fields).forEach(function (name) {
    var m = ROW_FIELD.exec(name);
    if (!m) return;
    var value = cellValue(fields[name], types[m[2]]);
    if (value === null) return;
    (byIndex[m[1]] = byIndex[m[1]] || {})[m[2]] = value;
  });
  return Object.keys(byIndex).map(Number).sort(function (a, b) { return a - b; })
    .map(function (i) { return byIndex[String(i)]; });
}
