/* Leaderboard page: every table is built from the embedded JSON with text nodes only. */
(function () {
  const D = readData('lb-data');
  const ALL = 'all';
  const runLabel = new Map(D.runs.map((r) => [r.run_id, r.label]));
  const taskInfo = new Map(D.tasks.map((t) => [t.name, t]));
  const cellOf = new Map(D.cells.map((c) => [c.run_id + '\u0000' + c.task + '\u0000' + c.language, c]));
  const aggOf = new Map(D.overall.map((a) => [a.run_id + '\u0000' + a.group, a]));
  const famOf = new Map(D.by_family.map((a) => [a.run_id + '\u0000' + a.group, a]));
  const arrow = (dir) => (dir === 'lower' ? '↓' : '↑');
  const fmtScore = (v) => (v === null || v === undefined ? '–' : v.toFixed(1));
  const sortVal = (c) => (c && c.value !== null ? c.value : null);

  function metricCell(c) {
    if (!c || c.value === null) return '–';
    const nodes = [h('span', {class: 'val'}, c.display)];
    if (c.ci_display) nodes.push(h('span', {class: 'ci'}, c.ci_display));
    if (c.mark) nodes.push(h('span', {class: 'mark', title: c.mark === '*' ?
      'significantly better than the next-ranked model (paired bootstrap, p < 0.05)' :
      'not significantly different from the next-ranked model'}, c.mark));
    return h('span', {title: 'n = ' + c.n + (c.n_failed ? ', unscored ' + c.n_failed : '')}, nodes);
  }
  function aggCell(a) {
    if (!a || a.score === null) return '–';
    return h('span', null, [fmtScore(a.score), h('span', {class: 'ci'}, '(' + a.n_tasks + (a.n_tasks === 1 ? ' task)' : ' tasks)'))]);
  }
  function modelColumn() {
    return {label: 'Model', title: 'model id (run id when two runs share a model)', key: (r) => r.label, cell: (r) => r.label};
  }
  function taskColumn(t, lang) {
    return {label: [t.name, h('br'), t.primary_metric + ' ' + arrow(t.direction)],
      title: t.primary_metric + (t.direction === 'lower' ? ' (lower is better)' : ' (higher is better)'),
      desc: t.direction === 'higher', cls: 'num clickable',
      key: (r) => sortVal(cellOf.get(r.run_id + '\u0000' + t.name + '\u0000' + lang)),
      cell: (r) => h('span', {onclick: () => showTask(t.name), 'data-task': t.name},
        metricCell(cellOf.get(r.run_id + '\u0000' + t.name + '\u0000' + lang)))};
  }
  function aggColumn(label, title, map, group) {
    return {label: label, title: title, desc: true, cls: 'num',
      key: (r) => { const a = map.get(r.run_id + '\u0000' + group); return a ? a.score : null; },
      cell: (r) => aggCell(map.get(r.run_id + '\u0000' + group))};
  }

  const FAIL_KEYS = [['errors', 'errors'], ['empty', 'empty'], ['extract_fail', 'extract'], ['judge_unscored', 'judge'], ['wrong_language', 'wrong lang']];
  function failureTotals(runId) {
    const t = {completed: 0};
    for (const [k] of FAIL_KEYS) t[k] = 0;
    for (const f of D.failures) if (f.run_id === runId) { t.completed += f.completed; for (const [k] of FAIL_KEYS) t[k] += f[k]; }
    return t;
  }
  function failureColumn() {
    return {label: 'Failures', title: 'errors · empty · extract failures · judge unscored · wrong language, summed over tasks (details below)',
      cls: 'num', key: (r) => { const t = failureTotals(r.run_id); return FAIL_KEYS.reduce((a, [k]) => a + t[k], 0); },
      cell: (r) => { const t = failureTotals(r.run_id);
        return h('span', {class: 'failures', title: FAIL_KEYS.map(([k, l]) => l + ': ' + t[k]).join(', ') + ' of ' + t.completed + ' samples'},
          FAIL_KEYS.map(([k]) => String(t[k])).join(' · ')); }};
  }
  function overview() {
    const cols = [modelColumn(), aggColumn('Overall', 'mean normalised score (0 = random/worst, 100 = perfect)', aggOf, ALL)]
      .concat(D.tasks.map((t) => taskColumn(t, ALL)), [failureColumn()]);
    return sortableTable('overview-table', cols, D.runs);
  }
  function perLanguage() {
    const cols = [modelColumn(), aggColumn('All', 'over all tasks', aggOf, ALL)]
      .concat(D.languages.map((l) => aggColumn(l, 'normalised mean over tasks with ' + l + ' data', aggOf, l)));
    const out = [sortableTable('language-overall-table', cols, D.runs)];
    for (const lang of D.languages) {
      const tasks = D.tasks.filter((t) => D.runs.some((r) => cellOf.has(r.run_id + '\u0000' + t.name + '\u0000' + lang)));
      out.push(h('h3', null, 'Language: ' + lang));
      out.push(sortableTable('language-table-' + lang, [modelColumn(), aggColumn('Overall ' + lang, 'normalised mean', aggOf, lang)]
        .concat(tasks.map((t) => taskColumn(t, lang))), D.runs));
    }
    return out;
  }
  function perFamily() {
    const cols = [modelColumn()].concat(D.families.map((f) => aggColumn(f, 'normalised mean over ' + f + ' tasks', famOf, f)));
    return sortableTable('family-table', cols, D.runs);
  }
  function failures() {
    const n = (k, title) => ({label: k.replace('_', ' '), title: title, cls: 'num', desc: true,
      key: (f) => f[k], cell: (f) => h('span', {class: f[k] ? 'bad' : '', title: f.completed ? (100 * f[k] / f.completed).toFixed(1) + '% of completed' : ''}, String(f[k]))});
    const cols = [{label: 'Model', key: (f) => runLabel.get(f.run_id), cell: (f) => runLabel.get(f.run_id)},
      {label: 'Task', key: (f) => f.task, cell: (f) => f.task},
      {label: 'Status', key: (f) => f.status, cell: (f) => f.status},
      n('n', 'samples in the task'), n('completed', 'records written'),
      {label: 'errors', title: 'samples with an error code', cls: 'num', desc: true, key: (f) => f.errors,
        cell: (f) => h('span', {class: f.errors ? 'bad' : '', title: Object.entries(f.errors_by_code).map((e) => e[0] + ': ' + e[1]).join(', ')}, String(f.errors))},
      n('empty', 'empty outputs'), n('refusals', 'refusals'), n('extract_fail', 'answer extraction failures'),
      n('judge_unscored', 'unscored samples (judge parse failures, missing scores)'), n('wrong_language', 'answers in the wrong language')];
    return sortableTable('failures-table', cols, D.failures);
  }
  function fmtDelta(kind, v) {
    if (v === null || v === undefined) return '–';
    if (kind === 'error_rate' || kind === 'accuracy') return (v >= 0 ? '+' : '') + (100 * v).toFixed(2) + ' pp';
    return (v >= 0 ? '+' : '') + v.toFixed(kind === 'judge' ? 3 : 2);
  }
  function significance() {
    const out = [];
    for (const t of D.tasks) {
      const comps = D.comparisons.filter((c) => c.task === t.name);
      if (!comps.length) continue;
      out.push(h('h3', null, t.name + ' — ' + t.primary_metric + ' ' + arrow(t.direction)));
      const cols = [
        {label: 'A', key: (c) => runLabel.get(c.run_a), cell: (c) => runLabel.get(c.run_a)},
        {label: 'B', key: (c) => runLabel.get(c.run_b), cell: (c) => runLabel.get(c.run_b)},
        {label: 'Δ (A − B)', cls: 'num', key: (c) => c.delta, cell: (c) => fmtDelta(t.kind, c.delta)},
        {label: '95% CI', cls: 'num', key: (c) => c.ci_low, cell: (c) => c.ci_low === null ? '–' : '[' + fmtDelta(t.kind, c.ci_low) + ', ' + fmtDelta(t.kind, c.ci_high) + ']'},
        {label: 'p', cls: 'num', key: (c) => c.p_value, cell: (c) => c.p_value === null ? '–' : c.p_value.toFixed(3)},
        {label: 'items', title: 'items both runs have (used / common; only-A, only-B)', cls: 'num', key: (c) => c.n_used,
          cell: (c) => c.n_used + ' / ' + c.n_common + (c.only_a || c.only_b ? ' (+' + c.only_a + ', +' + c.only_b + ')' : '')},
        {label: 'adjacent', key: (c) => (c.adjacent ? 1 : 0), cell: (c) => (c.adjacent ? 'yes' : '')},
        {label: 'result', key: (c) => (c.significant ? 1 : 0), cell: (c) => c.significant ?
          h('span', {class: 'sig'}, runLabel.get(c.better) + ' is better') : h('span', {class: 'nosig'}, 'no significant difference')}];
      out.push(sortableTable('significance-' + t.name, cols, comps.slice().sort((a, b) => Number(b.adjacent) - Number(a.adjacent))));
    }
    return out;
  }

  const sampleList = h('div', {id: 'sample-list'});
  const sampleDetail = h('div', {id: 'sample-detail'});
  const taskSelect = h('select', {id: 'task-select', onchange: () => showTask(taskSelect.value, false)},
    D.tasks.map((t) => h('option', {value: t.name}, t.name)));
  const filterBox = h('input', {id: 'sample-filter', type: 'search', placeholder: 'filter samples (id, text)…',
    oninput: () => showTask(taskSelect.value, false)});
  function textBlock(label, text, cls) {
    return [h('div', {class: 'label'}, label), h('div', {class: 'text ' + (cls || '')}, text === '' ? '—' : text)];
  }
  function showSample(s) {
    const t = taskInfo.get(s.task);
    const nodes = [h('h3', null, s.task + ' / ' + s.sample_id + ' (' + s.language + ')')];
    for (const key of s.audio) {
      if (D.audio[key]) nodes.push(h('audio', {controls: 'controls', preload: 'none', src: D.audio[key], class: 'clip'}));
    }
    if (!s.audio.length) nodes.push(h('div', {class: 'note'}, 'no audio clip available for this sample'));
    nodes.push(...textBlock('Prompt', s.prompt, 'prompt'));
    nodes.push(...textBlock('Reference', s.reference, 'reference'));
    if (s.choices.length) nodes.push(...textBlock('Choices', s.choices.map((c, i) => String.fromCharCode(65 + i) + '. ' + c).join('\n')));
    for (const a of s.answers) {
      const card = h('div', {class: 'card answer', 'data-run': a.run_id}, [
        h('strong', null, runLabel.get(a.run_id)),
        h('span', {class: 'ci'}, t.primary_metric + ': ' + a.score + (a.flags.length ? ' · flags: ' + a.flags.join(', ') : '')),
      ]);
      if (a.error) card.appendChild(h('div', {class: 'bad'}, a.error));
      card.append(...textBlock('Answer', a.output, 'output'));
      if (a.judge_score !== null || a.judge_rationale) {
        card.append(...textBlock('Judge ' + (a.judge_score === null ? '(unscored)' : a.judge_score), a.judge_rationale, 'rationale'));
      }
      nodes.push(card);
    }
    sampleDetail.replaceChildren(...nodes);
  }
  function showTask(name, scroll) {
    taskSelect.value = name;
    const t = taskInfo.get(name);
    const q = filterBox.value.toLowerCase();
    const rows = D.samples.filter((s) => s.task === name && (!q || (s.sample_id + ' ' + s.reference + ' ' + s.prompt).toLowerCase().includes(q)));
    const cols = [{label: 'Sample', key: (s) => s.sample_id, cell: (s) => s.sample_id},
      {label: 'Lang', key: (s) => s.language, cell: (s) => s.language},
      {label: 'Reference', key: (s) => s.reference, cell: (s) => s.reference.length > 80 ? s.reference.slice(0, 80) + '…' : s.reference}]
      .concat(D.runs.map((r, i) => ({label: r.label, title: t.primary_metric, cls: 'num',
        key: (s) => s.answers[i].value, cell: (s) => s.answers[i].score})));
    const nodes = [sortableTable('samples-table', cols, rows, (s) => ({class: 'clickable', 'data-sample': s.sample_id, onclick: () => showSample(s)}))];
    if (D.samples_truncated[name]) nodes.push(h('div', {class: 'note'}, D.samples_truncated[name] + ' more samples are not embedded (see samples.jsonl).'));
    sampleList.replaceChildren(...nodes);
    sampleDetail.replaceChildren();
    if (scroll !== false) document.getElementById('samples').scrollIntoView();
  }
  function manifests() {
    return D.runs.map((r) => h('details', {class: 'card run', 'data-run': r.run_id}, [
      h('summary', null, r.label + ' — run ' + r.run_id + ' (' + r.status + ', ' + r.source + ')'),
      h('div', {class: 'label'}, 'Model'), h('pre', {class: 'manifest'}, JSON.stringify(r.model, null, 2)),
      h('div', {class: 'label'}, 'Manifest'), h('pre', {class: 'manifest'}, JSON.stringify(r.manifest, null, 2)),
      r.warnings.length ? h('div', {class: 'bad'}, 'Warnings: ' + r.warnings.join('; ')) : null]));
  }

  document.getElementById('overview-body').replaceChildren(overview());
  document.getElementById('language-body').replaceChildren(...perLanguage());
  document.getElementById('family-body').replaceChildren(perFamily());
  document.getElementById('failures-body').replaceChildren(failures());
  document.getElementById('significance-body').replaceChildren(...significance());
  document.getElementById('samples-body').replaceChildren(h('div', null, [taskSelect, ' ', filterBox]), sampleList, sampleDetail);
  document.getElementById('runs-body').replaceChildren(...manifests());
  if (D.tasks.length) showTask(D.tasks[0].name, false);
  document.body.setAttribute('data-ready', '1');
})();
