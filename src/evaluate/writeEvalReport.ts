// Writes one evaluation's files a user keeps: result.json (everything), results.csv (one row per item) and
// report.html (self-contained: inline styles and SVG charts, no script, opens in any browser or VS Code).
import path from 'node:path';
import { csvRow } from '../workspace/preferences/csv.js';
import { writeFileAtomic, writeJsonAtomic } from '../workspace/writeFileAtomic.js';
import type { EvalReport, ReportedModel } from './EvalReport.js';

export interface WrittenReport {
  json: string;
  csv: string;
  html: string;
}

export async function writeEvalReport(dir: string, report: EvalReport): Promise<WrittenReport> {
  const files = { json: path.join(dir, 'result.json'), csv: path.join(dir, 'results.csv'), html: path.join(dir, 'report.html') };
  await writeJsonAtomic(files.json, report);
  await writeFileAtomic(files.csv, reportCsv(report));
  await writeFileAtomic(files.html, reportHtml(report));
  return files;
}

export function reportCsv(r: EvalReport): string {
  switch (r.kind) {
    case 'perplexity':
      return csvRow(['file', 'ppl', 'tokens', 'nll']) + r.result.files.map((f) => csvRow([f.name, f.ppl, f.tokens, f.nll])).join('')
        + csvRow(['(all)', r.result.ppl, r.result.tokens, r.result.nll]);
    case 'preference-accuracy':
      return csvRow(['pair', 'margin', ...(r.withoutAdapter ? ['marginWithoutAdapter'] : [])])
        + r.result.margins.map((m, i) => csvRow([i + 1, m, ...(r.withoutAdapter ? [r.withoutAdapter.margins[i]] : [])])).join('');
    case 'win-rate':
      return csvRow(['prompt', 'verdict', 'firstA_prefers', 'firstA_margin', 'firstB_prefers', 'firstB_margin', 'answerA', 'answerB', 'ttftA_ms', 'ttftB_ms', 'tpsA', 'tpsB'])
        + r.result.items.map((x) => csvRow([
          x.prompt, x.verdict, x.orders[0].prefers, x.orders[0].margin, x.orders[1].prefers, x.orders[1].margin,
          x.a.text, x.b.text, x.a.timeToFirstTokenMs, x.b.timeToFirstTokenMs, x.a.tokensPerSecond, x.b.tokensPerSecond,
        ])).join('');
  }
}

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** Horizontal bars, one per row, scaled to the largest value. */
function barChart(rows: Array<{ label: string; value: number; color?: string }>, unit = ''): string {
  const max = Math.max(...rows.map((r) => (Number.isFinite(r.value) ? r.value : 0)), 1e-9);
  const h = 22;
  const bars = rows.map((r, i) => {
    const w = Number.isFinite(r.value) ? Math.max(1, (r.value / max) * 360) : 0;
    return `<text x="0" y="${i * h + 15}" class="l">${esc(r.label.length > 38 ? `…${r.label.slice(-37)}` : r.label)}</text>`
      + `<rect x="250" y="${i * h + 3}" width="${w.toFixed(1)}" height="${h - 6}" fill="${r.color ?? '#3b82f6'}"/>`
      + `<text x="${(256 + w).toFixed(1)}" y="${i * h + 15}" class="v">${esc(fmt(r.value))}${unit}</text>`;
  });
  return `<svg role="img" width="700" height="${rows.length * h + 4}" viewBox="0 0 700 ${rows.length * h + 4}">${bars.join('')}</svg>`;
}

/** Counts of margins in equal bins: how sure the model is, pair by pair. */
function histogram(values: number[], color: string): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values, 0);
  const hi = Math.max(...values, 0);
  const bins = 20;
  const width = (hi - lo) / bins || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  const top = Math.max(...counts);
  const zero = ((0 - lo) / (hi - lo || 1)) * 600;
  const rects = counts.map((c, i) => `<rect x="${i * 30 + 1}" y="${100 - (c / top) * 96}" width="28" height="${(c / top) * 96}" fill="${color}"/>`).join('');
  return `<svg role="img" width="620" height="120" viewBox="0 0 620 120">${rects}<line x1="${zero}" x2="${zero}" y1="0" y2="104" stroke="#111" stroke-dasharray="3 2"/>`
    + `<text x="0" y="116" class="l">${esc(fmt(lo, 2))}</text><text x="${Math.max(0, zero - 4)}" y="116" class="l">0</text><text x="570" y="116" class="l">${esc(fmt(hi, 2))}</text></svg>`;
}

function modelLine(m: ReportedModel): string {
  return `${esc(m.label)} <code>${esc(m.file)}</code>${m.lora ? ` + adapter <code>${esc(m.lora.file)}</code> × ${esc(m.lora.scale)}` : ''}`;
}

function body(r: EvalReport): string {
  switch (r.kind) {
    case 'perplexity':
      return `<p class="big">Perplexity <b>${fmt(r.result.ppl)}</b> over ${r.result.tokens} tokens in ${r.result.files.length} file(s)</p>`
        + barChart(r.result.files.map((f) => ({ label: f.name, value: f.ppl })))
        + `<table><tr><th>file</th><th>perplexity</th><th>tokens</th></tr>${r.result.files.map((f) => `<tr><td>${esc(f.name)}</td><td>${fmt(f.ppl)}</td><td>${f.tokens}</td></tr>`).join('')}</table>`;
    case 'preference-accuracy': {
      const rows = [{ label: r.model.lora ? 'with adapter' : r.model.label, value: r.result.accuracy, color: '#16a34a' }];
      if (r.withoutAdapter) rows.push({ label: 'without adapter', value: r.withoutAdapter.accuracy, color: '#9ca3af' });
      return `<p class="big">Preference accuracy <b>${fmt(r.result.accuracy)}</b> on ${r.result.pairs} pairs from <code>${esc(r.pairsFile)}</code>`
        + (r.withoutAdapter ? ` (without the adapter: ${fmt(r.withoutAdapter.accuracy)})` : '') + '</p>'
        + barChart(rows) + `<h2>Margins: log p(chosen) − log p(rejected)</h2>${histogram(r.result.margins, '#16a34a')}`
        + (r.withoutAdapter ? `<h3>without the adapter</h3>${histogram(r.withoutAdapter.margins, '#9ca3af')}` : '')
        + `<p>Mean margin ${fmt(r.result.meanMargin)}${r.withoutAdapter ? ` (without the adapter ${fmt(r.withoutAdapter.meanMargin)})` : ''}.</p>`;
    }
    case 'win-rate': {
      const x = r.result;
      const seg = (n: number, color: string, label: string, at: number): string =>
        n ? `<rect x="${(at / x.n) * 600}" y="0" width="${(n / x.n) * 600}" height="28" fill="${color}"/><text x="${(at / x.n) * 600 + 4}" y="19" class="w">${label} ${n}</text>` : '';
      const stacked = `<svg role="img" width="620" height="32" viewBox="0 0 620 32">${seg(x.wins, '#16a34a', 'A wins', 0)}${seg(x.ties, '#9ca3af', 'ties', x.wins)}${seg(x.losses, '#dc2626', 'B wins', x.wins + x.ties)}</svg>`;
      const items = x.items.map((it, i) => `<tr><td>${i + 1}</td><td><pre>${esc(it.prompt)}</pre></td><td><pre>${esc(it.a.text)}</pre></td><td><pre>${esc(it.b.text)}</pre></td>`
        + `<td>${it.orders.map((o) => `${o.first === 'a' ? 'A first' : 'B first'}: prefers ${o.prefers.toUpperCase()} (${fmt(o.margin, 2)})`).join('<br>')}</td><td class="v-${it.verdict}">${it.verdict === 'tie' ? 'tie' : it.verdict.toUpperCase()}</td></tr>`).join('');
      return `<p class="big">Win-rate of A against B <b>${fmt(x.winRate)}</b> over ${x.n} prompts: ${x.wins} wins, ${x.ties} ties, ${x.losses} losses</p>${stacked}`
        + `<p>A: ${modelLine(r.model)}<br>B: ${modelLine(r.against)}<br>Judge: ${modelLine(r.judge)}</p>`
        + `<p>Each pair was judged twice, A's answer first and then B's; a side wins only when the judge prefers it in both orders. The verdict followed the position on ${fmt(x.positionBiased * 100, 0)} % of the prompts.</p>`
        + barChart([
          { label: 'A: time to first token (ms)', value: x.latency.a.meanTimeToFirstTokenMs },
          { label: 'B: time to first token (ms)', value: x.latency.b.meanTimeToFirstTokenMs, color: '#f59e0b' },
        ]) + barChart([
          { label: 'A: tokens/s', value: x.latency.a.meanTokensPerSecond },
          { label: 'B: tokens/s', value: x.latency.b.meanTokensPerSecond, color: '#f59e0b' },
        ])
        + `<p>Rubric: ${esc(r.rubric)}</p><table><tr><th>#</th><th>prompt</th><th>A</th><th>B</th><th>judge, both orders</th><th>verdict</th></tr>${items}</table>`;
    }
  }
}

export function reportHtml(r: EvalReport): string {
  const title = { perplexity: 'Perplexity', 'preference-accuracy': 'Preference accuracy', 'win-rate': 'Win-rate' }[r.kind];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(title)} — ${esc(r.model.label)} — Model Lab</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#111}
code,pre{font:12px ui-monospace,monospace}pre{white-space:pre-wrap;margin:0;max-height:14em;overflow:auto}
table{border-collapse:collapse;margin:1em 0;width:100%}td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
.big{font-size:18px}.l{font-size:12px;fill:#333}.v{font-size:12px;fill:#111}.w{font-size:12px;fill:#fff}
.v-a{color:#16a34a;font-weight:bold}.v-b{color:#dc2626;font-weight:bold}.meta{color:#555}</style></head>
<body><h1>${esc(title)}</h1>
<p class="meta">Model: ${modelLine(r.model)}<br>Run <code>${esc(r.id)}</code>, ${esc(r.created)}, ${fmt(r.seconds, 1)} s, Model Lab</p>
${body(r)}
</body></html>
`;
}
