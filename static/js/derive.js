// Sổ Kiểm Tra — derived figures from a dossier sample, in the browser: the same rules as
// inspect_app/checklists/sample.py (row_passes, count_rows) and derive.py (derived_answer), kept equal by
// tests/data/derive_cases.json (tests/test_sample_derive.py and tests/test_browser_sample.py).
// A row holds only its filled cells: strings (text, choice, a date "YYYY-MM-DD"), true/false, numbers.

export function isFilled(value) {
  return value !== null && value !== undefined && !(typeof value === "string" && value.trim() === "");
}

function isNumber(value) { return typeof value === "number" && isFinite(value); }

// Both cells when they can be compared (both filled, both strings or both numbers), else null.
function ordered(row, left, right) {
  var a = row[left], b = row[right];
  if (!isFilled(a) || !isFilled(b)) return null;
  if (typeof a === "string" && typeof b === "string") return [a, b];
  return isNumber(a) && isNumber(b) ? [a, b] : null;
}

function has(test, key) { return test[key] !== null && test[key] !== undefined; }

// Whether one row passes one test; dates compare as ISO strings, which sort as dates do.
export function rowPasses(row, test) {
  var value = row[test.column];
  if (has(test, "filled")) return isFilled(value) === test.filled;
  if (has(test, "yes")) return typeof value === "boolean" && value === test.yes;
  if (has(test, "equals")) return value === test.equals;
  var other = has(test, "le_column") ? test.le_column : test.gt_column;
  var pair = other ? ordered(row, test.column, other) : null;
  if (!pair) return false;
  return has(test, "le_column") ? pair[0] <= pair[1] : pair[0] > pair[1];
}

export function countRows(rows, tests) {
  return rows.filter(function (row) {
    return (tests || []).every(function (test) { return rowPasses(row, test); });
  }).length;
}

// What a from_sample item takes from the rows: {number} for a count, {numerator, denominator} for a ratio.
// The numerator counts only rows of the denominator, so it never exceeds it.
export function derivedValue(type, rule, rows) {
  if (type === "count") return { number: countRows(rows, rule.count) };
  var counted = rows.filter(function (row) {
    return (rule.denominator || []).every(function (test) { return rowPasses(row, test); });
  });
  return { numerator: countRows(counted, rule.numerator), denominator: counted.length };
}
