// The accessibility basics of the page the browser built: a list of what it misses.
// Read by tests/browser/a11y.py.
(() => {
  const problems = [];
  const html = document.documentElement;
  if (!html.lang) problems.push("no lang on <html>");
  for (const landmark of ["main", "header", "nav", "footer"]) {
    if (!document.querySelector(landmark)) problems.push("no <" + landmark + ">");
  }
  const h1 = document.querySelectorAll("h1");
  if (h1.length !== 1) problems.push(h1.length + " <h1> elements");
  let last = 1;
  for (const h of document.querySelectorAll("main h1, main h2, main h3, main h4, main h5, main h6")) {
    const level = Number(h.tagName[1]);
    if (level > last + 1) problems.push("heading skips a level: " + h.tagName + " " + h.textContent.trim().slice(0, 40));
    last = level;
  }
  for (const field of document.querySelectorAll("input, select, textarea")) {
    if (field.type === "hidden" || field.type === "submit") continue;
    const labelled = (field.id && document.querySelector('label[for="' + CSS.escape(field.id) + '"]'))
      || field.closest("label") || field.getAttribute("aria-label") || field.getAttribute("aria-labelledby");
    if (!labelled) problems.push("field without a label: " + (field.name || field.outerHTML.slice(0, 60)));
  }
  for (const button of document.querySelectorAll("button, a[href]")) {
    const name = (button.textContent || "").trim() || button.getAttribute("aria-label") || button.getAttribute("title")
      || (button.querySelector("img[alt]") && button.querySelector("img[alt]").alt);
    if (!name) problems.push("a link or button without a name: " + button.outerHTML.slice(0, 60));
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("image without alt: " + img.src);
  }
  for (const svg of document.querySelectorAll("main svg")) {
    if (svg.getAttribute("aria-hidden") === "true") continue;
    if (!svg.getAttribute("role") || !(svg.getAttribute("aria-labelledby") || svg.getAttribute("aria-label") || svg.querySelector("title")))
      problems.push("chart without a role and a name");
  }
  for (const table of document.querySelectorAll("main table")) {
    if (!table.querySelector("th")) problems.push("table without headers");
  }
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) {
    if (ids[el.id]) problems.push("duplicate id " + el.id);
    ids[el.id] = true;
  }
  return problems;
})
