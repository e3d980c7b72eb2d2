// Users and roles (with a permission editor), configuration, system information, cluster.
import { h, replace, grid, attempt } from "./dom.js";
import { confirmButton, typedValue } from "./data.js";

const VERBS = ["read", "insert", "update", "delete"];

/** A checkbox grid over every database and table, kept in sync with a JSON textarea. */
function permissionEditor(all, permission) {
  const json = h("textarea", { class: "code", id: "role-permission", spellcheck: false });
  const current = () => { try { return JSON.parse(json.value); } catch { return null; } };
  json.value = JSON.stringify(permission ?? { super_user: false }, null, 2);
  const checks = h("div");
  const draw = () => {
    const p = current();
    if (!p) return;
    const flag = (name) => h("label", { class: "row" }, h("input", { type: "checkbox", checked: Boolean(p[name]), onchange: (e) => {
      const q = current() ?? {};
      q[name] = e.target.checked;
      json.value = JSON.stringify(q, null, 2);
      draw();
    } }), name);
    const rows = Object.entries(all).flatMap(([database, tables]) => Object.keys(tables).map((table) => {
      const t = p[database]?.tables?.[table] ?? {};
      return h("tr", {}, h("td", {}, `${database}.${table}`), VERBS.map((verb) => h("td", {},
        h("input", { type: "checkbox", checked: Boolean(t[verb]), title: `${verb} ${database}.${table}`, onchange: (e) => {
          const q = current() ?? {};
          q[database] ??= { tables: {} };
          q[database].tables ??= {};
          q[database].tables[table] ??= { read: false, insert: false, update: false, delete: false, attribute_permissions: [] };
          q[database].tables[table][verb] = e.target.checked;
          json.value = JSON.stringify(q, null, 2);
        } }))));
    }));
    replace(checks, h("div", { class: "row" }, flag("super_user"), flag("structure_user")),
      p.super_user ? h("p", { class: "muted" }, "A super user may do everything.") :
        h("table", { class: "grid perm-table" }, h("thead", {}, h("tr", {}, h("th", {}, "table"), VERBS.map((v) => h("th", {}, v)))), h("tbody", {}, rows)));
  };
  json.addEventListener("change", draw);
  draw();
  return { element: h("div", {}, checks, h("p", { class: "muted" }, "Permission (JSON; attribute_permissions are edited here)"), json), value: current };
}

export async function usersPage({ session, main }) {
  const status = h("div");
  replace(main, h("h1", {}, "Users & roles"), status);
  const [users, roles, all] = await Promise.all([
    attempt(status, () => session.call({ operation: "list_users" })),
    session.call({ operation: "list_roles" }).catch(() => []),
    session.call({ operation: "describe_all" }).catch(() => ({})),
  ]);
  if (!users) return;
  const reload = () => usersPage({ session, main });
  const message = h("div", { id: "users-message" });
  const roleNames = roles.map((r) => r.role);

  const username = h("input", { placeholder: "username", id: "new-username", autocomplete: "off" });
  const password = h("input", { placeholder: "password", type: "password", id: "new-password", autocomplete: "new-password" });
  const role = h("select", { id: "new-user-role" }, roleNames.map((r) => h("option", { value: r }, r)));
  const active = h("input", { type: "checkbox", checked: true });
  main.appendChild(h("section", { class: "panel" }, h("h2", {}, "Users"),
    grid(users.map((u) => ({ username: u.username, role: u.role?.role ?? u.role, active: u.active })), {
      rowActions: (row) => [
        h("button", { onclick: async () => {
          const next = prompt(`New password for ${row.username}`);
          if (next && await attempt(message, () => session.call({ operation: "alter_user", username: row.username, password: next }))) {
            replace(message, h("div", { class: "ok" }, `Password of ${row.username} changed.`));
          }
        } }, "Password"), " ",
        h("button", { onclick: async () => {
          if (await attempt(message, () => session.call({ operation: "alter_user", username: row.username, active: !row.active }))) reload();
        } }, row.active ? "Deactivate" : "Activate"), " ",
        confirmButton("Drop", async () => {
          if (await attempt(message, () => session.call({ operation: "drop_user", username: row.username }))) reload();
        }),
      ],
    }),
    h("form", { class: "row", onsubmit: async (e) => {
      e.preventDefault();
      const ok = await attempt(message, () => session.call({ operation: "add_user", username: username.value, password: password.value, role: role.value, active: active.checked }));
      if (ok) reload();
    } }, username, password, role, h("label", { class: "row" }, active, "active"), h("button", { type: "submit", class: "primary", id: "add-user" }, "Add user")),
    message));

  const roleMessage = h("div", { id: "roles-message" });
  const editorSlot = h("div");
  const edit = (existing) => {
    const name = h("input", { placeholder: "role name", id: "role-name", value: existing?.role ?? "" });
    const editor = permissionEditor(all, existing?.permission);
    replace(editorSlot, h("div", { class: "panel" }, h("h2", {}, existing ? `Edit role ${existing.role}` : "New role"),
      h("div", { class: "row" }, name), editor.element,
      h("div", { class: "row" }, h("button", { class: "primary", id: "save-role", onclick: async () => {
        const permission = editor.value();
        if (!permission) { replace(roleMessage, h("div", { class: "error" }, "The permission is not valid JSON.")); return; }
        const body = existing ? { operation: "alter_role", id: existing.id, role: name.value, permission }
          : { operation: "add_role", role: name.value, permission };
        if (await attempt(roleMessage, () => session.call(body))) reload();
      } }, existing ? "Save role" : "Add role"))));
  };
  main.appendChild(h("section", { class: "panel" }, h("h2", {}, "Roles"),
    grid(roles.map((r) => ({ role: r.role, id: r.id, super_user: Boolean(r.permission?.super_user), cluster_user: Boolean(r.permission?.cluster_user) })), {
      rowActions: (row) => [
        h("button", { onclick: () => edit(roles.find((r) => r.id === row.id)) }, "Edit"), " ",
        confirmButton("Drop", async () => {
          if (await attempt(roleMessage, () => session.call({ operation: "drop_role", id: row.id }))) reload();
        }),
      ],
    }),
    h("div", { class: "row" }, h("button", { id: "new-role", onclick: () => edit(null) }, "New role")),
    roleMessage, editorSlot));
}

export async function configPage({ session, main }) {
  const status = h("div");
  replace(main, h("h1", {}, "Configuration"), status);
  const config = await attempt(status, () => session.call({ operation: "get_configuration" }));
  if (!config) return;
  const key = h("input", { placeholder: "key, e.g. logging_level", id: "config-key" });
  const value = h("input", { placeholder: "value (JSON or text)", id: "config-value" });
  const message = h("div", { id: "config-message" });
  main.appendChild(h("form", { class: "panel", onsubmit: async (e) => {
    e.preventDefault();
    const answer = await attempt(message, () => session.call({ operation: "set_configuration", [key.value]: typedValue(value.value) }));
    if (answer) replace(message, h("div", { class: "ok" }, answer.message ?? "Saved."));
  } }, h("h2", {}, "Set a value"), h("div", { class: "row" }, key, value, h("button", { type: "submit", class: "primary", id: "config-save" }, "Set")),
    h("p", { class: "muted" }, "Most settings take effect after a restart."), message));
  main.appendChild(h("div", { class: "panel" }, h("pre", { id: "config-json" }, JSON.stringify(config, null, 2))));
}

export async function systemPage({ session, main }) {
  const status = h("div");
  replace(main, h("h1", {}, "System"), status);
  const info = await attempt(status, () => session.call({ operation: "system_information" }));
  if (!info) return;
  main.appendChild(h("div", { class: "panel" }, h("pre", { id: "system-json" }, JSON.stringify(info, null, 2))));
}

export async function clusterPage({ session, main }) {
  const status = h("div");
  replace(main, h("h1", {}, "Cluster"), status);
  const cluster = await attempt(status, () => session.call({ operation: "cluster_status" }));
  if (!cluster) return;
  if (Array.isArray(cluster.connections) && cluster.connections.length) {
    main.appendChild(h("div", { class: "panel" }, grid(cluster.connections.map((c) => ({
      node: c.node_name, status: c.status, latency_ms: c.latency_ms, lag: c.lag ?? "" })))));
  }
  main.appendChild(h("div", { class: "panel" }, h("pre", { id: "cluster-json" }, JSON.stringify(cluster, null, 2))));
}

export async function metricsPage({ session, main }, metric) {
  const status = h("div");
  replace(main, h("h1", {}, "Metrics"), status);
  const names = await attempt(status, () => session.call({ operation: "list_metrics" }));
  if (!names) return;
  const chosen = metric ?? names[0];
  main.appendChild(h("div", { class: "panel row", id: "metric-names" }, names.map((name) =>
    h("a", { href: `#/metrics/${encodeURIComponent(name)}`, class: name === chosen ? "pill COMPLETE" : "pill" }, name))));
  if (!chosen) return;
  const since = Date.now() - 15 * 60_000;
  const samples = await attempt(status, () => session.call({ operation: "get_analytics", metric: chosen, start_time: since }));
  if (!samples) return;
  const latest = samples.slice(-50).reverse();
  main.appendChild(h("div", { class: "panel" },
    h("p", { class: "muted" }, `${chosen}: ${samples.length} samples in the last 15 minutes, newest first. `,
      "Prometheus scrapes the same figures from ", h("code", {}, "GET /metrics"), "."),
    latest.length ? grid(latest, { columns: [...new Set(latest.flatMap((s) => Object.keys(s)))].filter((c) => !c.startsWith("__")) })
      : h("p", { id: "metric-empty" }, "No samples yet: they are taken every analytics.aggregatePeriod seconds.")));
}
