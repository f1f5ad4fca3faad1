/** The page shell: static HTML; the script (`/assets/app.js`) fetches everything with the token cookie. */
export const pageShell = (): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>orch</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; display: grid; grid-template-columns: 22rem 1fr 24rem; height: 100vh; color: #1f2328; }
  aside, main, section { overflow: auto; padding: 0.75rem; }
  aside { border-right: 1px solid #d0d7de; }
  section { border-left: 1px solid #d0d7de; }
  h1 { font-size: 1.1rem; margin: 0 0 0.5rem; }
  h2 { font-size: 1rem; margin: 0.5rem 0; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 0.2rem 0.3rem; border-bottom: 1px solid #eaeef2; font-size: 12px; vertical-align: top; }
  tr.run { cursor: pointer; }
  tr.run.selected { background: #ddf4ff; }
  .status { font-weight: 600; }
  #graph svg { max-width: 100%; height: auto; }
  #graph g.node { cursor: pointer; }
  #controls button, #node-actions button, #ask button { margin: 0 0.3rem 0.3rem 0; }
  #slider-row { display: flex; gap: 0.5rem; align-items: center; margin: 0.5rem 0; }
  #slider { flex: 1; }
  pre { background: #f6f8fa; padding: 0.5rem; overflow: auto; white-space: pre-wrap; word-break: break-all; max-height: 20rem; font-size: 12px; }
  #message { color: #9a6700; min-height: 1.2em; }
  #login { color: #cf222e; }
</style>
</head>
<body>
<aside>
  <h1>orch</h1>
  <p id="login" hidden>This page needs the daemon's token: open the address <code>orch daemon status</code> prints.</p>
  <table><thead><tr><th>run</th><th>status</th><th>started</th><th>took</th><th>nodes</th></tr></thead>
  <tbody id="runs"></tbody></table>
</aside>
<main>
  <h2 id="run-title">no run selected</h2>
  <div id="controls" hidden>
    <button data-command="pause">pause</button>
    <button data-command="resume">resume</button>
    <button data-command="cancel">cancel</button>
  </div>
  <div id="slider-row" hidden>
    <label for="slider">after event</label>
    <input id="slider" type="range" min="0" max="0" step="1" value="0">
    <span id="slider-label">live</span>
  </div>
  <p id="message"></p>
  <div id="graph"></div>
</main>
<section>
  <h2 id="node-title">click a node</h2>
  <div id="node-actions" hidden><button id="restart">restart from here</button></div>
  <form id="ask" hidden></form>
  <table id="node-details"></table>
  <h2>log tail</h2>
  <pre id="node-log"></pre>
</section>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;
