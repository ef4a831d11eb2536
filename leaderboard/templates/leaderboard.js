/* Leaderboard page: tables and the sample browser, built from the embedded JSON with text nodes only.
   Values arrive in display units (error rates/accuracy in %, BLEU 0-100, judge scores on their rubric's scale
   (each task's `unit`), scores 0-100). */
(function () {
  const D = readData('lb-data');
  const ALL = 'all';
  const key = (...parts) => parts.join('\u0000');
  const runLabel = new Map(D.runs.map((r) => [r.run_id, r.label]));
  const taskInfo = new Map(D.tasks.map((t) => [t.name, t]));
  const cellOf = new Map(D.cells.map((c) => [key(c.run_id, c.task, c.language), c]));
  const head = D.headline;
  const headOf = new Map(head.runs.map((r) => [r.run_id, r]));
  const order = head.runs.map((r) => r.run_id).concat(D.runs.map((r) => r.run_id).filter((id) => !headOf.has(id)));
  const ranked = order.map((id) => D.runs.find((r) => r.run_id === id));
  const arrow = (dir) => (dir === 'lower' ? '↓' : '↑');
  const sortVal = (c) => (c && c.value !== null ? c.value : null);

  function fmtKind(kind, v) {
    if (v === null || v === undefined) return '–';
    if (kind === 'error_rate' || kind === 'accuracy') return v.toFixed(1) + '%';
    if (kind === 'score100') return v.toFixed(1);
    if (kind === 'judge') return v.toFixed(2);
    return String(Number(v.toPrecision(4)));
  }
  function fmtDelta(kind, v) {
    if (v === null || v === undefined) return '–';
    const sign = v >= 0 ? '+' : '−';
    const a = Math.abs(v);
    if (kind === 'error_rate' || kind === 'accuracy') return sign + a.toFixed(2) + ' pp';
    return sign + a.toFixed(kind === 'judge' ? 3 : 2);
  }
  function rankText(runId) {
    const r = headOf.get(runId);
    if (!r || r.rank === null) return '–';
    return (r.tied_with.length ? '=' : '') + r.rank;
  }
  function scoreNode(s, what) {
    if (!s || s.score === null) return '–';
    const ci = s.ci_low === null ? null : h('span', {class: 'ci'}, '[' + s.ci_low.toFixed(1) + ', ' + s.ci_high.toFixed(1) + ']');
    return h('span', {title: what}, [s.score.toFixed(1), ci]);
  }
  function metricCell(c) {
    if (!c || c.value === null) return '–';
    const nodes = [h('span', {class: 'val'}, c.display)];
    if (c.ci_display) nodes.push(h('span', {class: 'ci'}, c.ci_display));
    if (c.mark) nodes.push(h('span', {class: 'mark', title: c.mark === '*' ?
      'significantly better than the next-ranked model (paired bootstrap, p < 0.05)' :
      'not significantly different from the next-ranked model'}, c.mark));
    return h('span', {title: 'n = ' + c.n + (c.n_failed ? ', unscored ' + c.n_failed : '')}, nodes);
  }

  /* published rows: model name -> task -> entry (primary metric, whole task only) */
  const publishedRows = [];
  for (const p of (D.published || [])) {
    const t = taskInfo.get(p.task);
    if (!t || p.metric !== t.primary_metric || p.language !== ALL) continue;
    let row = publishedRows.find((r) => r.label === p.model);
    if (!row) { row = {label: p.model, published: true, tasks: new Map()}; publishedRows.push(row); }
    row.tasks.set(p.task, p);
  }
  const isPublished = (r) => r.published === true;

  function modelColumn() {
    return {label: 'Model', title: 'model id (run id when two runs share a model)', key: (r) => r.label,
      cell: (r) => isPublished(r) ? h('span', null, [r.label + ' ', h('span', {class: 'badge', title: 'numbers a paper reports'}, 'published')]) : r.label};
  }
  function rankColumn() {
    return {label: 'Rank', title: 'rank by overall score; = : shares the rank (not significantly different)', cls: 'num rank',
      key: (r) => isPublished(r) ? null : (headOf.get(r.run_id) || {}).rank, cell: (r) => isPublished(r) ? '' : rankText(r.run_id)};
  }
  function overallColumn() {
    return {label: 'Overall', title: 'mean of the language scores, 0-100, with 95% CI', cls: 'num', desc: true,
      key: (r) => { const x = !isPublished(r) && headOf.get(r.run_id); return x ? x.overall.score : null; },
      cell: (r) => isPublished(r) ? '' : scoreNode((headOf.get(r.run_id) || {}).overall, 'mean of the language scores (95% CI)')};
  }
  function taskColumn(t, lang) {
    const cellFor = (r) => cellOf.get(key(r.run_id, t.name, lang));
    return {label: [t.name, h('br'), t.primary_metric + ' ' + arrow(t.direction)],
      title: t.primary_metric + ' (' + (t.unit ? t.unit + ', ' : '') + (t.direction === 'lower' ? 'lower is better)' : 'higher is better)'),
      desc: t.direction === 'higher', cls: 'num clickable',
      key: (r) => isPublished(r) ? (lang === ALL && r.tasks.has(t.name) ? r.tasks.get(t.name).value : null) : sortVal(cellFor(r)),
      cell: (r) => {
        if (isPublished(r)) {
          const p = lang === ALL ? r.tasks.get(t.name) : null;
          return p ? h('span', {title: p.source}, fmtKind(p.kind, p.value)) : '';
        }
        return h('span', {'data-task': t.name, class: 'open-task'}, metricCell(cellFor(r)));
      }};
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
      cls: 'num', key: (r) => { if (isPublished(r)) return null; const t = failureTotals(r.run_id); return FAIL_KEYS.reduce((a, [k]) => a + t[k], 0); },
      cell: (r) => { if (isPublished(r)) return ''; const t = failureTotals(r.run_id);
        return h('span', {class: 'failures', title: FAIL_KEYS.map(([k, l]) => l + ': ' + t[k]).join(', ') + ' of ' + t.completed + ' samples'},
          FAIL_KEYS.map(([k]) => String(t[k])).join(' · ')); }};
  }
  function overview() {
    const cols = [rankColumn(), modelColumn(), overallColumn()].concat(D.tasks.map((t) => taskColumn(t, ALL)), [failureColumn()]);
    return sortableTable('overview-table', cols, ranked.concat(publishedRows),
      (r) => ({class: isPublished(r) ? 'published' : null, 'data-run': isPublished(r) ? null : r.run_id}));
  }
  function perLanguage() {
    const out = [];
    for (const lang of D.languages) {
      const tasks = D.tasks.filter((t) => D.runs.some((r) => cellOf.has(key(r.run_id, t.name, lang))));
      const langScore = (r) => (headOf.get(r.run_id) || {languages: {}}).languages[lang];
      out.push(h('h3', null, 'Language: ' + lang));
      out.push(h('div', {class: 'scroll'}, sortableTable('language-table-' + lang, [modelColumn(),
        {label: 'Score ' + lang, title: 'mean of this language\'s task results (0-100, 95% CI)', cls: 'num', desc: true,
          key: (r) => (langScore(r) || {}).score ?? null, cell: (r) => scoreNode(langScore(r), 'mean of this language\'s task results')}]
        .concat(tasks.map((t) => taskColumn(t, lang))), ranked)));
    }
    return out;
  }
  function perFamily() {
    const famScore = (r, f) => (headOf.get(r.run_id) || {families: {}}).families[f];
    const cols = [rankColumn(), modelColumn()].concat(head.families.map((f) => ({label: f, title: 'the headline rule over ' + f + ' results only (95% CI)',
      cls: 'num', desc: true, key: (r) => (famScore(r, f) || {}).score ?? null, cell: (r) => scoreNode(famScore(r, f), f + ' (95% CI)')})));
    return sortableTable('family-table', cols, ranked);
  }
  function failures() {
    const n = (k, title, count) => ({label: k.replace('_', ' '), title: title, cls: 'num', desc: true,
      key: (f) => f[k], cell: (f) => count ? String(f[k]) :
        h('span', {class: f[k] ? 'bad' : '', title: f.completed ? (100 * f[k] / f.completed).toFixed(1) + '% of completed' : ''}, String(f[k]))});
    const cols = [{label: 'Model', key: (f) => runLabel.get(f.run_id), cell: (f) => runLabel.get(f.run_id)},
      {label: 'Task', key: (f) => f.task, cell: (f) => f.task},
      {label: 'Status', key: (f) => f.status, cell: (f) => f.status},
      n('n', 'samples in the task', true), n('completed', 'records written', true),
      {label: 'errors', title: 'samples with an error code', cls: 'num', desc: true, key: (f) => f.errors,
        cell: (f) => h('span', {class: f.errors ? 'bad' : '', title: Object.entries(f.errors_by_code).map((e) => e[0] + ': ' + e[1]).join(', ')}, String(f.errors))},
      n('empty', 'empty outputs'), n('refusals', 'refusals'), n('extract_fail', 'answer extraction failures'),
      n('judge_unscored', 'unscored samples (judge parse failures, missing scores)'), n('wrong_language', 'answers in the wrong language')];
    return sortableTable('failures-table', cols, D.failures);
  }
  function significance() {
    if (!D.comparisons.length) return h('p', {class: 'note'}, 'One run only: nothing to compare.');
    const kindOf = (c) => taskInfo.get(c.task).kind;
    const cols = [
      {label: 'Task', key: (c) => c.task, cell: (c) => c.task + ' ' + arrow(taskInfo.get(c.task).direction)},
      {label: 'A', key: (c) => runLabel.get(c.run_a), cell: (c) => runLabel.get(c.run_a)},
      {label: 'B', key: (c) => runLabel.get(c.run_b), cell: (c) => runLabel.get(c.run_b)},
      {label: 'Δ (A − B)', title: 'difference of the primary metric, in its unit (pp = percentage points)', cls: 'num', key: (c) => c.delta, cell: (c) => fmtDelta(kindOf(c), c.delta)},
      {label: '95% CI', cls: 'num', key: (c) => c.ci_low, cell: (c) => c.ci_low === null ? '–' : '[' + fmtDelta(kindOf(c), c.ci_low) + ', ' + fmtDelta(kindOf(c), c.ci_high) + ']'},
      {label: 'p', cls: 'num', key: (c) => c.p_value, cell: (c) => c.p_value === null ? '–' : c.p_value.toFixed(3)},
      {label: 'items', title: 'items both runs have (used / common; only-A, only-B)', cls: 'num', key: (c) => c.n_used,
        cell: (c) => c.n_used + ' / ' + c.n_common + (c.only_a || c.only_b ? ' (+' + c.only_a + ', +' + c.only_b + ')' : '')},
      {label: 'adjacent', title: 'neighbours in that task\'s ranking', key: (c) => (c.adjacent ? 1 : 0), cell: (c) => (c.adjacent ? 'yes' : '')},
      {label: 'result', key: (c) => (c.significant ? 1 : 0), cell: (c) => c.significant ?
        h('span', {class: 'sig'}, runLabel.get(c.better) + ' is better') : h('span', {class: 'nosig'}, 'no significant difference')}];
    const rows = D.comparisons.slice().sort((a, b) => a.task.localeCompare(b.task) || Number(b.adjacent) - Number(a.adjacent));
    return sortableTable('significance-table', cols, rows);
  }
  function published() {
    const rows = D.published || [];
    if (!rows.length) return h('p', {class: 'note'}, 'No published number is for a task these runs have.');
    const oursOf = (p, runId) => p.ours.find((o) => o.run_id === runId);
    const cols = [{label: 'Task', key: (p) => p.task, cell: (p) => p.task + (p.language !== ALL ? ' (' + p.language + ')' : '')},
      {label: 'Metric', key: (p) => p.metric, cell: (p) => p.metric},
      {label: 'Published model', key: (p) => p.model, cell: (p) => h('span', null, [p.model + ' ', h('span', {class: 'badge'}, 'published')])},
      {label: 'Published', cls: 'num', key: (p) => p.value, cell: (p) => fmtKind(p.kind, p.value)}]
      .concat(ranked.map((r) => ({label: r.label, title: 'this run on the same task and metric (95% CI); Δ = ours − published', cls: 'num',
        key: (p) => { const o = oursOf(p, r.run_id); return o ? o.value : null; },
        cell: (p) => { const o = oursOf(p, r.run_id);
          if (!o) return ''; if (o.value === null) return h('span', {class: 'nosig', title: 'this run did not compute ' + p.metric}, 'not computed');
          return h('span', null, [fmtKind(p.kind, o.value), o.ci_low === null ? null : h('span', {class: 'ci'}, '[' + fmtKind(p.kind, o.ci_low) + ', ' + fmtKind(p.kind, o.ci_high) + ']'),
            h('span', {class: 'ci'}, 'Δ ' + fmtDelta(p.kind, o.value - p.value))]); }})),
      [{label: 'Source', key: (p) => p.source, cell: (p) => h('span', {class: 'source'}, p.source + (p.note ? ' — ' + p.note : ''))}]);
    return sortableTable('published-table', cols, rows, () => ({class: 'published'}));
  }

  const sampleList = h('div', {id: 'sample-list', class: 'scroll tall'});
  const sampleDetail = h('div', {id: 'sample-detail'});
  const taskSelect = h('select', {id: 'task-select', 'aria-label': 'task', onchange: () => showTask(taskSelect.value, false)},
    D.tasks.map((t) => h('option', {value: t.name}, t.name)));
  const filterBox = h('input', {id: 'sample-filter', type: 'search', placeholder: 'filter samples (id, text)…', 'aria-label': 'filter samples',
    oninput: () => showTask(taskSelect.value, false)});
  function textBlock(label, text, cls) {
    return [h('div', {class: 'label'}, label), h('div', {class: 'text ' + (cls || '')}, text === '' ? '—' : text)];
  }
  function showSample(s) {
    const t = taskInfo.get(s.task);
    const nodes = [h('h3', null, s.task + ' / ' + s.sample_id + ' (' + s.language + ')')];
    for (const k of s.audio) {
      if (D.audio[k]) nodes.push(h('audio', {controls: 'controls', preload: 'none', src: D.audio[k], class: 'clip'}));
    }
    if (!s.audio.length) nodes.push(h('div', {class: 'note'}, 'no audio clip available for this sample'));
    nodes.push(...textBlock('Prompt', s.prompt, 'prompt'));
    nodes.push(...textBlock('Reference', s.reference, 'reference'));
    if (s.choices.length) nodes.push(...textBlock('Choices', s.choices.map((c, i) => String.fromCharCode(65 + i) + '. ' + c).join('\n')));
    const byRank = s.answers.slice().sort((a, b) => order.indexOf(a.run_id) - order.indexOf(b.run_id));
    for (const a of byRank) {
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
      .concat(ranked.map((r) => { const i = D.runs.indexOf(r); return {label: r.label, title: t.primary_metric, cls: 'num',
        key: (s) => s.answers[i].value, cell: (s) => s.answers[i].score}; }));
    const nodes = [sortableTable('samples-table', cols, rows, (s) => ({class: 'clickable', 'data-sample': s.sample_id, tabindex: 0,
      onclick: () => showSample(s), onkeydown: (ev) => { if (ev.key === 'Enter') showSample(s); }}))];
    if (D.samples_truncated[name]) nodes.push(h('div', {class: 'note'}, D.samples_truncated[name] + ' more samples are not embedded (see samples.jsonl).'));
    sampleList.replaceChildren(...nodes);
    sampleDetail.replaceChildren();
    if (scroll !== false) document.getElementById('samples').scrollIntoView();
  }
  function manifests() {
    return ranked.map((r) => h('details', {class: 'card run', 'data-run': r.run_id}, [
      h('summary', null, r.label + ' — run ' + r.run_id + ' (' + r.status + ', ' + r.source + ')'),
      h('div', {class: 'label'}, 'Model'), h('pre', {class: 'manifest'}, JSON.stringify(r.model, null, 2)),
      h('div', {class: 'label'}, 'Manifest'), h('pre', {class: 'manifest'}, JSON.stringify(r.manifest, null, 2)),
      r.warnings.length ? h('div', {class: 'bad'}, 'Warnings: ' + r.warnings.join('; ')) : null]));
  }

  const fill = (id, nodes) => { const el = document.getElementById(id); if (el) el.replaceChildren(...[].concat(nodes)); };
  fill('overview-body', overview());
  fill('language-body', perLanguage());
  fill('family-body', perFamily());
  fill('failures-body', failures());
  fill('significance-body', significance());
  fill('published-body', published());
  fill('samples-body', [h('div', {class: 'controls'}, [taskSelect, filterBox]), sampleList, sampleDetail]);
  fill('runs-body', manifests());
  /* a score opens that task's samples; on a chart mark, a touch screen first shows the numbers and opens on a second tap */
  const canHover = window.matchMedia('(hover: hover)').matches;
  document.addEventListener('click', (ev) => {
    const target = ev.target instanceof Element ? ev.target.closest('.open-task[data-task]') : null;
    if (!target || !taskInfo.has(target.getAttribute('data-task'))) return;
    if (target.hasAttribute('data-tip') && !canHover && !chartTip.showing(target)) return;
    ev.stopPropagation();
    chartTip.hide();
    showTask(target.getAttribute('data-task'));
  }, true);
  if (D.tasks.length) showTask(D.tasks[0].name, false);
  document.body.setAttribute('data-ready', '1');
})();
