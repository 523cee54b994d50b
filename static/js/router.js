// Hash routing: "#/", "#/estimate", "#/claims/:id?tab=docs".
// A screen is {titleKey, render(outlet, {params, query, path}) -> optional cleanup function}.
// Add a screen with route("/path/:id", screen); later screens (login, family,
// enrollment, claims) only need a module and one route() call.

const routes = [];
let outlet = null;
let fallback = null;
let cleanup = null;
let onChange = null;
let current = null;

export function route(pattern, screen) {
  const names = [];
  const source = pattern.split("/").map((part) => {
    if (part.charAt(0) === ":") {
      names.push(part.slice(1));
      return "([^/]+)";
    }
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }).join("/");
  routes.push({ pattern: pattern, regex: new RegExp("^" + source + "/?$"), names: names, screen: screen });
}

export function notFound(screen) {
  fallback = screen;
}

function parse(hash) {
  let raw = (hash || "").replace(/^#/, "");
  if (raw.charAt(0) !== "/") raw = "/" + raw;
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = {};
  if (q >= 0) {
    raw.slice(q + 1).split("&").forEach((pair) => {
      if (!pair) return;
      const eq = pair.indexOf("=");
      const k = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      query[k] = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, " "));
    });
  }
  return { path: path, query: query };
}

function match(path) {
  for (let i = 0; i < routes.length; i++) {
    const m = routes[i].regex.exec(path);
    if (m) {
      const params = {};
      routes[i].names.forEach((name, j) => {
        params[name] = decodeURIComponent(m[j + 1]);
      });
      return { route: routes[i], params: params };
    }
  }
  return null;
}

function show(keepScroll) {
  const loc = parse(window.location.hash);
  const found = match(loc.path);
  const screen = found ? found.route.screen : fallback;
  if (cleanup) cleanup();
  cleanup = null;
  current = {
    path: loc.path,
    pattern: found ? found.route.pattern : null,
    params: found ? found.params : {},
    query: loc.query,
    screen: screen,
  };
  if (onChange) onChange(current);
  if (!screen) return;
  const result = screen.render(outlet, current);
  cleanup = typeof result === "function" ? result : null;
  if (!keepScroll) window.scrollTo(0, 0);
}

// Start listening; `changed(current)` runs before each screen renders (nav, title).
export function startRouter(el, changed) {
  outlet = el;
  onChange = changed;
  window.addEventListener("hashchange", () => show(false));
  show(false);
}

// Draw the current screen again (after a language switch): screens keep their state.
export function rerender() {
  show(true);
}

export function currentRoute() {
  return current;
}

export function go(path) {
  window.location.hash = "#" + path;
}

// A screen whose module is fetched on first use: `loading(outlet)` shows while it loads,
// `failed(outlet, err)` if it cannot be fetched. Used by the member app and the staff console.
export function lazyScreen(titleKey, load, loading, failed) {
  let screen = null;
  return {
    titleKey: titleKey,
    render(outlet, current) {
      if (screen) return screen.render(outlet, current);
      let alive = true;
      let cleanup = null;
      loading(outlet);
      load().then((mod) => {
        screen = mod.default;
        if (alive) cleanup = screen.render(outlet, current);
      }, (err) => {
        if (alive) failed(outlet, err);
      });
      return () => {
        alive = false;
        if (typeof cleanup === "function") cleanup();
      };
    },
  };
}
