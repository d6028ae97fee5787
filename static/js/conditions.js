// Skip logic in the browser: the same rule as inspect_app/checklists/conditions.py, over the checklist's
// JSON ({areas: [{criteria: [{when?, items: [{code, type, when?}]}]}]}) and answers shaped like the stored
// Answer ({na, choice, number, numerator, denominator}). tests/data/conditions_cases.json keeps both equal.
// An item whose criterion's or own condition is false is "không áp dụng theo điều kiện"; a controller
// that is itself skipped, unanswered or N/A makes its dependants skipped.

const CHOICE_TYPES = new Set(["yesno", "levels"]);
const NUMBER_TYPES = new Set(["score", "count", "deduction", "ratio"]);

function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

// What a condition compares: a choice, a number, a ratio's percent; null when there is nothing to compare.
export function answerValue(item, answer) {
  if (!answer || answer.na) return null;
  if (CHOICE_TYPES.has(item.type)) return answer.choice ?? null;
  if (item.type === "ratio") {
    if (!isNumber(answer.numerator) || !isNumber(answer.denominator) || answer.denominator === 0) return null;
    // Rounded to 9 places as the scoring engine rounds a percent (29/100 meets min = 29).
    return Math.round((answer.numerator / answer.denominator) * 100 * 1e9) / 1e9;
  }
  if (NUMBER_TYPES.has(item.type)) return isNumber(answer.number) ? answer.number : null;
  return null;
}

export function conditionHolds(when, controller, answer) {
  const value = answerValue(controller, answer);
  if (value === null) return false;
  if (when.equals != null) return value === when.equals;
  if (when.in != null) return when.in.includes(value);
  if (when.min != null) return typeof value === "number" && value >= when.min;
  return false;
}

// The codes of every item whose condition is false for these answers ({code: answer}), as a Set.
export function skippedCodes(checklist, answers) {
  const byCode = new Map();
  const skipped = new Set();
  const holds = (when) => {
    if (!when) return true;
    const controller = byCode.get(when.item);
    if (!controller || skipped.has(when.item)) return false;
    return conditionHolds(when, controller, answers[when.item]);
  };
  for (const area of checklist.areas || []) {
    for (const crit of area.criteria || []) {
      const critApplies = holds(crit.when);
      for (const item of crit.items || []) {
        if (!(critApplies && holds(item.when))) skipped.add(item.code);
        byCode.set(item.code, item);
      }
    }
  }
  return skipped;
}
