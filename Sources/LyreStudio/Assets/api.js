// The Operations API client: every call is the same `POST /` a program makes, with the
// signed-in user's operation token, so the studio can do exactly what that user's role allows.
// Tokens live in sessionStorage (gone when the tab closes) and are refreshed before expiry.

const KEY = "lyre.studio.session";
/** Refresh this long before expiry: a minute, or a fifth of a short token's lifetime. */
const REFRESH_MARGIN_MS = 60_000;

export class OperationError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** A JWT's claims (`exp`, `iat`), or null. The studio uses them for timing only. */
function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return null;
  }
}

async function post(body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/", { method: "POST", headers, body: JSON.stringify(body), credentials: "omit" });
  } catch (e) {
    throw new OperationError(0, `The server did not answer (${e.message}).`, null);
  }
  const text = await response.text();
  let parsed = text;
  try { parsed = text.length ? JSON.parse(text) : null; } catch { /* plain text body */ }
  if (!response.ok) {
    const message = parsed && typeof parsed === "object" && "error" in parsed ? String(parsed.error)
      : parsed && typeof parsed === "object" && "message" in parsed ? String(parsed.message)
      : String(text || response.statusText);
    throw new OperationError(response.status, message, parsed);
  }
  return parsed;
}

export class Session {
  constructor(onChange) {
    this.onChange = onChange;
    this.timer = null;
    const saved = sessionStorage.getItem(KEY);
    this.state = saved ? JSON.parse(saved) : null;
    if (this.state) this.schedule();
  }

  get signedIn() { return this.state !== null; }
  get username() { return this.state?.username ?? ""; }
  get user() { return this.state?.user ?? null; }
  get isSuperUser() { return Boolean(this.state?.user?.role?.permission?.super_user); }

  async signIn(username, password) {
    const tokens = await post({ operation: "create_authentication_tokens", username, password });
    this.state = { username, operation: tokens.operation_token, refresh: tokens.refresh_token, user: null };
    this.save();
    this.state.user = await this.call({ operation: "user_info" });
    this.save();
    this.schedule();
    this.onChange();
  }

  signOut() {
    clearTimeout(this.timer);
    this.state = null;
    sessionStorage.removeItem(KEY);
    this.onChange();
  }

  save() { sessionStorage.setItem(KEY, JSON.stringify(this.state)); }

  schedule() {
    clearTimeout(this.timer);
    const c = claims(this.state.operation);
    if (typeof c?.exp !== "number") return;
    const lifetime = typeof c.iat === "number" ? (c.exp - c.iat) * 1000 : Infinity;
    const margin = Math.min(REFRESH_MARGIN_MS, lifetime / 5);
    const wait = Math.max(1_000, c.exp * 1000 - Date.now() - margin);
    this.timer = setTimeout(() => this.refresh().catch(() => this.signOut()), Math.min(wait, 2 ** 31 - 1));
  }

  async refresh() {
    // The refresh token is the bearer credential of this one operation (security.md §2.2).
    const answer = await post({ operation: "refresh_operation_token" }, this.state.refresh);
    this.state.operation = answer.operation_token;
    this.save();
    this.schedule();
  }

  /** Runs one operation. An expired operation token is refreshed once and the call retried. */
  async call(body) {
    if (!this.state) throw new OperationError(401, "Not signed in.", null);
    try {
      return await post(body, this.state.operation);
    } catch (e) {
      if (e.status === 401 && this.state?.refresh) {
        try { await this.refresh(); } catch { this.signOut(); throw e; }
        return post(body, this.state.operation);
      }
      throw e;
    }
  }
}
