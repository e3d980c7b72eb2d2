// Databases, tables, attributes and records.
import { h, replace, grid, attempt, errorBox } from "./dom.js";

/** A button that asks for a second click before doing something destructive. */
export function confirmButton(label, action, attrs = {}) {
  let armed = false;
  const button = h("button", {
    class: "danger", ...attrs,
    onclick: async () => {
      if (!armed) {
        armed = true;
        button.textContent = `Confirm: ${label}`;
        setTimeout(() => { armed = false; button.textContent = label; }, 4000);
        return;
      }
      button.disabled = true;
      try { await action(); } finally { button.disabled = false; }
    },
  }, label);
  return button;
}

/** A user-typed value: JSON when it parses (5, true, null, "5"), else the text itself. */
export function typedValue(text) {
  try { return JSON.parse(text); } catch { return text; }
}

function formatBytes(n) {
  if (typeof n !== "number") return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

export async function databasesPage({ session, go, main }) {
  const status = h("div");
  replace(main, h("h1", {}, "Databases"), status);
  const all = await attempt(status, () => session.call({ operation: "describe_all" }));
  if (!all) return;
  const reload = () => databasesPage({ session, go, main });
  const message = h("div");

  const newDatabase = h("input", { placeholder: "database", id: "new-database" });
  const tableDatabase = h("input", { placeholder: "database", id: "new-table-database", value: Object.keys(all)[0] ?? "data" });
  const tableName = h("input", { placeholder: "table", id: "new-table-name" });
  const tableKey = h("input", { placeholder: "primary key", id: "new-table-key", value: "id" });
  main.appendChild(h("div", { class: "panel" },
    h("form", { class: "row", onsubmit: async (e) => {
      e.preventDefault();
      if (await attempt(message, () => session.call({ operation: "create_database", database: newDatabase.value }))) reload();
    } }, newDatabase, h("button", { type: "submit", id: "create-database" }, "Create database")),
    h("form", { class: "row", onsubmit: async (e) => {
      e.preventDefault();
      const ok = await attempt(message, () => session.call({
        operation: "create_table", database: tableDatabase.value, table: tableName.value, primary_key: tableKey.value }));
      if (ok) reload();
    } }, tableDatabase, tableName, tableKey, h("button", { type: "submit", class: "primary", id: "create-table" }, "Create table")),
    message));

  for (const [database, tables] of Object.entries(all)) {
    const rows = Object.values(tables).map((t) => ({
      table: t.name, primary_key: t.hash_attribute, records: t.record_count,
      size: formatBytes(t.table_size), attributes: (t.attributes ?? []).length,
    }));
    main.appendChild(h("section", { class: "panel", dataset: { database } },
      h("div", { class: "row" }, h("h2", {}, database),
        confirmButton("Drop database", async () => {
          if (await attempt(message, () => session.call({ operation: "drop_database", database }))) reload();
        })),
      rows.length === 0 ? h("p", { class: "muted" }, "No tables.") : grid(rows, {
        columns: ["table", "primary_key", "records", "size", "attributes"],
        rowActions: (row) => [
          h("button", { onclick: () => go("table", database, row.table) }, "Open"), " ",
          confirmButton("Drop", async () => {
            if (await attempt(message, () => session.call({ operation: "drop_table", database, table: row.table }))) reload();
          }),
        ],
      })));
  }
}

const PAGE = 50;
const COMPARATORS = ["equals", "not_equal", "contains", "starts_with", "ends_with", "greater_than",
  "greater_than_equal", "less_than", "less_than_equal", "between"];

export async function tablePage({ session, go, main }, database, table) {
  const status = h("div");
  replace(main, h("h1", {}, h("a", { href: "#/databases" }, "Databases"), " / ", database, " / ", table), status);
  const describe = await attempt(status, () => session.call({ operation: "describe_table", database, table }));
  if (!describe) return;
  const key = describe.hash_attribute;
  const attributes = (describe.attributes ?? []).map((a) => a.attribute);
  const reload = () => tablePage({ session, go, main }, database, table);
  const state = { offset: 0, sort: { attribute: key, descending: false }, search: null };

  // Attributes
  const attributeMessage = h("div");
  const newAttribute = h("input", { placeholder: "attribute", id: "new-attribute" });
  main.appendChild(h("section", { class: "panel" },
    h("h2", {}, "Attributes"),
    h("p", { class: "muted", id: "record-count" }, `${describe.record_count ?? 0} records, primary key ${key}`),
    h("div", { class: "row" }, (describe.attributes ?? []).map((a) => h("span", { class: "pill" }, a.attribute,
      a.is_primary_key || a.attribute.startsWith("__") ? null : h("button", {
        title: `Drop ${a.attribute}`, class: "danger",
        onclick: async () => {
          if (await attempt(attributeMessage, () => session.call({ operation: "drop_attribute", database, table, attribute: a.attribute }))) reload();
        } }, "×")))),
    h("form", { class: "row", onsubmit: async (e) => {
      e.preventDefault();
      if (await attempt(attributeMessage, () => session.call({ operation: "create_attribute", database, table, attribute: newAttribute.value }))) reload();
    } }, newAttribute, h("button", { type: "submit" }, "Add attribute")),
    attributeMessage));

  // Search
  const searchMessage = h("div");
  const attributeSelect = () => h("select", {}, attributes.map((a) => h("option", { value: a }, a)));
  const valueAttribute = attributeSelect();
  const valueInput = h("input", { placeholder: "value (* for any)", id: "search-value" });
  const conditionAttribute = attributeSelect();
  const comparator = h("select", {}, COMPARATORS.map((c) => h("option", { value: c }, c)));
  const conditionValue = h("input", { placeholder: "value (JSON or text)", id: "condition-value" });
  main.appendChild(h("section", { class: "panel" },
    h("h2", {}, "Search"),
    h("form", { class: "row", onsubmit: (e) => {
      e.preventDefault();
      state.search = { operation: "search_by_value", search_attribute: valueAttribute.value, search_value: typedValue(valueInput.value) };
      state.offset = 0;
      load();
    } }, h("span", { class: "muted" }, "By value"), valueAttribute, valueInput, h("button", { type: "submit" }, "Search")),
    h("form", { class: "row", onsubmit: (e) => {
      e.preventDefault();
      state.search = { operation: "search_by_conditions",
        conditions: [{ attribute: conditionAttribute.value, comparator: comparator.value, value: typedValue(conditionValue.value) }] };
      state.offset = 0;
      load();
    } }, h("span", { class: "muted" }, "By condition"), conditionAttribute, comparator, conditionValue, h("button", { type: "submit" }, "Search")),
    h("div", { class: "row" }, h("button", { onclick: () => { state.search = null; state.offset = 0; load(); } }, "Show all")),
    searchMessage));

  // Records
  const recordsSlot = h("div", { id: "records" });
  const pager = h("div", { class: "row" });
  const editor = h("textarea", { class: "code", id: "record-json", spellcheck: false });
  editor.value = `{\n  "${key}": 1\n}`;
  const editMessage = h("div");
  main.appendChild(h("section", { class: "panel" }, h("h2", {}, "Records"), pager, recordsSlot));
  main.appendChild(h("section", { class: "panel" },
    h("h2", {}, "Add or edit a record (JSON)"), editor,
    h("div", { class: "row" },
      h("button", { class: "primary", id: "insert-record", onclick: () => write("insert") }, "Insert"),
      h("button", { id: "update-record", onclick: () => write("update") }, "Update"),
      h("button", { id: "upsert-record", onclick: () => write("upsert") }, "Upsert")),
    editMessage));

  async function write(operation) {
    let record;
    try {
      record = JSON.parse(editor.value);
    } catch (e) {
      replace(editMessage, errorBox(new Error(`The record is not valid JSON: ${e.message}`)));
      return;
    }
    const records = Array.isArray(record) ? record : [record];
    const answer = await attempt(editMessage, () => session.call({ operation, database, table, records }));
    if (answer) {
      replace(editMessage, h("div", { class: "ok" }, answer.message ?? "Done."));
      load();
      recount();
    }
  }

  const countLine = main.querySelector("#record-count");
  async function recount() {
    const now = await session.call({ operation: "describe_table", database, table }).catch(() => null);
    if (now) countLine.textContent = `${now.record_count ?? 0} records, primary key ${key}`;
  }

  async function load() {
    let rows;
    if (state.search) {
      rows = await attempt(searchMessage, () => session.call({
        ...state.search, database, table, get_attributes: ["*"],
        ...(state.search.operation === "search_by_conditions" ? { offset: state.offset, limit: PAGE, sort: state.sort } : {}),
      }));
      if (rows && state.search.operation === "search_by_value") rows = rows.slice(state.offset, state.offset + PAGE);
    } else {
      const order = `ORDER BY \`${state.sort.attribute}\` ${state.sort.descending ? "DESC" : "ASC"}`;
      rows = await attempt(searchMessage, () => session.call({
        operation: "sql", sql: `SELECT * FROM \`${database}\`.\`${table}\` ${order} LIMIT ${PAGE} OFFSET ${state.offset}` }));
    }
    if (!rows) return;
    // The primary key first, then the attributes known at load and any a write added since,
    // the timestamps last.
    const names = [...new Set([key, ...attributes, ...rows.flatMap((r) => Object.keys(r ?? {}))])];
    const columns = [...names.filter((a) => !a.startsWith("__")), ...names.filter((a) => a.startsWith("__"))];
    replace(recordsSlot, rows.length === 0 ? h("p", { class: "muted" }, "No records.") : grid(rows, {
      columns, sort: state.sort,
      onHeader: (attribute) => {
        state.sort = { attribute, descending: state.sort.attribute === attribute ? !state.sort.descending : false };
        load();
      },
      rowActions: (row) => [
        h("button", { onclick: () => { editor.value = JSON.stringify(row, null, 2); editor.focus(); } }, "Edit"), " ",
        confirmButton("Delete", async () => {
          const done = await attempt(editMessage, () => session.call({ operation: "delete", database, table, ids: [row[key]] }));
          if (done) { load(); recount(); }
        }),
      ],
    }));
    replace(pager,
      h("button", { disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - PAGE); load(); } }, "‹ Previous"),
      h("span", { class: "muted" }, rows.length ? `Rows ${state.offset + 1}–${state.offset + rows.length}` : ""),
      h("button", { disabled: rows.length < PAGE, onclick: () => { state.offset += PAGE; load(); } }, "Next ›"));
  }
  load();
}
