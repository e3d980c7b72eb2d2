// The studio's shell: sign-in, navigation and a hash router (#/databases, #/sql, …).
import { Session } from "./api.js";
import { h, replace } from "./dom.js";
import { databasesPage, tablePage } from "./data.js";
import { sqlPage, uploadPage, jobsPage, logsPage } from "./tools.js";
import { usersPage, configPage, systemPage, clusterPage, metricsPage } from "./admin.js";

const root = document.getElementById("app");
const session = new Session(() => render());

const pages = [
  ["databases", "Databases", databasesPage],
  ["sql", "SQL", sqlPage],
  ["upload", "CSV upload", uploadPage],
  ["jobs", "Jobs", jobsPage],
  ["logs", "Logs", logsPage, true],
  ["users", "Users & roles", usersPage, true],
  ["config", "Configuration", configPage, true],
  ["system", "System", systemPage, true],
  ["cluster", "Cluster", clusterPage, true],
  ["metrics", "Metrics", metricsPage],
];

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { name: parts[0] || "databases", args: parts.slice(1) };
}

export function go(...parts) {
  location.hash = "#/" + parts.map(encodeURIComponent).join("/");
}

function signInPage() {
  const error = h("div");
  const user = h("input", { name: "username", autocomplete: "username", required: true, autofocus: true });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", {
    class: "panel signin",
    onsubmit: async (event) => {
      event.preventDefault();
      replace(error);
      try {
        await session.signIn(user.value, pass.value);
      } catch (e) {
        replace(error, h("div", { class: "error", role: "alert" }, e.message));
      }
    },
  },
  h("h1", {}, "Lyre Studio"),
  h("label", {}, "Username", user),
  h("label", {}, "Password", pass),
  h("button", { class: "primary", type: "submit", id: "sign-in" }, "Sign in"),
  error);
  return form;
}

function render() {
  if (!session.signedIn) {
    replace(root, signInPage());
    return;
  }
  const current = route();
  const entry = pages.find(([name]) => name === current.name) ?? (current.name === "table" ? ["databases"] : pages[0]);
  const nav = h("nav", { class: "nav" },
    h("div", { class: "brand" }, "Lyre Studio"),
    pages.filter(([, , , superOnly]) => !superOnly || session.isSuperUser)
      .map(([name, title]) => h("a", { href: `#/${name}`, class: entry[0] === name ? "active" : "" }, title)),
    h("div", { class: "who" }, "Signed in as ", h("strong", { id: "who" }, session.username)),
    h("button", { id: "sign-out", onclick: () => session.signOut() }, "Sign out"));
  const main = h("main", { id: "page" });
  replace(root, h("div", { class: "shell" }, nav, main));
  const context = { session, go, main };
  const view = current.name === "table" ? tablePage : entry[2];
  Promise.resolve(view(context, ...current.args)).catch((e) => replace(main, h("div", { class: "error" }, e.message)));
}

window.addEventListener("hashchange", render);
render();
