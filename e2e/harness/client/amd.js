/**
 * Grafana's SystemJS/AMD loading of a plugin's module.js, reduced: a global `define()` that hands the
 * shared modules to the plugin (with `module` giving the script's URL, from which the scaffold sets
 * webpack's public path), and importAmd(url) that loads a script and resolves with what it defined.
 */
export function installAmd(shared) {
  const definitions = new Map(); // script URL → module exports
  function define(name, deps, factory) {
    if (typeof name !== 'string') {
      factory = deps;
      deps = name;
    }
    if (!Array.isArray(deps)) {
      factory = deps;
      deps = [];
    }
    const script = document.currentScript;
    const uri = script && script.src ? script.src : window.location.href;
    const exportsObject = {};
    const resolved = deps.map((dep) => {
      if (dep === 'module') {
        return { id: uri, uri };
      }
      if (dep === 'exports') {
        return exportsObject;
      }
      if (dep === 'require') {
        return (id) => {
          if (!(id in shared)) {
            throw new Error(`harness: require("${id}") is not a shared module`);
          }
          return shared[id];
        };
      }
      if (!(dep in shared)) {
        throw new Error(
          `harness: ${uri} needs "${dep}" from define(), which Grafana shares but this harness does not provide`
        );
      }
      return shared[dep];
    });
    const result = typeof factory === 'function' ? factory(...resolved) : factory;
    definitions.set(uri, result !== undefined ? result : exportsObject);
  }
  define.amd = {};
  window.define = define;

  return function importAmd(url) {
    const absolute = new URL(url, document.baseURI).href;
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = absolute;
      script.async = true;
      script.onload = () => {
        if (definitions.has(absolute)) {
          resolve(definitions.get(absolute));
        } else {
          reject(new Error(`harness: ${absolute} loaded but did not call define()`));
        }
      };
      script.onerror = () => reject(new Error(`harness: cannot load ${absolute}`));
      document.head.appendChild(script);
    });
  };
}
