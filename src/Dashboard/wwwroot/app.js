// FraudStream live latency dashboard: history on load, then one snapshot a second over server-sent events.
(() => {
  'use strict';

  // The stages come from /api/config (the service's one stage list), in pipeline order; colours by position.
  const STAGE_COLORS = ['#8b98a8', '#a371f7', '#58a6ff', '#d29922', '#f0883e', '#3fb950', '#db61a2', '#39c5cf', '#e6edf3'];
  const COLORS = { p50: '#3fb950', p99: '#d29922', p999: '#a371f7', target: '#f85149', inFlow: '#58a6ff', outFlow: '#3fb950' };
  const AXIS = { stroke: '#8b98a8', grid: { stroke: '#2a3541', width: 1 }, ticks: { stroke: '#2a3541', width: 1 } };
  const MAX_POINTS = 600;
  const REVIEW_REFRESH_MS = 5000;

  const dashboard = {
    config: { target_ms: 0, marking_enabled: false, history_seconds: MAX_POINTS, stages: [] },
    latest: null,
    lastSequence: 0,
    snapshotsSeen: 0,
    charts: {},
    series: { time: [], p50: [], p99: [], p999: [], target: [], tpsIn: [], tpsOut: [], approve: [], review: [], decline: [], stages: [] },
    histogramLabels: [],
  };
  window.fraudDashboard = dashboard;

  const byId = (id) => document.getElementById(id);

  function formatMs(value) {
    if (value === null || value === undefined || !Number.isFinite(value)) return '—';
    if (value < 1) return value.toFixed(3) + ' ms';
    if (value < 10) return value.toFixed(2) + ' ms';
    if (value < 100) return value.toFixed(1) + ' ms';
    return Math.round(value).toLocaleString('en-US') + ' ms';
  }

  const formatShare = (share) => (Number.isFinite(share) ? (share * 100).toFixed(share >= 0.999 && share < 1 ? 2 : 1) + '%' : '—');
  const formatCount = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
  const formatRate = (n) => (Number.isFinite(n) ? (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)) : '—');
  const formatTime = (iso) => new Date(iso).toLocaleTimeString('en-GB', { hour12: false });
  // No score while the model is unavailable: the API sends null.
  const formatScore = (score) => (Number.isFinite(score) ? score.toFixed(3) : '—');
  const stageNames = () => dashboard.config.stages.map((s) => s.name);

  function setText(id, text, className) {
    const node = byId(id);
    node.textContent = text;
    if (className !== undefined) node.className = className;
  }

  function fillTable(tableId, rows, columns) {
    const body = byId(tableId).tBodies[0];
    body.replaceChildren();
    if (rows.length === 0) {
      const tr = body.insertRow();
      const td = tr.insertCell();
      td.colSpan = columns;
      td.className = 'empty';
      td.textContent = 'none';
      return;
    }
    for (const cells of rows) {
      const tr = body.insertRow();
      for (const cell of cells) {
        const td = tr.insertCell();
        if (cell instanceof Node) td.append(cell); else td.textContent = String(cell);
      }
    }
  }

  function chartSize(container, height) {
    return { width: Math.max(260, container.clientWidth - 4), height };
  }

  function timeChart(containerId, series, options = {}) {
    const container = byId(containerId);
    const opts = {
      ...chartSize(container, options.height || 220),
      series: [{}, ...series.map((s) => ({ points: { show: false }, ...s }))],
      scales: { x: { time: true }, y: { range: options.yRange || ((u, min, max) => [0, max > 0 ? max * 1.1 : 1]) } },
      axes: [{ ...AXIS }, { ...AXIS, size: 56 }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    const data = [[], ...series.map(() => [])];
    return new uPlot(opts, data, container);
  }

  function barChart(containerId, series, labels, height) {
    const container = byId(containerId);
    const bars = uPlot.paths.bars({ size: [0.85, 48] });
    const opts = {
      ...chartSize(container, height),
      series: [{}, ...series.map((s) => ({ ...s, paths: bars, points: { show: false } }))],
      scales: { x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { ...AXIS, values: (u, splits) => splits.map((i) => labels()[i] ?? ''), space: 36 },
        { ...AXIS, size: 56 },
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    return new uPlot(opts, [[], ...series.map(() => [])], container);
  }

  function createCharts() {
    dashboard.charts.latency = timeChart('chart-latency', [
      { label: 'p50', stroke: COLORS.p50, width: 1.5 },
      { label: 'p99', stroke: COLORS.p99, width: 1.5 },
      { label: 'p99.9', stroke: COLORS.p999, width: 1.5 },
      { label: 'target', stroke: COLORS.target, width: 2, dash: [8, 4], points: { show: false } },
    ], {
      height: 260,
      yRange: (u, min, max) => [0, Math.max(max, dashboard.config.target_ms) * 1.15 || 1],
    });

    dashboard.charts.histogram = barChart('chart-histogram', [
      { label: 'within target', fill: 'rgba(63,185,80,0.7)', stroke: COLORS.p50 },
      { label: 'over target', fill: 'rgba(248,81,73,0.7)', stroke: COLORS.target },
    ], () => dashboard.histogramLabels, 260);

    dashboard.series.stages = stageNames().map(() => []);
    dashboard.charts.stages = timeChart('chart-stages', stageNames().map((name, i) => ({ label: name, stroke: STAGE_COLORS[i % STAGE_COLORS.length], width: 1.5 })));

    dashboard.charts.throughput = timeChart('chart-throughput', [
      { label: 'in', stroke: COLORS.inFlow, width: 1.5 },
      { label: 'out', stroke: COLORS.outFlow, width: 1.5 },
    ]);

    dashboard.charts.decisions = timeChart('chart-decisions', [
      { label: 'approve', stroke: '#3fb950', width: 1.5 },
      { label: 'review', stroke: '#d29922', width: 1.5 },
      { label: 'decline', stroke: '#f85149', width: 1.5 },
    ]);

    dashboard.batchLabels = [];
    dashboard.charts.batches = barChart('chart-batches', [
      { label: 'batches', fill: 'rgba(88,166,255,0.7)', stroke: COLORS.inFlow },
    ], () => dashboard.batchLabels, 150);

    window.addEventListener('resize', () => {
      for (const chart of Object.values(dashboard.charts)) {
        const parent = chart.root.parentElement;
        chart.setSize({ width: Math.max(260, parent.clientWidth - 4), height: chart.height });
      }
    });
  }

  function stageByName(snapshot, name) {
    return snapshot.stages.find((s) => s.stage === name);
  }

  function pushSeries(snapshot) {
    const s = dashboard.series;
    s.time.push(Date.parse(snapshot.timestamp) / 1000);
    const hasLatency = snapshot.end_to_end.count > 0;
    s.p50.push(hasLatency ? snapshot.end_to_end.p50_ms : null);
    s.p99.push(hasLatency ? snapshot.end_to_end.p99_ms : null);
    s.p999.push(hasLatency ? snapshot.end_to_end.p999_ms : null);
    s.target.push(snapshot.target_ms);
    s.tpsIn.push(snapshot.throughput.tps_in);
    s.tpsOut.push(snapshot.throughput.tps_out);
    s.approve.push(snapshot.decisions_per_second.approve);
    s.review.push(snapshot.decisions_per_second.review);
    s.decline.push(snapshot.decisions_per_second.decline);
    stageNames().forEach((name, i) => {
      const stage = stageByName(snapshot, name);
      s.stages[i].push(stage && stage.count > 0 ? stage.p99_ms : null);
    });

    const excess = s.time.length - MAX_POINTS;
    if (excess > 0) {
      for (const key of Object.keys(s)) {
        if (key === 'stages') s.stages.forEach((a) => a.splice(0, excess)); else s[key].splice(0, excess);
      }
    }
  }

  function redrawTimeCharts() {
    const s = dashboard.series;
    dashboard.charts.latency.setData([s.time, s.p50, s.p99, s.p999, s.target]);
    dashboard.charts.stages.setData([s.time, ...s.stages]);
    dashboard.charts.throughput.setData([s.time, s.tpsIn, s.tpsOut]);
    dashboard.charts.decisions.setData([s.time, s.approve, s.review, s.decline]);
  }

  function renderHistogram(snapshot) {
    const buckets = snapshot.latency_histogram_last_minute;
    dashboard.histogramLabels = buckets.map((b) => (b.upper_bound_ms < 1 ? b.upper_bound_ms.toFixed(2) : b.upper_bound_ms < 10 ? b.upper_bound_ms.toFixed(1) : Math.round(b.upper_bound_ms).toString()));
    const xs = buckets.map((b, i) => i);
    const within = buckets.map((b) => (b.upper_bound_ms <= snapshot.target_ms ? b.count : null));
    const over = buckets.map((b) => (b.upper_bound_ms > snapshot.target_ms ? b.count : null));
    dashboard.charts.histogram.setData([xs, within, over]);
  }

  function renderBatches(snapshot) {
    const sizes = snapshot.scorer.batch_sizes;
    dashboard.batchLabels = sizes.map((b) => String(b.size));
    dashboard.charts.batches.setData([sizes.map((b, i) => i), sizes.map((b) => b.count)]);
  }

  function renderKpis(snapshot) {
    const e2e = snapshot.end_to_end;
    const cumulative = snapshot.end_to_end_cumulative;
    const target = snapshot.target_ms;
    const level = (value) => (e2e.count === 0 ? '' : value <= target ? 'ok' : 'bad');
    setText('updated', formatTime(snapshot.timestamp));
    setText('target', formatMs(target));
    setText('kpi-p50', e2e.count ? formatMs(e2e.p50_ms) : '—', level(e2e.p50_ms));
    setText('kpi-p99', e2e.count ? formatMs(e2e.p99_ms) : '—', level(e2e.p99_ms));
    setText('kpi-p999', e2e.count ? formatMs(e2e.p999_ms) : '—', level(e2e.p999_ms));
    setText('kpi-max', e2e.count ? formatMs(e2e.max_ms) : '—', level(e2e.max_ms));
    setText('kpi-within', e2e.count ? formatShare(e2e.within_target) : '—');
    setText('kpi-within-all', cumulative.count ? formatShare(cumulative.within_target) : '—');
    setText('kpi-tps-in', formatRate(snapshot.throughput.tps_in));
    setText('kpi-tps-out', formatRate(snapshot.throughput.tps_out));
    const total = snapshot.decisions_total;
    setText('kpi-decided', formatCount(total.approve + total.review + total.decline));
    setText('kpi-dead', formatCount(snapshot.dead_letters.total), snapshot.dead_letters.total > 0 ? 'bad' : '');
    setText('kpi-dupes', formatCount(snapshot.duplicates_suppressed));
  }

  function renderTables(snapshot) {
    // Every stage is listed; the share of p50 is taken over the steps that make up the end-to-end path.
    const rows = dashboard.config.stages.map((config) => ({ config, stage: stageByName(snapshot, config.name) || { count: 0 } }));
    const p50Sum = rows.reduce((sum, r) => sum + (r.config.step_of_end_to_end && r.stage.count > 0 ? r.stage.p50_ms : 0), 0);
    fillTable('stages-table', rows.map(({ config, stage }) => [
      config.name,
      stage.count ? formatMs(stage.p50_ms) : '—',
      stage.count ? formatMs(stage.p99_ms) : '—',
      config.step_of_end_to_end && stage.count && p50Sum > 0 ? formatShare(stage.p50_ms / p50Sum) : '—',
    ]), 4);

    fillTable('lag-table', snapshot.consumer_lag.map((l) => [l.topic, l.partition, formatCount(l.lag)]), 3);
    fillTable('dead-table', Object.entries(snapshot.dead_letters.by_reason).map(([reason, count]) => [reason, formatCount(count)]), 2);
    fillTable('rules-table', snapshot.top_rules.map((r) => [r.rule, formatCount(r.count)]), 2);
    fillTable('rule-hits-table', snapshot.rules.hit_totals.map((r) => [r.name, r.action, r.shadow ? 'shadow' : 'live', formatCount(r.hits)]), 4);
    fillTable('declines-table', snapshot.recent_declines.map((d) => [
      formatTime(d.decided_at), d.card, `${d.amount.toFixed(2)} ${d.currency}`, formatScore(d.score), d.reasons.join(', '),
    ]), 5);

    const errors = byId('reload-errors');
    errors.replaceChildren();
    const reloadErrors = snapshot.rules.reload_errors;
    if (reloadErrors.length === 0) {
      const li = document.createElement('li');
      li.className = 'none';
      li.textContent = 'none';
      errors.append(li);
    }
    for (const e of reloadErrors) {
      const li = document.createElement('li');
      li.textContent = `${formatTime(e.time)} ${e.message}`;
      errors.append(li);
    }

    setText('scorer-device', snapshot.scorer.device || '—');
    setText('model-version', snapshot.scorer.model_version || '—');
    setText('model-available', snapshot.scorer.model_available ? 'yes' : 'no (rules only)');
    setText('ruleset-version', snapshot.rules.ruleset_version || '—');
  }

  const formatPartitions = (partitions) => (partitions.length ? partitions.join(', ') : 'none');

  function formatBytes(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + ' MB';
    if (bytes >= 1024) return (bytes / 1024).toFixed(1) + ' kB';
    return bytes + ' B';
  }

  function renderInstance(snapshot) {
    const instance = snapshot.instance;
    const checkpoint = instance.checkpoint;
    const saved = checkpoint.age_seconds !== null && checkpoint.age_seconds !== undefined;
    setText('instance-name', instance.name || '—');
    setText('instance-decided', formatPartitions(instance.partitions_decided));
    setText('instance-followed', formatPartitions(instance.partitions_followed));
    setText('instance-replaying', instance.partitions_replaying > 0 ? `${instance.partitions_replaying} partitions` : 'none', instance.partitions_replaying > 0 ? 'bad' : '');
    setText('checkpoint-age', saved ? `${checkpoint.age_seconds.toFixed(0)} s ago` : 'none saved yet');
    setText('checkpoint-bytes', saved ? formatBytes(checkpoint.last_bytes) : '—');
    setText('checkpoint-capture', checkpoint.last_capture_ms > 0 ? formatMs(checkpoint.last_capture_ms) : '—');
    setText('checkpoint-counts', `${formatCount(checkpoint.saved)} saved, ${formatCount(checkpoint.failed)} failed`, checkpoint.failed > 0 ? 'bad' : '');
    setText('checkpoint-restored', checkpoint.restored_seq >= 0
      ? `checkpoint ${checkpoint.restored_seq} in ${formatMs(checkpoint.restore_ms)}`
      : 'none: features rebuilt from the log');
  }

  const formatRatio = (value) => (value === null || value === undefined ? '—' : value.toFixed(3));

  function renderChallenger(snapshot) {
    const c = snapshot.challenger;
    if (!c) return;
    const state = c.state === 'scoring' ? c.version
      : c.state === 'refused' ? `refused: ${c.rejected}`
      : c.state === 'promoted' ? 'promoted to champion (none now)'
      : 'none';
    setText('challenger-state', state, c.state === 'refused' ? 'bad' : '');
    setText('challenger-scored', formatCount(c.scored));
    const dropped = c.skipped.load || 0;
    setText('challenger-dropped', `challenger dropped under load: ${formatCount(dropped)}`, dropped > 0 ? 'bad' : '');
    const failed = (c.skipped.error || 0) + (c.skipped.over_budget || 0);
    setText('challenger-failed', `${formatCount(c.skipped.error || 0)}, ${formatCount(c.skipped.over_budget || 0)} (${formatCount(c.over_budget_batches)} batches over budget)`,
      failed > 0 ? 'bad' : '');
    setText('challenger-cost', c.batches > 0
      ? `+${c.mean_compute_micros.toFixed(0)} µs (champion ${c.mean_champion_compute_micros.toFixed(0)} µs)` : '—');
    const cmp = c.comparison;
    setText('challenger-agreement', cmp ? `${formatRatio(cmp.agreement)} of ${formatCount(cmp.compared)}` : '—');
    setText('challenger-correlation', cmp ? formatRatio(cmp.score_correlation) : '—');
    const side = (name, s) => [name, formatRatio(s.review_rate), formatRatio(s.decline_rate), formatRatio(s.precision), formatRatio(s.recall)];
    fillTable('challenger-table', cmp ? [side('champion', cmp.champion), side('challenger', cmp.challenger)] : [], 5);
  }

  function onSnapshot(snapshot, redraw = true) {
    if (snapshot.sequence <= dashboard.lastSequence) return;
    dashboard.lastSequence = snapshot.sequence;
    dashboard.latest = snapshot;
    dashboard.snapshotsSeen += 1;
    if (snapshot.target_ms > 0) dashboard.config.target_ms = snapshot.target_ms;
    pushSeries(snapshot);
    if (!redraw) return;
    redrawTimeCharts();
    renderHistogram(snapshot);
    renderBatches(snapshot);
    renderKpis(snapshot);
    renderTables(snapshot);
    renderInstance(snapshot);
    renderChallenger(snapshot);
  }

  function setConnection(text, className) {
    setText('connection', text, 'pill ' + className);
  }

  // Beyond loopback the read endpoints need the read token: open the page as /#token=…; it is kept for this tab
  // only and taken out of the address bar. EventSource cannot send headers, so the stream gets it as access_token.
  const READ_TOKEN_KEY = 'fraudstream-read-token';
  const hashToken = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (hashToken) {
    sessionStorage.setItem(READ_TOKEN_KEY, hashToken);
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  const readToken = sessionStorage.getItem(READ_TOKEN_KEY);

  function read(url) {
    const options = { cache: 'no-store' };
    if (readToken) options.headers = { Authorization: 'Bearer ' + readToken };
    return fetch(url, options).then((response) => {
      if (response.status === 401) setConnection('read token required: open /#token=…', 'pill-down');
      return response;
    });
  }

  function connect() {
    const source = new EventSource(readToken ? '/api/stream?access_token=' + encodeURIComponent(readToken) : '/api/stream');
    source.addEventListener('open', () => setConnection('live', 'pill-live'));
    source.addEventListener('error', () => setConnection('reconnecting…', 'pill-down'));
    source.addEventListener('snapshot', (event) => onSnapshot(JSON.parse(event.data)));
  }

  // Review queue: read-only unless the analyst enters the configured token; the server decides.
  function reviewStatus(text, className) {
    setText('review-status', text, className);
  }

  function markButton(item, fraud) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = fraud ? 'fraud' : 'legit';
    button.textContent = fraud ? 'fraud' : 'legitimate';
    button.dataset.id = item.id;
    button.dataset.fraud = String(fraud);
    button.disabled = !dashboard.config.marking_enabled;
    button.addEventListener('click', () => mark(item.id, fraud));
    return button;
  }

  async function loadReviews() {
    const response = await read('/api/reviews?limit=50');
    if (!response.ok) return;
    const body = await response.json();
    dashboard.config.marking_enabled = body.marking_enabled;
    setText('review-mode', body.marking_enabled ? 'mark each as fraud or legitimate: it becomes a label' : 'read-only: no review token is configured');
    fillTable('reviews-table', body.items.map((item) => {
      const actions = document.createElement('span');
      actions.append(markButton(item, true), markButton(item, false));
      return [formatTime(item.time), item.id, item.card, item.merchant, `${item.amount.toFixed(2)} ${item.currency}`, formatScore(item.score), item.reasons.join(', '), actions];
    }), 8);
  }

  async function mark(id, fraud) {
    const analyst = byId('review-analyst').value.trim();
    const token = byId('review-token').value.trim();
    if (!analyst) {
      reviewStatus('enter your name as analyst first', 'bad');
      return;
    }
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch(`/api/reviews/${encodeURIComponent(id)}/mark`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ fraud, analyst }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      reviewStatus(`marked ${id} as ${fraud ? 'fraud' : 'legitimate'}`, 'ok');
    } else {
      reviewStatus(`refused (${response.status}): ${body.error || response.statusText}`, 'bad');
    }
    await loadReviews();
  }

  async function start() {
    const configResponse = await read('/api/config');
    if (!configResponse.ok) return; // read() has said why (a 401: the read token)
    const config = await configResponse.json();
    dashboard.config = config;
    createCharts();
    setText('target', formatMs(config.target_ms));
    const history = await (await read(`/api/history?seconds=${config.history_seconds}`)).json();
    history.forEach((snapshot, i) => onSnapshot(snapshot, i === history.length - 1));
    connect();
    await loadReviews();
    setInterval(() => { loadReviews().catch(() => reviewStatus('review queue unavailable', 'bad')); }, REVIEW_REFRESH_MS);
  }

  byId('review-auth').addEventListener('submit', (event) => event.preventDefault());
  start().catch((error) => {
    setConnection('error', 'pill-down');
    console.error('dashboard failed to start', error);
  });
})();
