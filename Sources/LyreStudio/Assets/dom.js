// Element building without HTML strings: every value is set as text or as a property, so
// a record holding `<script>` or `<img onerror=…>` shows those characters and runs nothing.
// (The studio never parses HTML from a string; StudioTests checks every file for the APIs that do.)

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/** A cell's text: strings as they are, everything else as JSON. */
export function cellText(value) {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** A table of rows (objects); columns in first-seen order unless given. */
export function grid(rows, { columns, onHeader, sort, rowActions } = {}) {
  const cols = columns ?? [...new Set(rows.flatMap((r) => (r && typeof r === "object" ? Object.keys(r) : [])))];
  const head = h("tr", {}, cols.map((c) => {
    const mark = sort && sort.attribute === c ? (sort.descending ? " ▼" : " ▲") : "";
    return h("th", { class: onHeader ? "sortable" : "", onclick: onHeader ? () => onHeader(c) : null }, c + mark);
  }), rowActions ? h("th", {}, "") : null);
  const body = rows.map((row) => h("tr", {},
    cols.map((c) => h("td", { title: cellText(row?.[c]) }, cellText(row?.[c]))),
    rowActions ? h("td", {}, rowActions(row)) : null));
  return h("div", { class: "scroll" }, h("table", { class: "grid" }, h("thead", {}, head), h("tbody", {}, body)));
}

export function errorBox(error) {
  return h("div", { class: "error", role: "alert" }, error?.message ?? String(error));
}

/** Runs `work`, showing its error (or nothing) in `slot`; returns its result or undefined. */
export async function attempt(slot, work) {
  clear(slot);
  try {
    return await work();
  } catch (e) {
    replace(slot, errorBox(e));
    return undefined;
  }
}
