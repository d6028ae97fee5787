// The visit page's skip logic: hide the cards whose condition (`when`) is false, show them again as soon
// as the controlling answer makes them apply. It reads the answers from the cards' own inputs, so it works
// the same online and offline (the page and both modules are stored with the visit; docs/offline.md).
// The rule itself lives in conditions.js (the same as inspect_app/checklists/conditions.py).
import { skippedCodes } from "./conditions.js";

const data = document.getElementById("skip-conditions");
const checklist = data ? JSON.parse(data.textContent) : null;

const numberOf = (form, name) => {
  const field = form.elements.namedItem(name);
  if (!field || !field.value || field.value.trim() === "") return null;
  const value = Number(field.value.trim().replace(",", "."));
  return Number.isFinite(value) ? value : null;
};

// The answer a card's form holds right now, shaped like the stored Answer.
const answerOf = (form) => {
  const na = form.querySelector('input[name="na"]');
  const choice = form.querySelector('input[name="choice"]:checked');
  return {
    na: Boolean(na && na.checked),
    choice: choice ? choice.value : null,
    number: numberOf(form, "number"),
    numerator: numberOf(form, "numerator"),
    denominator: numberOf(form, "denominator"),
  };
};

function apply() {
  const cards = document.querySelectorAll("article.item-card[data-code]");
  const answers = {};
  for (const card of cards) {
    const form = card.querySelector("form.item-form");
    if (form) answers[card.dataset.code] = answerOf(form);
  }
  const skipped = skippedCodes(checklist, answers);
  for (const card of cards) {
    // A refused save (409 item_skipped from an offline replay, say) stays in view until dealt with.
    const hide = skipped.has(card.dataset.code) && !card.querySelector(".save-status.failed");
    if (card.hidden !== hide) card.hidden = hide;
  }
  // A criterion's heading goes with its last visible card.
  for (const heading of document.querySelectorAll("h3.crit[data-crit]")) {
    const own = document.querySelectorAll(`article.item-card[data-crit="${heading.dataset.crit}"]`);
    const hide = own.length > 0 && [...own].every((card) => card.hidden);
    if (heading.hidden !== hide) heading.hidden = hide;
  }
}

if (checklist) {
  let pending = false;
  const soon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; apply(); });
  };
  document.addEventListener("change", apply);
  document.addEventListener("input", apply);
  // Cards are also rewritten without an input event: a save's status, an offline refusal, a reloaded card.
  new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
  apply();
}
