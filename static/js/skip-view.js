// The visit page's skip logic: hide the cards whose condition (`when`) is false, show them again as soon
// as the controlling answer makes them apply. It reads the answers from the cards' own inputs, so it works
// the same online and offline (the page and both modules are stored with the visit; docs/offline.md).
// The rule itself lives in conditions.js, imported by the exact (content-hashed) URL the page loads it from.

const data = document.getElementById("skip-conditions");
if (data) {
  const source = document.querySelector('script[src*="/js/conditions.js"]').getAttribute("src");
  const { skippedCodes } = await import(source);
  const checklist = JSON.parse(data.textContent);

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

  const apply = () => {
    const answers = {};
    for (const card of document.querySelectorAll("article.item-card[data-code]")) {
      const form = card.querySelector("form.item-form");
      if (form) answers[card.dataset.code] = answerOf(form);
    }
    const skipped = skippedCodes(checklist, answers);
    for (const card of document.querySelectorAll("article.item-card[data-code]")) {
      // A refused save (409 item_skipped from an offline replay, say) stays in view until dealt with.
      const hide = skipped.has(card.dataset.code) && !card.querySelector(".save-status.failed");
      if (card.hidden !== hide) card.hidden = hide;
    }
    // A criterion's heading goes with its last visible card.
    for (const heading of document.querySelectorAll("h3.crit[data-crit]")) {
      const cards = document.querySelectorAll(`article.item-card[data-crit="${heading.dataset.crit}"]`);
      heading.hidden = cards.length > 0 && [...cards].every((card) => card.hidden);
    }
  };

  document.addEventListener("change", apply);
  document.addEventListener("input", apply);
  document.addEventListener("htmx:afterSwap", apply);
  apply();
}
