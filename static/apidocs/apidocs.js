// Renders the OpenAPI document as a readable page (no third-party code, no network but ours).
const el = (tag, cls, text) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
};

function resolve(spec, schema, depth = 0) {
  if (!schema || depth > 6) return schema;
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return resolve(spec, spec.components.schemas[name], depth + 1);
  }
  const out = { ...schema };
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, resolve(spec, v, depth + 1)]));
  }
  if (out.items) out.items = resolve(spec, out.items, depth + 1);
  if (out.anyOf) out.anyOf = out.anyOf.map((s) => resolve(spec, s, depth + 1));
  if (out.additionalProperties && typeof out.additionalProperties === "object") {
    out.additionalProperties = resolve(spec, out.additionalProperties, depth + 1);
  }
  return out;
}

function render(spec) {
  const main = document.getElementById("ops");
  main.replaceChildren();
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === "parameters") continue;
      const sec = el("section", "op");
      const head = el("h2");
      head.append(el("span", `method ${method}`, method), el("code", "", path));
      sec.append(head);
      if (op.summary) sec.append(el("p", "", op.summary));
      if (op.description) sec.append(el("p", "", op.description));
      const params = [...(ops.parameters || []), ...(op.parameters || [])];
      if (params.length) {
        sec.append(el("h3", "", "Parameters"));
        const list = el("ul");
        for (const p of params) list.append(el("li", "", `${p.name} (${p.in})${p.required ? " required" : ""}`));
        sec.append(list);
      }
      const body = op.requestBody?.content?.["application/json"]?.schema;
      if (body) {
        sec.append(el("h3", "", "Request body (JSON)"));
        sec.append(el("pre", "", JSON.stringify(resolve(spec, body), null, 2)));
      }
      sec.append(el("h3", "", "Responses"));
      for (const [status, resp] of Object.entries(op.responses || {})) {
        const ref = resp.$ref ? spec.components.responses[resp.$ref.split("/").pop()] : resp;
        const details = el("details");
        details.append(el("summary", "", `${status} — ${ref.description || ""}`));
        const schema = ref.content?.["application/json"]?.schema;
        if (schema) details.append(el("pre", "", JSON.stringify(resolve(spec, schema), null, 2)));
        sec.append(details);
      }
      main.append(sec);
    }
  }
}

fetch("/api/v1/openapi.json")
  .then((r) => r.json())
  .then(render)
  .catch((err) => {
    document.getElementById("ops").replaceChildren(el("p", "", `Could not load the spec: ${err}`));
  });
