/* Shared DOM helpers. Data is only ever inserted with textContent / text nodes, never as HTML. */
'use strict';
function h(tag, props, children) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
  }
  for (const c of [].concat(children === undefined ? [] : children)) {
    if (c === null || c === undefined) continue;
    e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return e;
}
function readData(id) { return JSON.parse(document.getElementById(id).textContent); }
/* columns: {label, title, key(row) -> sortable value or null, cell(row) -> node|string, cls, desc (first click sorts descending)} */
function sortableTable(id, columns, rows, rowProps) {
  const tbody = h('tbody');
  const ths = columns.map((c, i) => h('th', {class: 'sortable', scope: 'col', title: c.title, tabindex: 0, 'data-col': i,
    onclick: () => sortBy(i), onkeydown: (ev) => { if (ev.key === 'Enter') sortBy(i); }}, c.label));
  const table = h('table', {class: 'data', id: id}, [h('thead', null, h('tr', null, ths)), tbody]);
  const state = {col: -1, dir: 1};
  function render(list) {
    tbody.replaceChildren(...list.map((r) => h('tr', rowProps ? rowProps(r) : null,
      columns.map((c) => h('td', {class: c.cls}, c.cell(r))))));
  }
  function sortBy(i) {
    const c = columns[i];
    state.dir = state.col === i ? -state.dir : (c.desc ? -1 : 1);
    state.col = i;
    const known = rows.filter((r) => c.key(r) !== null && c.key(r) !== undefined);
    const unknown = rows.filter((r) => c.key(r) === null || c.key(r) === undefined);
    known.sort((a, b) => {
      const x = c.key(a), y = c.key(b);
      const d = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
      return d * state.dir;
    });
    ths.forEach((th, j) => th.setAttribute('aria-sort', j === i ? (state.dir > 0 ? 'ascending' : 'descending') : 'none'));
    render(known.concat(unknown));
  }
  render(rows);
  return table;
}
