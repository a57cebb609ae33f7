// The API reference, drawn from /openapi.json with no third-party code: FastAPI's own
// /docs loads Swagger UI from a CDN, which an offline machine cannot reach.
"use strict";

(function () {
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function resolve(spec, schema) {
    let s = schema || {};
    for (let i = 0; s.$ref && i < 10; i++) {
      const parts = s.$ref.replace(/^#\//, "").split("/");
      s = parts.reduce((o, k) => (o ? o[k] : undefined), spec) || {};
    }
    return s;
  }

  function typeOf(spec, schema) {
    const s = resolve(spec, schema);
    if (s.anyOf) return s.anyOf.map((x) => typeOf(spec, x)).join(" | ");
    if (s.type === "array") return "array of " + typeOf(spec, s.items);
    if (schema && schema.$ref) return schema.$ref.split("/").pop();
    return s.type || "any";
  }

  function limits(s) {
    const out = [];
    if (s.maxItems !== undefined) out.push("at most " + s.maxItems + " items");
    if (s.maxLength !== undefined) out.push("at most " + s.maxLength + " characters");
    if (s.items && s.items.maxLength !== undefined) out.push("each at most " + s.items.maxLength + " characters");
    return out.join(", ");
  }

  function fields(spec, schema, container, depth) {
    const s = resolve(spec, schema);
    if (!s.properties || depth > 3) return;
    const table = el("table", "fields");
    const head = el("tr");
    ["field", "type", "required", "notes"].forEach((h) => head.appendChild(el("th", "", h)));
    table.appendChild(head);
    const nested = [];
    for (const [name, prop] of Object.entries(s.properties)) {
      const tr = el("tr");
      tr.appendChild(el("td", "", name));
      tr.appendChild(el("td", "", typeOf(spec, prop)));
      tr.appendChild(el("td", "", (s.required || []).includes(name) ? "yes" : "no"));
      const p = resolve(spec, prop);
      const anyArray = (p.anyOf || []).find((x) => x.type === "array");
      tr.appendChild(el("td", "", [p.description, limits(p), anyArray ? limits(anyArray) : ""]
        .filter(Boolean).join("; ")));
      table.appendChild(tr);
      const items = (anyArray || p).items;
      if (items && items.$ref) nested.push([name, items]);
    }
    container.appendChild(table);
    for (const [name, ref] of nested) {
      container.appendChild(el("p", "", "Each item of " + name + ":"));
      fields(spec, ref, container, depth + 1);
    }
  }

  function render(spec) {
    const main = document.getElementById("api");
    main.replaceChildren();
    main.appendChild(el("p", "", (spec.info.description || "") + " Version " + spec.info.version + "."));
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const section = el("section", "panel");
        section.appendChild(el("h2", "", method.toUpperCase() + " " + path));
        if (op.summary) section.appendChild(el("p", "", op.summary));
        if (op.description) section.appendChild(el("p", "howto", op.description));
        const body = op.requestBody && op.requestBody.content["application/json"];
        if (body) {
          section.appendChild(el("h3", "", "Request body (JSON)"));
          fields(spec, body.schema, section, 0);
          const schema = resolve(spec, body.schema);
          (schema.examples || []).forEach((ex) => {
            section.appendChild(el("pre", "example", JSON.stringify(ex, null, 2)));
          });
        }
        section.appendChild(el("h3", "", "Responses"));
        const list = el("ul");
        for (const [code, r] of Object.entries(op.responses || {})) {
          list.appendChild(el("li", "", code + ": " + (r.description || "")));
        }
        section.appendChild(list);
        main.appendChild(section);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    fetch("/openapi.json").then((r) => r.json()).then(render).catch((err) => {
      document.getElementById("docs-status").textContent = "Could not load /openapi.json: " + err.message;
    });
  });
})();
