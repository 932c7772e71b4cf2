import { createHash } from 'node:crypto';

// The live lock page, shipped as strings so the package needs no file reading and no module URL
// (it is also compiled to CommonJS). The script must stay free of backticks, "${" and backslashes:
// it lives inside template literals. Every value from the JSON, lock names above all, is put into the
// DOM with textContent or dataset, never as markup.

const STYLE = `
  :root {
    --bg: #0f1420; --panel: #171e2e; --line: #263047; --text: #e6eaf2; --muted: #8b96ad;
    --accent: #4fb3ff; --ok: #3ecf8e; --warn: #f5b942; --bad: #ff6b6b; --mine: #b18cff;
  }
  * { box-sizing: border-box; }
  body {
    margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    background: var(--bg); color: var(--text);
  }
  header {
    display: flex; align-items: center; flex-wrap: wrap; gap: 16px; padding: 14px 24px;
    border-bottom: 1px solid var(--line); background: var(--panel);
  }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; }
  header .meta { color: var(--muted); font-size: 13px; }
  .badge {
    display: inline-block; padding: 2px 8px; border-radius: 999px; font-size: 12px;
    border: 1px solid var(--line); background: #1e2740;
  }
  main { display: grid; grid-template-columns: minmax(0, 2fr) minmax(280px, 1fr); gap: 18px; padding: 18px 24px; }
  section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
  section h2 {
    font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
    margin: 0 0 10px; font-weight: 600;
  }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; }
  td.key { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.mine td.owner .badge { border-color: var(--mine); color: var(--mine); }
  td.kind .badge { color: var(--muted); }
  td.holding { color: var(--muted); font-variant-numeric: tabular-nums; }
  .ttl { display: flex; align-items: center; gap: 8px; min-width: 170px; }
  .bar {
    flex: 1; height: 8px; background: #0c111b; border-radius: 4px; overflow: hidden; border: 1px solid var(--line);
  }
  .bar > span { display: block; height: 100%; background: var(--ok); transition: width .9s linear; }
  .bar > span.low { background: var(--warn); } .bar > span.crit { background: var(--bad); }
  .ttl-text {
    font-variant-numeric: tabular-nums; color: var(--muted); width: 56px; text-align: right; font-size: 12px;
  }
  .empty { color: var(--muted); padding: 18px 8px; text-align: center; }
  .stats { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .stat { background: #1b2336; border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; }
  .stat .v {
    font-size: 19px; font-weight: 600; font-variant-numeric: tabular-nums;
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  }
  .stat .l { color: var(--muted); font-size: 12px; }
  .stat.wide { grid-column: span 2; }
  .note { color: var(--muted); font-size: 12px; margin-top: 8px; }
  #error { color: var(--bad); }
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
};
// The JSON endpoint is "state" under the page's own path (whatever prefix the app adds).
const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';
const STATE_URL = base + 'state';
// Longest TTL seen for each ownership (key + kind + fence), so the bar shows the share left.
const fullTtl = new Map();
let refreshMs = 1000;

function seconds(ms) {
  return ms >= 10000 ? (ms / 1000).toFixed(0) + ' s' : (ms / 1000).toFixed(1) + ' s';
}

function ttlCell(lock) {
  const id = rowId(lock);
  const full = Math.max(fullTtl.get(id) ?? 0, lock.ttlMs);
  fullTtl.set(id, full);
  const share = full > 0 ? Math.max(0, Math.min(1, lock.ttlMs / full)) : 0;
  const fill = el('span');
  fill.style.width = (share * 100).toFixed(1) + '%';
  if (share < 0.25) fill.className = 'crit'; else if (share < 0.5) fill.className = 'low';
  const text = lock.ttlMs < 0 ? 'no TTL' : seconds(lock.ttlMs);
  return el('div', { className: 'ttl' },
    el('div', { className: 'bar' }, fill), el('span', { className: 'ttl-text', textContent: text }));
}

// list() order: by name, then kind.
const KINDS = ['mutex', 'read-write', 'semaphore'];
const kindOf = (lock) => lock.kind ?? 'mutex';
const rowId = (lock) => lock.key + '#' + kindOf(lock) + '#' + lock.fence;

function owners(lock) {
  if (lock.owner !== undefined) return lock.owner;
  const distinct = [...new Set((lock.holders ?? []).map((h) => h.owner))];
  if (distinct.length === 0) return '?';
  return distinct.length > 3 ? distinct.slice(0, 3).join(', ') + ' +' + (distinct.length - 3) : distinct.join(', ');
}

// Readers or writer of a read-write lock, permits of a semaphore; nothing for a mutex.
function holding(lock) {
  if (kindOf(lock) === 'read-write') return lock.writer ? 'writer' : lock.readers + (lock.readers === 1 ? ' reader' : ' readers');
  if (kindOf(lock) === 'semaphore' && lock.permits) {
    return lock.permits.used + ' used · ' + lock.permits.free + ' free (of ' + lock.permits.limit + ')';
  }
  return '';
}

function byNameThenKind(a, b) {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return KINDS.indexOf(kindOf(a)) - KINDS.indexOf(kindOf(b));
}

function renderLocks(data) {
  const body = $('locks').tBodies[0];
  body.replaceChildren();
  const more = data.locks.length >= data.limit ? ', the first ' + data.limit + ' listed' : '';
  $('lock-count').textContent = '(' + data.locks.length + more + ')';
  if (data.locks.length === 0) {
    body.append(el('tr', {}, el('td', { className: 'empty', colSpan: 8, textContent: 'no locks held right now' })));
    return;
  }
  const seen = new Set();
  for (const lock of [...data.locks].sort(byNameThenKind)) {
    seen.add(rowId(lock));
    const mine = lock.heldByThisInstance || lock.owner === data.instance;
    const row = el('tr', { className: mine ? 'mine' : '' },
      el('td', { className: 'key', textContent: lock.key }),
      el('td', { className: 'kind' }, el('span', { className: 'badge', textContent: kindOf(lock) })),
      el('td', { className: 'owner' }, el('span', { className: 'badge', textContent: owners(lock) })),
      el('td', {}, ttlCell(lock)),
      el('td', { className: 'num', textContent: String(lock.holdCount) }),
      el('td', { className: 'num', textContent: lock.fence === undefined ? '' : String(lock.fence) }),
      el('td', { className: 'holding', textContent: holding(lock) }),
      el('td', { className: 'num', textContent: String(lock.waiters) }));
    row.dataset.key = lock.key;
    row.dataset.kind = kindOf(lock);
    row.dataset.ttl = String(lock.ttlMs);
    body.append(row);
  }
  for (const id of fullTtl.keys()) if (!seen.has(id)) fullTtl.delete(id);
}

function renderStats(s) {
  const ms = (v) => (v >= 1000 ? (v / 1000).toFixed(2) + ' s' : v >= 100 ? v.toFixed(0) + ' ms' : v.toFixed(1) + ' ms');
  const span = Math.round((s.windowMs ?? 60000) / 1000) + ' s';
  const reasons = Object.entries(s.failuresByReason ?? {}).map(([reason, n]) => reason + ' ' + n).join(' · ');
  const byKind = Object.entries(s.byKind ?? {})
    .map(([kind, k]) => kind + ' ' + k.acquired + ' / ' + k.active).join(' · ');
  const items = [
    ['active locks', s.activeLocks], ['acquired', s.totalAcquired], ['released', s.totalReleased],
    ['failed', s.totalFailed], ['retries', s.totalRetries], ['renewals', s.totalRenewals],
    ['renewal errors', s.totalRenewalErrors], ['lost', s.totalLost], ['expired', s.totalExpirations],
    ['skipped (@WithLock)', s.totalSkipped], ['circuit breaker', s.circuitBreaker],
    ['backend error rate', ((s.recentErrorRate ?? 0) * 100).toFixed(1) + ' %'],
    ['wait avg / p99 (' + span + ')', s.wait && s.wait.count ? ms(s.wait.avgMs) + ' / ' + ms(s.wait.p99Ms) : '–'],
    ['hold avg / p99 (' + span + ')', s.hold && s.hold.count ? ms(s.hold.avgMs) + ' / ' + ms(s.hold.p99Ms) : '–'],
    ['failures by reason', reasons || '–'],
    ['acquired / active by kind', byKind || '–'],
  ];
  $('stats').replaceChildren(...items.map(([label, value]) =>
    el('div', { className: label.includes('/') || label.includes('reason') ? 'stat wide' : 'stat' },
      el('div', { className: 'v', textContent: String(value ?? 0) }),
      el('div', { className: 'l', textContent: label }))));
}

async function refresh() {
  try {
    const res = await fetch(STATE_URL, { cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new Error('HTTP ' + res.status + (body.message ? ': ' + body.message : ''));
    }
    const data = await res.json();
    refreshMs = data.refreshMs || refreshMs;
    $('instance').textContent = data.instance;
    $('store').textContent = data.store + ' · ' + data.topology;
    $('service').textContent = data.service;
    renderLocks(data);
    renderStats(data.statistics);
    $('updated').textContent = 'updated ' + new Date(data.time).toLocaleTimeString();
    $('error').textContent = '';
  } catch (error) {
    $('error').textContent = String((error && error.message) || error);
  }
  setTimeout(refresh, refreshMs);
}

refresh();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The dashboard page: one HTML document with its style and script inline, no build step, no external
 * resources. It polls `state` under its own URL and renders every value with `textContent`, so lock
 * names show as text whatever they contain.
 *
 * @example
 * // what RedisLockDashboardModule serves at GET /<path>; to host it yourself:
 * res.type('html').set('Content-Security-Policy', DASHBOARD_PAGE_CSP).send(DASHBOARD_PAGE_HTML);
 */
export const DASHBOARD_PAGE_HTML =
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Redis locks · live</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Redis locks · live</h1>
  <span class="meta">instance <span class="badge" id="instance"></span></span>
  <span class="meta">module <span class="badge" id="service"></span></span>
  <span class="meta">store <span class="badge" id="store"></span></span>
  <span class="meta" id="updated"></span>
  <span class="meta" id="error"></span>
</header>
<main>
  <section>
    <h2>Locks held now <span id="lock-count"></span></h2>
    <table id="locks">
      <thead><tr><th>key</th><th>kind</th><th>owner instance</th><th>TTL</th><th class="num">holds</th>` +
  `<th class="num">fence</th><th>readers · writer / permits</th><th class="num">waiters</th></tr></thead>
      <tbody><tr><td class="empty" colspan="8">loading…</td></tr></tbody>
    </table>
    <div class="note">All instances and kinds (mutexes, read-write locks, semaphores), from
    <code>LockService.list()</code>; owners in purple are the instance that answered. Lock names are shown to
    whoever can open this page.</div>
  </section>
  <section>
    <h2>Statistics of this instance</h2>
    <div class="stats" id="stats"></div>
    <div class="note">From <code>LockService.getStatistics()</code>, since start-up.</div>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

/**
 * The Content-Security-Policy the page is served with: only its own inline script and style (by
 * hash), requests only to its own origin, no images, frames or forms. Even markup slipped into the
 * page could run no script.
 *
 * @example
 * res.set('Content-Security-Policy', DASHBOARD_PAGE_CSP);
 */
export const DASHBOARD_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
